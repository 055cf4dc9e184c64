//! Operators' second factors, in Cassandra so that a sign-in begun on one app server finishes
//! on another: an authenticator app's secret (sealed with `SECRETS_KEY_FILE`'s key), the 30 s
//! steps whose codes were used (a code works once, ASVS V6.5.1; rows expire after the steps
//! could be accepted), and recovery codes, stored as SHA-256 hashes (each is 80 random bits,
//! so a fast hash is enough) and used up by a lightweight transaction.

use super::authenticator::{Authenticator, STEP_SECONDS};
use super::error::OperatorError;
use super::passkeys::Passkeys;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::{Keyspace, SecretsKey};
use rand::RngCore;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::DeserializeRow;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::OffsetDateTime;

/// Recovery codes made at once; making them again replaces every earlier one.
pub const RECOVERY_CODES: usize = 10;
/// A used step is remembered past the last moment its code could be accepted (one step of skew).
const USED_STEP_TTL_SECONDS: i32 = (STEP_SECONDS * 4) as i32;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.operator_authenticators (username text PRIMARY KEY, sealed_secret blob, confirmed boolean, added_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.used_totp_steps (username text, step bigint, PRIMARY KEY (username, step))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.recovery_codes (username text, code_hash text, PRIMARY KEY (username, code_hash))"),
    ]
}

/// Which second factor a code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorUsed {
    Authenticator,
    RecoveryCode,
}

/// An operator's authenticator app as stored.
#[derive(Clone, Debug)]
pub struct AuthenticatorState {
    pub confirmed: bool,
    pub added_at: Option<OffsetDateTime>,
}

#[derive(DeserializeRow)]
struct AuthenticatorRow {
    sealed_secret: Option<Vec<u8>>,
    confirmed: Option<bool>,
    added_at: Option<OffsetDateTime>,
}

struct Statements {
    authenticator: PreparedStatement,
    put_authenticator: PreparedStatement,
    confirm_authenticator: PreparedStatement,
    remove_authenticator: PreparedStatement,
    use_step: PreparedStatement,
    recovery_codes: PreparedStatement,
    add_recovery_code: PreparedStatement,
    use_recovery_code: PreparedStatement,
    remove_recovery_codes: PreparedStatement,
}

pub struct SecondFactors {
    session: Arc<Session>,
    statements: Statements,
    key: Option<SecretsKey>,
    passkeys: Arc<Passkeys>,
    audit: Arc<AuditLog>,
}

