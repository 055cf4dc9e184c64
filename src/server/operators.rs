//! Operators (the people and scripts allowed in), their API tokens, and sign-in throttling.
//! All of it lives in the app's keyspace, so every app server sees the same state.

use super::audit::{format_time, new_timeuuid, Actor, AuditLog, Event};
use super::config::Keyspace;
use super::db::{lwt, plain};
use super::passwords::{self, random_secret, secret_digest};
use super::store::{decode_error, lwt_outcome, with_retries, StoreError};
use crate::model::{ApiTokenSummary, NewApiToken, Operator, OperatorSummary, Role};
use crate::validate::{NewOperator, Password, Username};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// An operator as stored, with what sign-in needs.
#[derive(Clone, Debug)]
pub struct OperatorRecord {
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: String,
}

impl OperatorRecord {
    pub fn operator(&self) -> Operator {
        Operator {
            username: self.username.clone(),
            role: self.role,
        }
    }
}

/// The API token prefix makes tokens recognisable in configuration and secret scanners.
const TOKEN_PREFIX: &str = "cu_";

struct Statements {
    any_operator: PreparedStatement,
    operator: PreparedStatement,
    all_operators: PreparedStatement,
    insert_operator: PreparedStatement,
    claim_first_admin: PreparedStatement,
    set_role: PreparedStatement,
    set_disabled: PreparedStatement,
    set_password: PreparedStatement,
    insert_token: PreparedStatement,
    insert_token_hash: PreparedStatement,
    token_by_hash: PreparedStatement,
    token_by_id: PreparedStatement,
    all_tokens: PreparedStatement,
    delete_token: PreparedStatement,
    delete_token_hash: PreparedStatement,
    record_failure: PreparedStatement,
    count_failures: PreparedStatement,
    clear_failures: PreparedStatement,
    lock: PreparedStatement,
    lock_until: PreparedStatement,
}

pub struct OperatorStore {
    session: Arc<Session>,
    statements: Statements,
    audit: Arc<AuditLog>,
    /// Once an operator exists, one always does (there is no operator delete): no need to ask.
    setup_done: AtomicBool,
}

/// Admin tables are small (people and their scripts), so listing them reads at most this many.
const ADMIN_LIST_LIMIT: i32 = 10_000;

