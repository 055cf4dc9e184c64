//! Passkeys (WebAuthn) as a second factor: registered from the Security page, asked for at
//! sign-in instead of a code. `webauthn-rs` runs the ceremonies and their checks; a ceremony's
//! state travels through the caller (the sign-in session), and the passkeys live here, one row
//! each in the operator's partition, with a table by credential id that keeps a credential to
//! one operator.

use super::error::OperatorError;
use crate::model::PasskeySummary;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::{Keyspace, PasskeySettings};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::OffsetDateTime;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Uuid, Webauthn,
};

/// More passkeys than this per operator are refused (and this bounds the partition read).
pub const MAX_PASSKEYS: usize = 10;
/// The longest name of a passkey.
pub const PASSKEY_NAME_MAX_CHARS: usize = 60;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.operator_passkeys (username text, credential_id text, name text, passkey text, created_at timestamp, PRIMARY KEY (username, credential_id))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.passkey_credentials (credential_id text PRIMARY KEY, username text)"),
    ]
}

struct Statements {
    of_operator: PreparedStatement,
    any_of_operator: PreparedStatement,
    claim_credential: PreparedStatement,
    insert: PreparedStatement,
    update: PreparedStatement,
    delete: PreparedStatement,
    release_credential: PreparedStatement,
}

/// One stored passkey with what the page shows of it.
struct Stored {
    summary: PasskeySummary,
    passkey: Passkey,
}

pub struct Passkeys {
    session: Arc<Session>,
    statements: Statements,
    settings: PasskeySettings,
    webauthn: Webauthn,
    audit: Arc<AuditLog>,
}

