//! API tokens: a script sends `Authorization: Bearer <token>` and acts as the token's operator.
//! Only a digest of each token is stored; the secret is shown once, when it is made.

use super::error::OperatorError;
use super::passwords::{random_secret, secret_digest};
use super::store::{Operators, ADMIN_LIST_LIMIT};
use crate::model::{ApiTokenSummary, NewApiToken, Operator};
use crate::server::audit::time::format_time;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::validate::Username;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

/// The API token prefix makes tokens recognisable in configuration and secret scanners.
const TOKEN_PREFIX: &str = "cu_";

#[derive(SerializeRow)]
struct TokenRow<'a> {
    id: Uuid,
    token_hash: &'a str,
    label: &'a str,
    username: &'a str,
    created_at: OffsetDateTime,
}

#[derive(SerializeRow)]
struct TokenHashRow<'a> {
    token_hash: &'a str,
    id: Uuid,
    username: &'a str,
}

#[derive(DeserializeRow)]
struct ListedToken {
    id: Uuid,
    label: Option<String>,
    username: Option<String>,
    created_at: Option<OffsetDateTime>,
}

#[derive(DeserializeRow)]
struct StoredToken {
    token_hash: Option<String>,
    label: Option<String>,
    username: Option<String>,
}

struct Statements {
    insert_token: PreparedStatement,
    insert_token_hash: PreparedStatement,
    token_by_hash: PreparedStatement,
    token_by_id: PreparedStatement,
    all_tokens: PreparedStatement,
    delete_token: PreparedStatement,
    delete_token_hash: PreparedStatement,
}

pub struct ApiTokens {
    session: Arc<Session>,
    statements: Statements,
    operators: Arc<Operators>,
    audit: Arc<AuditLog>,
}

impl ApiTokens {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        operators: Arc<Operators>,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            insert_token: plain(&session, format!("INSERT INTO {ks}.api_tokens (id, token_hash, label, username, created_at) VALUES (?, ?, ?, ?, ?)")).await?,
            insert_token_hash: plain(&session, format!("INSERT INTO {ks}.api_tokens_by_hash (token_hash, id, username) VALUES (?, ?, ?)")).await?,
            token_by_hash: plain(&session, format!("SELECT username FROM {ks}.api_tokens_by_hash WHERE token_hash = ?")).await?,
            token_by_id: plain(&session, format!("SELECT token_hash, label, username FROM {ks}.api_tokens WHERE id = ?")).await?,
            all_tokens: plain(&session, format!("SELECT id, label, username, created_at FROM {ks}.api_tokens LIMIT {ADMIN_LIST_LIMIT}")).await?,
            delete_token: plain(&session, format!("DELETE FROM {ks}.api_tokens WHERE id = ?")).await?,
            delete_token_hash: plain(&session, format!("DELETE FROM {ks}.api_tokens_by_hash WHERE token_hash = ?")).await?,
        };
        Ok(ApiTokens {
            session,
            statements,
            operators,
            audit,
        })
    }

    /// A new API token for an existing, enabled operator. Only its digest is stored.
    pub async fn create(
        &self,
        operator: &Username,
        label: &str,
        actor: &Actor,
    ) -> Result<NewApiToken, OperatorError> {
        let owner = self
            .operators
            .get(operator.as_str())
            .await?
            .filter(|record| !record.disabled)
            .ok_or(OperatorError::NotFound)?;
        let secret = format!("{TOKEN_PREFIX}{}", random_secret(32));
        let digest = secret_digest(&secret);
        let id = Uuid::new_v4();
        let label = if label.trim().is_empty() {
            owner.username.clone()
        } else {
            label.trim().to_owned()
        };
        let mut batch = Batch::new(BatchType::Logged);
        batch.append_statement(self.statements.insert_token.clone());
        batch.append_statement(self.statements.insert_token_hash.clone());
        let token = TokenRow {
            id,
            token_hash: &digest,
            label: &label,
            username: &owner.username,
            created_at: OffsetDateTime::now_utc(),
        };
        let by_hash = TokenHashRow {
            token_hash: &digest,
            id,
            username: &owner.username,
        };
        self.session.batch(&batch, (token, by_hash)).await?;
        let details = format!(
            "created API token \"{label}\" ({id}) for {}",
            owner.username
        );
        self.audit
            .record(actor, Event::new(Action::TokenCreate, details))
            .await?;
        Ok(NewApiToken {
            id,
            label,
            operator: owner.username,
            secret,
        })
    }

    /// The operator an API token acts as, if the token exists and its operator may sign in.
    pub async fn operator_for(&self, secret: &str) -> Result<Option<Operator>, OperatorError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let digest = secret_digest(secret);
        let owner = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.token_by_hash, (&digest,))
        })
        .await?
        .into_rows_result()?
        .maybe_first_row::<(Option<String>,)>()?
        .and_then(|(owner,)| owner);
        let Some(owner) = owner else { return Ok(None) };
        Ok(self
            .operators
            .get(&owner)
            .await?
            .filter(|record| !record.disabled)
            .map(|record| record.operator()))
    }

    pub async fn list(&self) -> Result<Vec<ApiTokenSummary>, OperatorError> {
        let mut tokens: Vec<(OffsetDateTime, ApiTokenSummary)> = self
            .session
            .execute_unpaged(&self.statements.all_tokens, ())
            .await?
            .into_rows_result()?
            .rows::<ListedToken>()?
            .map(|row| {
                row.map(|row| {
                    let created = row.created_at.unwrap_or(OffsetDateTime::UNIX_EPOCH);
                    let summary = ApiTokenSummary {
                        id: row.id,
                        label: row.label.unwrap_or_default(),
                        operator: row.username.unwrap_or_default(),
                        created: format_time(created),
                    };
                    (created, summary)
                })
            })
            .collect::<Result<_, _>>()?;
        tokens.sort_by_key(|(created, _)| std::cmp::Reverse(*created));
        Ok(tokens.into_iter().map(|(_, token)| token).collect())
    }

    /// Revokes a token by its id: it stops working at once.
    pub async fn revoke(&self, id: Uuid, actor: &Actor) -> Result<(), OperatorError> {
        let stored = self
            .session
            .execute_unpaged(&self.statements.token_by_id, (id,))
            .await?
            .into_rows_result()?
            .maybe_first_row::<StoredToken>()?
            .ok_or(OperatorError::NotFound)?;
        let mut batch = Batch::new(BatchType::Logged);
        batch.append_statement(self.statements.delete_token_hash.clone());
        batch.append_statement(self.statements.delete_token.clone());
        self.session
            .batch(&batch, ((stored.token_hash.unwrap_or_default(),), (id,)))
            .await?;
        let details = format!(
            "revoked API token \"{}\" ({id}) of {}",
            stored.label.unwrap_or_default(),
            stored.username.unwrap_or_default()
        );
        Ok(self
            .audit
            .record(actor, Event::new(Action::TokenRevoke, details))
            .await?)
    }
}