impl SecondFactors {
    /// Without `key`, authenticator apps cannot be added (nor checked: their secrets cannot be
    /// opened); recovery codes still work.
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        key: Option<SecretsKey>,
        passkeys: Arc<Passkeys>,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let s = &session;
        let statements = Statements {
            authenticator: plain(s, format!("SELECT sealed_secret, confirmed, added_at FROM {ks}.operator_authenticators WHERE username = ?")).await?,
            put_authenticator: plain(s, format!("INSERT INTO {ks}.operator_authenticators (username, sealed_secret, confirmed, added_at) VALUES (?, ?, false, ?)")).await?,
            confirm_authenticator: plain(s, format!("UPDATE {ks}.operator_authenticators SET confirmed = true WHERE username = ?")).await?,
            remove_authenticator: plain(s, format!("DELETE FROM {ks}.operator_authenticators WHERE username = ?")).await?,
            use_step: lwt(s, format!("INSERT INTO {ks}.used_totp_steps (username, step) VALUES (?, ?) IF NOT EXISTS USING TTL {USED_STEP_TTL_SECONDS}")).await?,
            recovery_codes: plain(s, format!("SELECT code_hash FROM {ks}.recovery_codes WHERE username = ? LIMIT {}", RECOVERY_CODES * 2)).await?,
            add_recovery_code: plain(s, format!("INSERT INTO {ks}.recovery_codes (username, code_hash) VALUES (?, ?)")).await?,
            use_recovery_code: lwt(s, format!("DELETE FROM {ks}.recovery_codes WHERE username = ? AND code_hash = ? IF EXISTS")).await?,
            remove_recovery_codes: plain(s, format!("DELETE FROM {ks}.recovery_codes WHERE username = ?")).await?,
        };
        Ok(SecondFactors {
            session,
            statements,
            key,
            passkeys,
            audit,
        })
    }

    /// Whether authenticator apps can be added here (`SECRETS_KEY_FILE` is set).
    pub fn can_add_authenticators(&self) -> bool {
        self.key.is_some()
    }

    pub async fn authenticator_state(
        &self,
        username: &str,
    ) -> Result<Option<AuthenticatorState>, OperatorError> {
        Ok(self
            .authenticator_row(username)
            .await?
            .map(|row| AuthenticatorState {
                confirmed: row.confirmed.unwrap_or(false),
                added_at: row.added_at,
            }))
    }

    /// Whether a password sign-in of `username` must be followed by a code: it has an
    /// authenticator app (recovery codes stand in for one; alone they are not a factor).
    pub async fn required_for(&self, username: &str) -> Result<bool, OperatorError> {
        let app = self.authenticator_state(username).await?;
        Ok(app.is_some_and(|state| state.confirmed) || self.passkeys.any_for(username).await?)
    }

    /// Starts adding an authenticator app: a new secret, stored unconfirmed until a first code
    /// confirms it (replacing one not confirmed yet).
    pub async fn begin_authenticator(
        &self,
        username: &str,
    ) -> Result<Authenticator, OperatorError> {
        let key = self.key.as_ref().ok_or(OperatorError::NoSecretsKey)?;
        if self
            .authenticator_state(username)
            .await?
            .is_some_and(|state| state.confirmed)
        {
            return Err(OperatorError::AuthenticatorExists);
        }
        let authenticator = Authenticator::generate(username);
        let sealed = key.seal(authenticator.secret(), username);
        self.session
            .execute_unpaged(
                &self.statements.put_authenticator,
                (username, sealed, OffsetDateTime::now_utc()),
            )
            .await?;
        Ok(authenticator)
    }

    /// The operator's authenticator app as stored and, while it is being added (not confirmed
    /// yet), the app itself, to show its secret and QR code again: one read.
    pub async fn authenticator_and_setup(
        &self,
        username: &str,
    ) -> Result<(Option<AuthenticatorState>, Option<Authenticator>), OperatorError> {
        let Some(row) = self.authenticator_row(username).await? else {
            return Ok((None, None));
        };
        let confirmed = row.confirmed.unwrap_or(false);
        let being_added = if confirmed {
            None
        } else {
            Some(self.open(username, &row)?)
        };
        let state = AuthenticatorState {
            confirmed,
            added_at: row.added_at,
        };
        Ok((Some(state), being_added))
    }

    /// Confirms the authenticator being added with a first code from the app.
    pub async fn confirm_authenticator(
        &self,
        username: &str,
        code: &str,
    ) -> Result<(), OperatorError> {
        let row = self
            .authenticator_row(username)
            .await?
            .filter(|row| !row.confirmed.unwrap_or(false))
            .ok_or(OperatorError::NoAuthenticatorBeingAdded)?;
        let authenticator = self.open(username, &row)?;
        self.use_code(username, &authenticator, code).await?;
        self.session
            .execute_unpaged(&self.statements.confirm_authenticator, (username,))
            .await?;
        self.record(
            username,
            Action::SecondFactorAdd,
            "added an authenticator app",
        )
        .await
    }

    /// Removes the operator's authenticator app, or the one being added.
    pub async fn remove_authenticator(&self, username: &str) -> Result<(), OperatorError> {
        self.session
            .execute_unpaged(&self.statements.remove_authenticator, (username,))
            .await?;
        self.record(
            username,
            Action::SecondFactorRemove,
            "removed their authenticator app",
        )
        .await
    }

    /// Checks the code typed at sign-in: the authenticator app's code of now (once), or an
    /// unused recovery code (used up by this call).
    pub async fn verify(&self, username: &str, code: &str) -> Result<FactorUsed, OperatorError> {
        let typed = code.trim();
        // An app's code is digits; a recovery code has letters (or hyphens) among them.
        if typed
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace())
        {
            let row = self
                .authenticator_row(username)
                .await?
                .filter(|row| row.confirmed.unwrap_or(false))
                .ok_or(OperatorError::WrongCode)?;
            let authenticator = self.open(username, &row)?;
            self.use_code(username, &authenticator, typed).await?;
            return Ok(FactorUsed::Authenticator);
        }
        let used = self
            .session
            .execute_unpaged(
                &self.statements.use_recovery_code,
                (username, recovery_code_hash(typed)),
            )
            .await?;
        if lwt_applied(used)? {
            Ok(FactorUsed::RecoveryCode)
        } else {
            Err(OperatorError::WrongCode)
        }
    }

    /// Ten new recovery codes, replacing any earlier ones; only their hashes are kept.
    pub async fn new_recovery_codes(&self, username: &str) -> Result<Vec<String>, OperatorError> {
        self.session
            .execute_unpaged(&self.statements.remove_recovery_codes, (username,))
            .await?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        for code in &codes {
            self.session
                .execute_unpaged(
                    &self.statements.add_recovery_code,
                    (username, recovery_code_hash(code)),
                )
                .await?;
        }
        self.record(username, Action::SecondFactorAdd, "made new recovery codes")
            .await?;
        Ok(codes)
    }

    pub async fn recovery_codes_left(&self, username: &str) -> Result<usize, OperatorError> {
        Ok(self
            .session
            .execute_unpaged(&self.statements.recovery_codes, (username,))
            .await?
            .into_rows_result()?
            .rows_num())
    }

    /// Removes every second factor of `username` (an admin's reset, when a phone is lost):
    /// their password alone signs them in again, until they add an app.
    pub async fn reset(&self, username: &str, actor: &Actor) -> Result<(), OperatorError> {
        self.session
            .execute_unpaged(&self.statements.remove_authenticator, (username,))
            .await?;
        self.session
            .execute_unpaged(&self.statements.remove_recovery_codes, (username,))
            .await?;
        self.passkeys.remove_all(username).await?;
        let details = format!("reset the second factors of {username}");
        let event = Event::new(Action::SecondFactorRemove, details);
        Ok(self.audit.record(actor, event).await?)
    }

    async fn record(
        &self,
        username: &str,
        action: Action,
        details: &str,
    ) -> Result<(), OperatorError> {
        let actor = Actor::Operator(username.to_owned());
        Ok(self
            .audit
            .record(&actor, Event::new(action, details))
            .await?)
    }

    async fn authenticator_row(
        &self,
        username: &str,
    ) -> Result<Option<AuthenticatorRow>, OperatorError> {
        Ok(self
            .session
            .execute_unpaged(&self.statements.authenticator, (username,))
            .await?
            .into_rows_result()?
            .maybe_first_row::<AuthenticatorRow>()?)
    }

    fn open(&self, username: &str, row: &AuthenticatorRow) -> Result<Authenticator, OperatorError> {
        let key = self.key.as_ref().ok_or(OperatorError::NoSecretsKey)?;
        let sealed = row.sealed_secret.as_deref().unwrap_or_default();
        key.open(sealed, username)
            .and_then(|secret| Authenticator::from_secret(secret, username))
            .ok_or(OperatorError::SecretNotReadable)
    }

    /// Accepts `code` once: its step is recorded by a lightweight transaction, so the same code
    /// typed again (here or on another app server) within its life is refused.
    async fn use_code(
        &self,
        username: &str,
        authenticator: &Authenticator,
        code: &str,
    ) -> Result<(), OperatorError> {
        let now = OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        let step = authenticator
            .step_of(code, now)
            .ok_or(OperatorError::WrongCode)?;
        let recorded = self
            .session
            .execute_unpaged(&self.statements.use_step, (username, step as i64))
            .await?;
        if lwt_applied(recorded)? {
            Ok(())
        } else {
            Err(OperatorError::CodeAlreadyUsed)
        }
    }
}

/// A recovery code as a person copies it: 16 characters of Crockford-like base32 (80 bits) in
/// four groups, e.g. `7KQ2-M9XD-4TWC-H8PN`.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|byte| ALPHABET[usize::from(byte % 32)] as char)
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Hyphens, spaces and case do not matter when a recovery code is typed.
fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let digest = Sha256::digest(normal.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::{new_recovery_code, recovery_code_hash};

    #[test]
    fn a_recovery_code_is_four_groups_and_matches_however_it_is_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        assert_eq!(code.split('-').count(), 4);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(recovery_code_hash(&typed), recovery_code_hash(&code));
        assert_ne!(
            recovery_code_hash(&new_recovery_code()),
            recovery_code_hash(&code)
        );
    }
}
