//! Who is asking, for browsers: `axum-login` keeps the signed-in operator in a `tower-sessions`
//! session stored in Cassandra (`sessions`). The session is bound to the operator's password
//! hash, so a password reset ends every other session.

use super::sessions::CassandraSessions;
use crate::error::AppError;
use crate::server::cassandra::StorageError;
use crate::server::config::SignInSettings;
use crate::server::operators::{OperatorError, OperatorRecord};
use crate::server::stores::{Database, Stores};
use axum_login::{AuthManagerLayer, AuthManagerLayerBuilder, AuthUser, AuthnBackend};
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub const SESSION_COOKIE: &str = "cassandra_users_session";
/// Session key holding the sign-in time (Unix seconds), for the absolute timeout.
pub const SIGNED_IN_AT: &str = "signed_in_at";
/// Session key: the operator whose password was right and whose second factor is awaited, with
/// the time (Unix seconds) the password was.
const AWAITING_SECOND_FACTOR: &str = "awaiting_second_factor";
/// Session key: this session passed a second factor (at sign-in, or by adding one).
const SECOND_FACTOR_PASSED: &str = "second_factor_passed";
/// How long after the password the second step may be finished.
const SECOND_STEP_SECONDS: i64 = 300;

impl AuthUser for OperatorRecord {
    type Id = String;

    fn id(&self) -> String {
        self.username.clone()
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// What `axum-login` asks: check a password, and load the operator of a session.
#[derive(Clone)]
pub struct OperatorBackend(Database);

impl OperatorBackend {
    fn operators(&self) -> Result<Arc<Stores>, OperatorError> {
        let stores = self.0.stores();
        stores.map_err(|_| OperatorError::Storage(StorageError::NotConnected))
    }
}

impl AuthnBackend for OperatorBackend {
    type User = OperatorRecord;
    type Credentials = Credentials;
    type Error = OperatorError;

    async fn authenticate(
        &self,
        credentials: Credentials,
    ) -> Result<Option<OperatorRecord>, OperatorError> {
        self.operators()?
            .operators
            .check_password(&credentials.username, &credentials.password)
            .await
    }

    async fn get_user(&self, username: &String) -> Result<Option<OperatorRecord>, OperatorError> {
        Ok(self
            .operators()?
            .operators
            .get(username)
            .await?
            .filter(|operator| !operator.disabled))
    }
}

pub type AuthSession = axum_login::AuthSession<OperatorBackend>;

/// Sessions in Cassandra behind an HttpOnly, SameSite=Lax cookie (Secure when configured) that
/// lives as long as the idle timeout and is renewed by every request.
pub fn session_layer(
    database: &Database,
    settings: &SignInSettings,
) -> AuthManagerLayer<OperatorBackend, CassandraSessions> {
    let idle = time::Duration::try_from(settings.idle_timeout).unwrap_or(time::Duration::MINUTE);
    let sessions = SessionManagerLayer::new(CassandraSessions(database.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.cookie_secure)
        .with_expiry(Expiry::OnInactivity(idle))
        .with_always_save(true);
    AuthManagerLayerBuilder::new(OperatorBackend(database.clone()), sessions).build()
}

/// Signs `operator` in on this session: a new session id (no fixation), and the time, for the
/// absolute timeout.
pub async fn sign_in(auth: &mut AuthSession, operator: &OperatorRecord) -> Result<(), AppError> {
    if auth.user.is_some() {
        sign_out(auth).await?;
    }
    auth.session.cycle_id().await.map_err(session_error)?;
    auth.login(operator).await.map_err(|e| {
        tracing::warn!("could not sign in: {e}");
        AppError::unavailable()
    })?;
    auth.session
        .remove::<(String, i64)>(AWAITING_SECOND_FACTOR)
        .await
        .map_err(session_error)?;
    auth.session
        .insert(SIGNED_IN_AT, OffsetDateTime::now_utc().unix_timestamp())
        .await
        .map_err(session_error)
}

/// Sign-in's first step passed: the session (a new id) waits for `username`'s second factor.
pub async fn await_second_factor(auth: &mut AuthSession, username: &str) -> Result<(), AppError> {
    if auth.user.is_some() {
        sign_out(auth).await?;
    }
    auth.session.cycle_id().await.map_err(session_error)?;
    let since = OffsetDateTime::now_utc().unix_timestamp();
    auth.session
        .insert(AWAITING_SECOND_FACTOR, (username, since))
        .await
        .map_err(session_error)
}

/// The operator whose second factor this session awaits, if the password was recent enough.
pub async fn awaiting_second_factor(auth: &AuthSession) -> Option<String> {
    let awaiting = auth
        .session
        .get::<(String, i64)>(AWAITING_SECOND_FACTOR)
        .await;
    let (username, since) = awaiting.ok().flatten()?;
    let age = OffsetDateTime::now_utc().unix_timestamp() - since;
    (0..SECOND_STEP_SECONDS).contains(&age).then_some(username)
}

pub async fn mark_second_factor_passed(auth: &mut AuthSession) -> Result<(), AppError> {
    auth.session
        .insert(SECOND_FACTOR_PASSED, true)
        .await
        .map_err(session_error)
}

pub async fn second_factor_passed(auth: &AuthSession) -> bool {
    let passed = auth.session.get::<bool>(SECOND_FACTOR_PASSED).await;
    passed.ok().flatten().unwrap_or(false)
}

/// Ends the session: its row is deleted and the cookie removed.
pub async fn sign_out(auth: &mut AuthSession) -> Result<(), AppError> {
    auth.logout().await.map(|_| ()).map_err(|e| {
        tracing::warn!("could not sign out: {e}");
        AppError::unavailable()
    })
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::warn!("session store: {error}");
    AppError::unavailable()
}