impl OperatorStore {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            any_operator: plain(&session, format!("SELECT username FROM {ks}.operators LIMIT 1")).await?,
            operator: plain(&session, format!("SELECT username, role, disabled, password_hash FROM {ks}.operators WHERE username = ?")).await?,
            all_operators: plain(&session, format!("SELECT username, role, disabled FROM {ks}.operators LIMIT {ADMIN_LIST_LIMIT}")).await?,
            insert_operator: lwt(&session, format!("INSERT INTO {ks}.operators (username, password_hash, role, disabled, created_at) VALUES (?, ?, ?, false, ?) IF NOT EXISTS")).await?,
            claim_first_admin: lwt(&session, format!("INSERT INTO {ks}.first_admin (claim, username) VALUES (0, ?) IF NOT EXISTS")).await?,
            set_role: lwt(&session, format!("UPDATE {ks}.operators SET role = ? WHERE username = ? IF EXISTS")).await?,
            set_disabled: lwt(&session, format!("UPDATE {ks}.operators SET disabled = ? WHERE username = ? IF EXISTS")).await?,
            set_password: lwt(&session, format!("UPDATE {ks}.operators SET password_hash = ? WHERE username = ? IF EXISTS")).await?,
            insert_token: plain(&session, format!("INSERT INTO {ks}.api_tokens (id, token_hash, label, username, created_at) VALUES (?, ?, ?, ?, ?)")).await?,
            insert_token_hash: plain(&session, format!("INSERT INTO {ks}.api_tokens_by_hash (token_hash, id, username) VALUES (?, ?, ?)")).await?,
            token_by_hash: plain(&session, format!("SELECT username FROM {ks}.api_tokens_by_hash WHERE token_hash = ?")).await?,
            token_by_id: plain(&session, format!("SELECT token_hash, label, username FROM {ks}.api_tokens WHERE id = ?")).await?,
            all_tokens: plain(&session, format!("SELECT id, label, username, created_at FROM {ks}.api_tokens LIMIT {ADMIN_LIST_LIMIT}")).await?,
            delete_token: plain(&session, format!("DELETE FROM {ks}.api_tokens WHERE id = ?")).await?,
            delete_token_hash: plain(&session, format!("DELETE FROM {ks}.api_tokens_by_hash WHERE token_hash = ?")).await?,
            record_failure: plain(&session, format!("INSERT INTO {ks}.sign_in_failures (username, at) VALUES (?, ?) USING TTL ?")).await?,
            count_failures: plain(&session, format!("SELECT COUNT(*) FROM {ks}.sign_in_failures WHERE username = ?")).await?,
            clear_failures: plain(&session, format!("DELETE FROM {ks}.sign_in_failures WHERE username = ?")).await?,
            lock: plain(&session, format!("INSERT INTO {ks}.sign_in_locks (username, until) VALUES (?, ?) USING TTL ?")).await?,
            lock_until: plain(&session, format!("SELECT until FROM {ks}.sign_in_locks WHERE username = ?")).await?,
        };
        Ok(OperatorStore {
            session,
            statements,
            audit,
            setup_done: AtomicBool::new(false),
        })
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Whether at least one operator exists (until then, the app only offers the setup page).
    pub async fn any_exists(&self) -> Result<bool, StoreError> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let result = self
            .session
            .execute_unpaged(&self.statements.any_operator, ())
            .await?;
        let exists = result.into_rows_result().map_err(decode_error)?.rows_num() > 0;
        if exists {
            self.setup_done.store(true, Ordering::Relaxed);
        }
        Ok(exists)
    }

    pub async fn get(&self, username: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.operator, (username,))
        })
        .await?;
        let row = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(String, Option<String>, Option<bool>, Option<String>)>()
            .map_err(decode_error)?;
        Ok(
            row.map(|(username, role, disabled, password_hash)| OperatorRecord {
                username,
                // A role this version does not know grants the least.
                role: role.and_then(|r| r.parse().ok()).unwrap_or(Role::Viewer),
                disabled: disabled.unwrap_or(false),
                password_hash: password_hash.unwrap_or_default(),
            }),
        )
    }

    /// The operator whose username and password these are, if they may sign in.
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<OperatorRecord>, StoreError> {
        let record = self.get(username).await?.filter(|record| !record.disabled);
        let stored = record.as_ref().map(|record| record.password_hash.clone());
        let matches = passwords::verify(password.to_owned(), stored).await;
        Ok(record.filter(|_| matches))
    }

    pub async fn list(&self) -> Result<Vec<OperatorSummary>, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.all_operators, ())
            .await?;
        let mut operators: Vec<OperatorSummary> = result
            .into_rows_result()
            .map_err(decode_error)?
            .rows::<(String, Option<String>, Option<bool>)>()
            .map_err(decode_error)?
            .map(|row| {
                row.map(|(username, role, disabled)| OperatorSummary {
                    username,
                    role: role.and_then(|r| r.parse().ok()).unwrap_or(Role::Viewer),
                    disabled: disabled.unwrap_or(false),
                })
                .map_err(decode_error)
            })
            .collect::<Result<_, _>>()?;
        operators.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(operators)
    }

    /// Adds an operator; `UsernameTaken` when the name is in use.
    pub async fn add(&self, new: &NewOperator, actor: &Actor) -> Result<Operator, StoreError> {
        let hash = passwords::hash(new.password.as_str().to_owned())
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let result = self
            .session
            .execute_unpaged(
                &self.statements.insert_operator,
                (
                    new.username.as_str(),
                    &hash,
                    new.role.as_str(),
                    OffsetDateTime::now_utc(),
                ),
            )
            .await?;
        if !lwt_applied(result)? {
            return Err(StoreError::UsernameTaken);
        }
        self.setup_done.store(true, Ordering::Relaxed);
        let details = format!("added operator {} as {}", new.username.as_str(), new.role);
        self.audit
            .record(actor, Event::new("operator add", details))
            .await?;
        Ok(Operator {
            username: new.username.as_str().to_owned(),
            role: new.role,
        })
    }

    /// Adds the first administrator, once: `SetupDone` when any operator exists already or
    /// another first administrator won the race.
    pub async fn add_first_admin(
        &self,
        username: &Username,
        password: &Password,
        actor: &Actor,
    ) -> Result<Operator, StoreError> {
        if self.any_exists().await? {
            return Err(StoreError::SetupDone);
        }
        let claim = self
            .session
            .execute_unpaged(&self.statements.claim_first_admin, (username.as_str(),))
            .await?;
        if !lwt_applied(claim)? {
            return Err(StoreError::SetupDone);
        }
        let new = NewOperator {
            username: username.clone(),
            role: Role::Admin,
            password: password.clone(),
        };
        self.add(&new, actor).await
    }

    pub async fn set_role(
        &self,
        username: &Username,
        role: Role,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.change(
            &self.statements.set_role,
            (role.as_str(), username.as_str()),
        )
        .await?;
        let details = format!("set the role of {} to {role}", username.as_str());
        self.audit
            .record(actor, Event::new("operator role", details))
            .await
    }

    /// Disables (or enables again) an operator: a disabled one cannot sign in, their sessions
    /// end at their next request and their API tokens stop working.
    pub async fn set_disabled(
        &self,
        username: &Username,
        disabled: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.change(&self.statements.set_disabled, (disabled, username.as_str()))
            .await?;
        let (action, verb) = if disabled {
            ("operator disable", "disabled")
        } else {
            ("operator enable", "enabled")
        };
        let details = format!("{verb} operator {}", username.as_str());
        self.audit.record(actor, Event::new(action, details)).await
    }

    /// Sets a new password; the operator's existing sessions end, because each session is bound
    /// to the password hash it was signed in with.
    pub async fn set_password(
        &self,
        username: &Username,
        password: &Password,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let hash = passwords::hash(password.as_str().to_owned())
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        self.change(&self.statements.set_password, (&hash, username.as_str()))
            .await?;
        let details = format!("reset the password of {}", username.as_str());
        self.audit
            .record(actor, Event::new("operator password", details))
            .await
    }

    /// Runs an `UPDATE ... IF EXISTS` on one operator: `NotFound` when there is none.
    async fn change(
        &self,
        statement: &PreparedStatement,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<(), StoreError> {
        let result = self.session.execute_unpaged(statement, values).await?;
        if lwt_applied(result)? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// A new API token for an existing, enabled operator. Only its digest is stored.
    pub async fn create_token(
        &self,
        operator: &Username,
        label: &str,
        actor: &Actor,
    ) -> Result<NewApiToken, StoreError> {
        let owner = self
            .get(operator.as_str())
            .await?
            .filter(|record| !record.disabled)
            .ok_or(StoreError::NotFound)?;
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
        self.session
            .batch(
                &batch,
                (
                    (
                        id,
                        &digest,
                        &label,
                        &owner.username,
                        OffsetDateTime::now_utc(),
                    ),
                    (&digest, id, &owner.username),
                ),
            )
            .await?;
        let details = format!(
            "created API token \"{label}\" ({id}) for {}",
            owner.username
        );
        self.audit
            .record(actor, Event::new("token create", details))
            .await?;
        Ok(NewApiToken {
            id,
            label,
            operator: owner.username,
            secret,
        })
    }

    /// The operator an API token acts as, if the token exists and its operator may sign in.
    pub async fn operator_for_token(&self, secret: &str) -> Result<Option<Operator>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let digest = secret_digest(secret);
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.token_by_hash, (&digest,))
        })
        .await?;
        let owner = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<String>,)>()
            .map_err(decode_error)?
            .and_then(|(owner,)| owner);
        let Some(owner) = owner else { return Ok(None) };
        Ok(self
            .get(&owner)
            .await?
            .filter(|record| !record.disabled)
            .map(|record| record.operator()))
    }

    pub async fn list_tokens(&self) -> Result<Vec<ApiTokenSummary>, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.all_tokens, ())
            .await?;
        let mut tokens: Vec<(OffsetDateTime, ApiTokenSummary)> = result
            .into_rows_result()
            .map_err(decode_error)?
            .rows::<(Uuid, Option<String>, Option<String>, Option<OffsetDateTime>)>()
            .map_err(decode_error)?
            .map(|row| {
                row.map(|(id, label, operator, created)| {
                    let created = created.unwrap_or(OffsetDateTime::UNIX_EPOCH);
                    let summary = ApiTokenSummary {
                        id,
                        label: label.unwrap_or_default(),
                        operator: operator.unwrap_or_default(),
                        created: format_time(created),
                    };
                    (created, summary)
                })
                .map_err(decode_error)
            })
            .collect::<Result<_, _>>()?;
        tokens.sort_by_key(|(created, _)| std::cmp::Reverse(*created));
        Ok(tokens.into_iter().map(|(_, token)| token).collect())
    }

    /// Revokes a token by its id: it stops working at once.
    pub async fn revoke_token(&self, id: Uuid, actor: &Actor) -> Result<(), StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.token_by_id, (id,))
            .await?;
        let (digest, label, owner) = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<String>, Option<String>, Option<String>)>()
            .map_err(decode_error)?
            .ok_or(StoreError::NotFound)?;
        let mut batch = Batch::new(BatchType::Logged);
        batch.append_statement(self.statements.delete_token_hash.clone());
        batch.append_statement(self.statements.delete_token.clone());
        self.session
            .batch(&batch, ((digest.unwrap_or_default(),), (id,)))
            .await?;
        let details = format!(
            "revoked API token \"{}\" ({id}) of {}",
            label.unwrap_or_default(),
            owner.unwrap_or_default()
        );
        self.audit
            .record(actor, Event::new("token revoke", details))
            .await
    }

    /// How many whole minutes (rounded up) `username` stays locked, if it is.
    pub async fn locked_for(&self, username: &str) -> Result<Option<u32>, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.lock_until, (username,))
            .await?;
        let until = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<OffsetDateTime>,)>()
            .map_err(decode_error)?
            .and_then(|(until,)| until);
        let remaining = until.map(|until| until - OffsetDateTime::now_utc());
        Ok(remaining
            .filter(|left| left.is_positive())
            .map(|left| ((left.whole_seconds() + 59) / 60).max(1) as u32))
    }

    /// Counts a failed sign-in; at `max_failures` within `window`, locks the username for
    /// `window`. Returns the minutes locked when this failure locked it.
    pub async fn record_failure(
        &self,
        username: &str,
        window: Duration,
        max_failures: i64,
    ) -> Result<Option<u32>, StoreError> {
        let ttl = i32::try_from(window.as_secs()).unwrap_or(i32::MAX);
        self.session
            .execute_unpaged(
                &self.statements.record_failure,
                (username, CqlTimeuuid::from(new_timeuuid()), ttl),
            )
            .await?;
        let result = self
            .session
            .execute_unpaged(&self.statements.count_failures, (username,))
            .await?;
        let (failures,) = result
            .into_rows_result()
            .map_err(decode_error)?
            .single_row::<(i64,)>()
            .map_err(decode_error)?;
        if failures < max_failures {
            return Ok(None);
        }
        let until = OffsetDateTime::now_utc() + window;
        self.session
            .execute_unpaged(&self.statements.lock, (username, until, ttl))
            .await?;
        self.session
            .execute_unpaged(&self.statements.clear_failures, (username,))
            .await?;
        Ok(Some(window.as_secs().div_ceil(60) as u32))
    }

    pub async fn clear_failures(&self, username: &str) -> Result<(), StoreError> {
        self.session
            .execute_unpaged(&self.statements.clear_failures, (username,))
            .await?;
        Ok(())
    }
}

/// Whether an LWT applied (its other columns differ between outcomes and are not needed here).
fn lwt_applied(result: scylla::response::query_result::QueryResult) -> Result<bool, StoreError> {
    lwt_outcome(result, "").map(|(applied, _)| applied)
}
