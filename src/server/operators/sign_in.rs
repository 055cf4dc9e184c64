//! The sign-in rules: a username with `MAX_FAILED_SIGN_INS` failures within the lockout window
//! is refused for that long, whatever the password; every attempt is in the audit trail. The
//! failures and locks are rows with TTLs, so every app server sees the same and Cassandra
//! forgets them by itself.

use super::error::OperatorError;
use super::store::{OperatorRecord, Operators};
use crate::server::audit::time::new_timeuuid;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::telemetry::SIGN_INS;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Failed sign-ins for one username, within the lockout window, that lock it.
pub const MAX_FAILED_SIGN_INS: i32 = 5;

struct Statements {
    record_failure: PreparedStatement,
    recent_failures: PreparedStatement,
    clear_failures: PreparedStatement,
    lock: PreparedStatement,
    lock_until: PreparedStatement,
}

pub struct SignIns {
    session: Arc<Session>,
    statements: Statements,
    operators: Arc<Operators>,
    audit: Arc<AuditLog>,
}

impl SignIns {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        operators: Arc<Operators>,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            record_failure: plain(
                &session,
                format!(
                    "INSERT INTO {ks}.sign_in_failures (username, at) VALUES (?, ?) USING TTL ?"
                ),
            )
            .await?,
            // One partition slice, never longer than what locks the username.
            recent_failures: plain(
                &session,
                format!("SELECT at FROM {ks}.sign_in_failures WHERE username = ? LIMIT ?"),
            )
            .await?,
            clear_failures: plain(
                &session,
                format!("DELETE FROM {ks}.sign_in_failures WHERE username = ?"),
            )
            .await?,
            lock: plain(
                &session,
                format!(
                    "INSERT INTO {ks}.sign_in_locks (username, until) VALUES (?, ?) USING TTL ?"
                ),
            )
            .await?,
            lock_until: plain(
                &session,
                format!("SELECT until FROM {ks}.sign_in_locks WHERE username = ?"),
            )
            .await?,
        };
        Ok(SignIns {
            session,
            statements,
            operators,
            audit,
        })
    }

    /// The operator whose username and password these are, if they may sign in now; every
    /// refusal is recorded. Failures within `window` count towards a lock of `window`.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        window: Duration,
        from: Option<IpAddr>,
    ) -> Result<OperatorRecord, OperatorError> {
        let key = username.trim().to_lowercase();
        self.refuse_if_locked(&key, from).await?;
        let Some(operator) = self.operators.check_password(&key, password).await? else {
            let locked = self
                .failed(&key, "wrong username or password", window, from)
                .await?;
            return Err(locked.map_or(OperatorError::WrongCredentials, |minutes| {
                OperatorError::LockedOut { minutes }
            }));
        };
        Ok(operator)
    }

    /// `LockedOut` (recorded) while `username` is locked.
    pub async fn refuse_if_locked(
        &self,
        username: &str,
        from: Option<IpAddr>,
    ) -> Result<(), OperatorError> {
        let Some(minutes) = self.locked_for(username).await? else {
            return Ok(());
        };
        let event = Event::new(
            Action::SignInRefused,
            format!("refused: the username is locked{}", from_address(from)),
        );
        self.audit
            .record(&Actor::Operator(username.to_owned()), event)
            .await?;
        metrics::counter!(SIGN_INS, "outcome" => "locked_out").increment(1);
        Err(OperatorError::LockedOut { minutes })
    }

    /// Records a wrong second-factor code at sign-in: it counts towards the same lock as a
    /// wrong password. `LockedOut` when this one locked the username.
    pub async fn second_factor_failed(
        &self,
        username: &str,
        window: Duration,
        from: Option<IpAddr>,
    ) -> Result<(), OperatorError> {
        let locked = self
            .failed(username, "wrong second-factor code", window, from)
            .await?;
        match locked {
            Some(minutes) => Err(OperatorError::LockedOut { minutes }),
            None => Ok(()),
        }
    }

    /// A failed attempt of `username` (`what` went wrong): counted towards the lock, audited and
    /// measured. Returns the minutes locked when this failure locked it.
    async fn failed(
        &self,
        username: &str,
        what: &str,
        window: Duration,
        from: Option<IpAddr>,
    ) -> Result<Option<u32>, OperatorError> {
        let locked = self.record_failure(username, window).await?;
        let event = Event::new(
            Action::SignInFailed,
            format!("{what}{}", from_address(from)),
        );
        self.audit
            .record(&Actor::Operator(username.to_owned()), event)
            .await?;
        let outcome = if locked.is_some() {
            "locked_out"
        } else {
            "failed"
        };
        metrics::counter!(SIGN_INS, "outcome" => outcome).increment(1);
        Ok(locked)
    }

    /// Records that `operator` signed in, and forgets their failed attempts.
    pub async fn succeeded(
        &self,
        operator: &OperatorRecord,
        from: Option<IpAddr>,
    ) -> Result<(), OperatorError> {
        metrics::counter!(SIGN_INS, "outcome" => "succeeded").increment(1);
        let actor = Actor::Operator(operator.username.clone());
        self.audit
            .record(
                &actor,
                Event::new(Action::SignIn, format!("signed in{}", from_address(from))),
            )
            .await?;
        self.session
            .execute_unpaged(&self.statements.clear_failures, (&operator.username,))
            .await?;
        Ok(())
    }

    pub async fn signed_out(&self, username: &str) -> Result<(), OperatorError> {
        let actor = Actor::Operator(username.to_owned());
        Ok(self
            .audit
            .record(&actor, Event::new(Action::SignOut, "signed out"))
            .await?)
    }

    /// How many whole minutes (rounded up) `username` stays locked, if it is.
    async fn locked_for(&self, username: &str) -> Result<Option<u32>, OperatorError> {
        let until = self
            .session
            .execute_unpaged(&self.statements.lock_until, (username,))
            .await?
            .into_rows_result()?
            .maybe_first_row::<(Option<OffsetDateTime>,)>()?
            .and_then(|(until,)| until);
        let remaining = until.map(|until| until - OffsetDateTime::now_utc());
        Ok(remaining
            .filter(|left| left.is_positive())
            .map(|left| ((left.whole_seconds() + 59) / 60).max(1) as u32))
    }

    /// Counts a failed sign-in; at `MAX_FAILED_SIGN_INS` within `window`, locks the username for
    /// `window`. Returns the minutes locked when this failure locked it.
    async fn record_failure(
        &self,
        username: &str,
        window: Duration,
    ) -> Result<Option<u32>, OperatorError> {
        let ttl = i32::try_from(window.as_secs()).unwrap_or(i32::MAX);
        self.session
            .execute_unpaged(
                &self.statements.record_failure,
                (username, CqlTimeuuid::from(new_timeuuid()), ttl),
            )
            .await?;
        let failures = self
            .session
            .execute_unpaged(
                &self.statements.recent_failures,
                (username, MAX_FAILED_SIGN_INS),
            )
            .await?
            .into_rows_result()?
            .rows_num();
        if failures < MAX_FAILED_SIGN_INS as usize {
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
}

/// " from ADDRESS" for an audit event's details, so the trail says where an attempt came from
/// (the client's address as `TRUSTED_PROXIES` decides it), or nothing when it is not known.
fn from_address(from: Option<IpAddr>) -> String {
    from.map(|address| format!(" from {address}"))
        .unwrap_or_default()
}
