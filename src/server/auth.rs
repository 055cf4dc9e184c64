//! Who is asking, and may they.
//!
//! - Browsers sign in with a username and password; `axum-login` keeps the signed-in operator in
//!   a `tower-sessions` session stored in Cassandra (`sessions.rs`). The session is bound to the
//!   operator's password hash, so a password reset ends every other session.
//! - Scripts send `Authorization: Bearer <token>`.
//! - `gate` runs before every route: it lets static assets, `/healthz` and the sign-in and setup
//!   pages through, sends other page requests without an operator to the sign-in page (or, before
//!   the first administrator exists, to the setup page) and answers API calls without one 401.
//! - Server functions then check the role they need with `require`.

use super::config::SignInSettings;
use super::operators::OperatorRecord;
use super::store::StoreError;
use super::{error_response, Database};
use crate::error::AppError;
use crate::model::{Operator, Role};
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_login::{AuthManagerLayer, AuthManagerLayerBuilder, AuthUser, AuthnBackend};
use leptos::prelude::use_context;
use std::net::SocketAddr;
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::sessions::CassandraSessions;

pub const SESSION_COOKIE: &str = "cassandra_users_session";
/// Session key holding the sign-in time (Unix seconds), for the absolute timeout.
const SIGNED_IN_AT: &str = "signed_in_at";

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

impl AuthnBackend for OperatorBackend {
    type User = OperatorRecord;
    type Credentials = Credentials;
    type Error = StoreError;

    async fn authenticate(
        &self,
        credentials: Credentials,
    ) -> Result<Option<OperatorRecord>, StoreError> {
        let stores = self
            .0
            .stores()
            .map_err(|_| StoreError::Unavailable("not connected".into()))?;
        stores
            .operators
            .check_password(&credentials.username, &credentials.password)
            .await
    }