impl Passkeys {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        settings: PasskeySettings,
        webauthn: Webauthn,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            of_operator: plain(&session, format!("SELECT credential_id, name, passkey, created_at FROM {ks}.operator_passkeys WHERE username = ? LIMIT {}", MAX_PASSKEYS + 1)).await?,
            any_of_operator: plain(&session, format!("SELECT credential_id FROM {ks}.operator_passkeys WHERE username = ? LIMIT 1")).await?,
            claim_credential: lwt(&session, format!("INSERT INTO {ks}.passkey_credentials (credential_id, username) VALUES (?, ?) IF NOT EXISTS")).await?,
            insert: plain(&session, format!("INSERT INTO {ks}.operator_passkeys (username, credential_id, name, passkey, created_at) VALUES (?, ?, ?, ?, ?)")).await?,
            update: plain(&session, format!("UPDATE {ks}.operator_passkeys SET passkey = ? WHERE username = ? AND credential_id = ?")).await?,
            delete: lwt(&session, format!("DELETE FROM {ks}.operator_passkeys WHERE username = ? AND credential_id = ? IF EXISTS")).await?,
            release_credential: plain(&session, format!("DELETE FROM {ks}.passkey_credentials WHERE credential_id = ?")).await?,
        };
        Ok(Passkeys {
            session,
            statements,
            settings,
            webauthn,
            audit,
        })
    }

    /// Why a page reached at `host` (the request's Host) cannot add or use passkeys, if it cannot.
    pub fn unavailable_at(&self, host: &str) -> Option<String> {
        (!self.settings.serves(host)).then(|| {
            format!(
                "Passkeys need this console's host name ({}), and this page was reached at {host}: \
                 open it at its name to add or use one. The authenticator app works anywhere.",
                self.settings.rp_id
            )
        })
    }

    /// The operator's passkeys, oldest first.
    pub async fn list(&self, username: &str) -> Result<Vec<PasskeySummary>, OperatorError> {
        let mut summaries: Vec<PasskeySummary> = self
            .stored(username)
            .await?
            .into_iter()
            .map(|stored| stored.summary)
            .collect();
        summaries.sort_by(|a, b| a.added.cmp(&b.added));
        Ok(summaries)
    }

    /// Whether the operator has a passkey (asked at every password sign-in: one row, not read).
    pub async fn any_for(&self, username: &str) -> Result<bool, OperatorError> {
        let rows = self
            .session
            .execute_unpaged(&self.statements.any_of_operator, (username,))
            .await?
            .into_rows_result()?;
        Ok(rows.rows_num() > 0)
    }

    /// Starts registering a passkey: the options for the browser, and the state to finish with.
    pub async fn begin_registration(
        &self,
        username: &str,
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), OperatorError> {
        let existing = self.stored(username).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(OperatorError::TooManyPasskeys);
        }
        let exclude = existing
            .iter()
            .map(|stored| stored.passkey.cred_id().clone())
            .collect();
        self.webauthn
            .start_passkey_registration(user_handle(username), username, username, Some(exclude))
            .map_err(|e| OperatorError::PasskeyRefused(e.to_string()))
    }

    /// Checks the browser's answer against `state` and keeps the passkey under `name`.
    pub async fn finish_registration(
        &self,
        username: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
        actor: &Actor,
    ) -> Result<(), OperatorError> {
        let passkey = self
            .webauthn
            .finish_passkey_registration(credential, state)
            .map_err(|e| OperatorError::PasskeyRefused(e.to_string()))?;
        let id = URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref());
        let claim = self
            .session
            .execute_unpaged(&self.statements.claim_credential, (&id, username))
            .await?;
        if !lwt_applied(claim)? {
            return Err(OperatorError::PasskeyRefused(
                "this passkey is registered already".into(),
            ));
        }
        let row = (
            username,
            &id,
            name,
            serialized(&passkey)?,
            OffsetDateTime::now_utc(),
        );
        self.session
            .execute_unpaged(&self.statements.insert, row)
            .await?;
        let details = format!("added a passkey ({name})");
        self.audit
            .record(actor, Event::new(Action::SecondFactorAdd, details))
            .await?;
        Ok(())
    }

    /// Starts asking for one of the operator's passkeys; `None` when they have none.
    pub async fn begin_authentication(
        &self,
        username: &str,
    ) -> Result<Option<(RequestChallengeResponse, PasskeyAuthentication)>, OperatorError> {
        let passkeys: Vec<Passkey> = self
            .stored(username)
            .await?
            .into_iter()
            .map(|stored| stored.passkey)
            .collect();
        if passkeys.is_empty() {
            return Ok(None);
        }
        let started = self.webauthn.start_passkey_authentication(&passkeys);
        started
            .map(Some)
            .map_err(|e| OperatorError::PasskeyRefused(e.to_string()))
    }

    /// Checks a passkey's answer against `state`; `PasskeyRefused` when it does not verify.
    /// The passkey's signature counter is kept up to date.
    pub async fn finish_authentication(
        &self,
        username: &str,
        credential: &PublicKeyCredential,
        state: &PasskeyAuthentication,
    ) -> Result<(), OperatorError> {
        let result = self
            .webauthn
            .finish_passkey_authentication(credential, state)
            .map_err(|e| OperatorError::PasskeyRefused(e.to_string()))?;
        if result.needs_update() {
            for mut stored in self.stored(username).await? {
                if stored.passkey.update_credential(&result) == Some(true) {
                    let values = (serialized(&stored.passkey)?, username, &stored.summary.id);
                    self.session
                        .execute_unpaged(&self.statements.update, values)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Removes one passkey; `NotFound` when the operator has none by that id.
    pub async fn remove(
        &self,
        username: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(), OperatorError> {
        let stored = self.stored(username).await?;
        let Some(removed) = stored.iter().find(|stored| stored.summary.id == id) else {
            return Err(OperatorError::NotFound);
        };
        self.delete(username, id).await?;
        let details = format!("removed a passkey ({})", removed.summary.name);
        Ok(self
            .audit
            .record(actor, Event::new(Action::SecondFactorRemove, details))
            .await?)
    }

    /// Removes every passkey of the operator (an admin's reset; the caller audits it).
    pub async fn remove_all(&self, username: &str) -> Result<(), OperatorError> {
        for stored in self.stored(username).await? {
            self.delete(username, &stored.summary.id).await?;
        }
        Ok(())
    }

    async fn delete(&self, username: &str, id: &str) -> Result<(), OperatorError> {
        self.session
            .execute_unpaged(&self.statements.delete, (username, id))
            .await?;
        self.session
            .execute_unpaged(&self.statements.release_credential, (id,))
            .await?;
        Ok(())
    }

    async fn stored(&self, username: &str) -> Result<Vec<Stored>, OperatorError> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<OffsetDateTime>,
        );
        let rows = self
            .session
            .execute_unpaged(&self.statements.of_operator, (username,))
            .await?
            .into_rows_result()?;
        let mut stored = Vec::new();
        for row in rows.rows::<Row>()? {
            let (id, name, passkey, created_at) = row?;
            // A row whose passkey cannot be read is skipped, not a failed sign-in for all.
            let Some(passkey) = passkey.and_then(|json| serde_json::from_str(&json).ok()) else {
                tracing::warn!(username, credential = %id, "a stored passkey could not be read");
                continue;
            };
            stored.push(Stored {
                summary: PasskeySummary {
                    id,
                    name: name.unwrap_or_default(),
                    added: created_at
                        .map(|at| at.date().to_string())
                        .unwrap_or_default(),
                },
                passkey,
            });
        }
        Ok(stored)
    }
}

/// The WebAuthn user handle of an operator: the same for each of their passkeys, and not
/// their name.
fn user_handle(username: &str) -> Uuid {
    let digest = Sha256::digest(format!("cassandra-users operator {username}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn serialized(passkey: &Passkey) -> Result<String, OperatorError> {
    serde_json::to_string(passkey).map_err(OperatorError::SessionData)
}