    async fn get_user(&self, username: &String) -> Result<Option<OperatorRecord>, StoreError> {
        let stores = self
            .0
            .stores()
            .map_err(|_| StoreError::Unavailable("not connected".into()))?;
        Ok(stores
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

/// The sign-in session of the current request (the session layer puts it on every request).
pub async fn request_session() -> Result<AuthSession, AppError> {
    leptos_axum::extract::<AuthSession>().await.map_err(|_| {
        tracing::error!("no AuthSession on the request");
        AppError::Internal
    })
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
        AppError::Unavailable
    })?;
    auth.session
        .insert(SIGNED_IN_AT, OffsetDateTime::now_utc().unix_timestamp())
        .await
        .map_err(session_error)
}

/// Ends the session: its row is deleted and the cookie removed.
pub async fn sign_out(auth: &mut AuthSession) -> Result<(), AppError> {
    auth.logout().await.map(|_| ()).map_err(|e| {
        tracing::warn!("could not sign out: {e}");
        AppError::Unavailable
    })
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::warn!("session store: {error}");
    AppError::Unavailable
}

/// Everything the gate needs.
#[derive(Clone)]
pub struct Gate {
    pub database: Database,
    pub settings: SignInSettings,
}

/// Paths that answer without an operator.
fn is_public(path: &str) -> bool {
    path == "/healthz" || path == "/favicon.svg" || path.starts_with("/pkg/")
}

/// Static assets and `/healthz` never touch the session store: their requests lose the cookie
/// before the session layer sees it, so a page's assets cost no Cassandra reads or writes.
pub async fn public_paths_without_session(mut request: Request, next: Next) -> Response {
    if is_public(request.uri().path()) {
        request.headers_mut().remove(header::COOKIE);
    }
    next.run(request).await
}

fn is_sign_in_or_setup(path: &str) -> bool {
    matches!(
        path,
        "/sign-in" | "/setup" | "/api/auth/sign-in" | "/api/auth/setup" | "/api/auth/sign-out"
    )
}

pub async fn gate(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_public(&path) {
        return next.run(request).await;
    }
    // `Request` is not `Sync`, so what `identify` reads is taken out of it first.
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let session = request.extensions().get::<AuthSession>().cloned();
    let operator = match identify(&gate, authorization, session).await {
        Ok(operator) => operator,
        Err(error) => return error_response(&error),
    };
    let is_api = path.starts_with("/api/");
    match operator {
        Some(operator) => {
            if path == "/setup" {
                return see_other("/");
            }
            request.extensions_mut().insert(operator);
            next.run(request).await
        }
        None if is_sign_in_or_setup(&path) => {
            match (path.as_str(), setup_done(&gate.database).await) {
                ("/setup", Some(true)) => see_other("/sign-in"),
                ("/sign-in", Some(false)) => see_other("/setup"),
                _ => next.run(request).await,
            }
        }
        None if is_api => error_response(&AppError::Unauthenticated),
        None => {
            if setup_done(&gate.database).await == Some(false) {
                return see_other("/setup");
            }
            let wanted = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next_page =
                url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect::<String>();
            see_other(&format!("/sign-in?next={next_page}"))
        }
    }
}

/// The operator behind a bearer token or the session, if any. A bearer token that does not
/// resolve is an error (401), not "anonymous".
async fn identify(
    gate: &Gate,
    authorization: Option<HeaderValue>,
    session: Option<AuthSession>,
) -> Result<Option<Operator>, AppError> {
    if let Some(authorization) = authorization {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let stores = gate.database.stores()?;
        return match stores.operators.operator_for_token(token).await? {
            Some(operator) => Ok(Some(operator)),
            None => Err(AppError::Unauthenticated),
        };
    }
    let Some(mut auth) = session else {
        return Ok(None);
    };
    let Some(user) = auth.user.clone() else {
        return Ok(None);
    };
    let signed_in_at = auth.session.get::<i64>(SIGNED_IN_AT).await.ok().flatten();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let within_absolute = signed_in_at
        .is_some_and(|at| now.saturating_sub(at) < gate.settings.absolute_timeout.as_secs() as i64);
    if !within_absolute {
        sign_out(&mut auth).await?;
        return Ok(None);
    }
    Ok(Some(user.operator()))
}

/// `Some(true)` once an operator exists; `None` when the database cannot say right now.
async fn setup_done(database: &Database) -> Option<bool> {
    database.stores().ok()?.operators.any_exists().await.ok()
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The operator making the current request, as the gate found them.
pub fn current_operator() -> Option<Operator> {
    use_context::<Parts>()?
        .extensions
        .get::<Operator>()
        .cloned()
}

/// The current operator if their role includes `needed`: 401 without one, 403 with too little.
pub fn require(needed: Role) -> Result<Operator, AppError> {
    let operator = current_operator().ok_or(AppError::Unauthenticated)?;
    if operator.role.allows(needed) {
        Ok(operator)
    } else {
        Err(AppError::Forbidden {
            needed,
            yours: operator.role,
        })
    }
}

/// The address the current request came from.
pub fn client_address() -> Option<SocketAddr> {
    use_context::<Parts>()?
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

/// The one-time code that makes "create the first administrator" safe on a network: printed in
/// the server's log, asked for on the setup page. A browser on the server's own machine may skip
/// it, but only when the server listens on loopback alone (behind a reverse proxy every client
/// would look local).
#[derive(Clone, Debug)]
pub struct SetupCode {
    code: String,
    server_on_loopback: bool,
}

impl SetupCode {
    pub fn generate(listening_on: SocketAddr) -> Self {
        SetupCode {
            code: super::passwords::random_secret(9),
            server_on_loopback: listening_on.ip().is_loopback(),
        }
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether this client must type the code.
    pub fn needed_by(&self, client: Option<SocketAddr>) -> bool {
        !(self.server_on_loopback && client.is_some_and(|c| c.ip().is_loopback()))
    }

    pub fn accepts(&self, given: &str, client: Option<SocketAddr>) -> bool {
        use subtle::ConstantTimeEq;
        !self.needed_by(client) || bool::from(given.trim().as_bytes().ct_eq(self.code.as_bytes()))
    }
}

/// Once Cassandra answers, says in the log how to create the first administrator, if none exists.
pub async fn announce_setup_code(database: Database, setup: SetupCode, address: SocketAddr) {
    let stores = loop {
        match database.stores() {
            Ok(stores) => break stores,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
        }
    };
    if let Ok(false) = stores.operators.any_exists().await {
        tracing::warn!(
            "no administrator yet: open http://{address}/setup and enter the setup code {} \
             (or run `cassandra-users operator add NAME --role admin`)",
            setup.code()
        );
    }
}
