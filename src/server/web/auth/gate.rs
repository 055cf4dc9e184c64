//! The gate runs before every route: it lets static assets, `/healthz` and the sign-in and
//! setup pages through, sends other page requests without an operator to the sign-in page (or,
//! before the first administrator exists, to the setup page) and answers API calls without one
//! 401. Who is asking: a bearer token (scripts) or the sign-in session (browsers). Server
//! functions then check the role they need (`request::require`).

use super::backend::{second_factor_passed, sign_out, AuthSession, SIGNED_IN_AT};
use crate::error::AppError;
use crate::model::Operator;
use crate::server::config::SignInSettings;
use crate::server::stores::Database;
use crate::server::web::assets::is_asset_or_health_check;
use crate::server::web::errors::error_response;
use crate::server::web::forms::see_other;
use crate::server::web::request_log::answered_for;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use time::OffsetDateTime;

/// Everything the gate needs.
#[derive(Clone)]
pub struct Gate {
    pub database: Database,
    pub settings: SignInSettings,
}

/// Static assets and `/healthz` never touch the session store: their requests lose the cookie
/// before the session layer sees it, so a page's assets cost no Cassandra reads or writes.
pub async fn public_paths_without_session(mut request: Request, next: Next) -> Response {
    if is_asset_or_health_check(request.uri().path()) {
        request.headers_mut().remove(header::COOKIE);
    }
    next.run(request).await
}

fn is_sign_in_or_setup(path: &str) -> bool {
    matches!(
        path,
        "/sign-in"
            | "/sign-in/code"
            | "/setup"
            | "/api/auth/sign-in"
            | "/api/auth/second-factor"
            | "/api/auth/second-factor-pending"
            | "/api/auth/setup"
            | "/api/auth/sign-out"
            | "/api/auth/sso"
            | "/api/auth/passkey-offered"
            | "/api/auth/passkey/begin"
            | "/api/auth/passkey/finish"
            | "/auth/oidc/start"
            | "/auth/oidc/callback"
    )
}

/// What an operator who must add a second factor first (`REQUIRE_MFA`) may reach.
fn is_for_adding_a_second_factor(path: &str) -> bool {
    path == "/security" || path.starts_with("/api/security/") || path == "/api/auth/sign-out"
}

pub async fn gate(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_asset_or_health_check(&path) {
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
        Some(Identified {
            must_add_second_factor: true,
            ..
        }) if !is_for_adding_a_second_factor(&path) => {
            if is_api {
                error_response(&AppError::SecondFactorRequired)
            } else {
                see_other("/security?required")
            }
        }
        Some(Identified { operator, .. }) => {
            if path == "/setup" {
                return see_other("/");
            }
            let username = operator.username.clone();
            request.extensions_mut().insert(operator);
            let mut response = next.run(request).await;
            answered_for(&mut response, username);
            response
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

/// Who is asking, and whether `REQUIRE_MFA` keeps them to adding a second factor (a session
/// signed in by password alone; never a script's token).
struct Identified {
    operator: Operator,
    must_add_second_factor: bool,
}

/// The operator behind a bearer token or the session, if any. A bearer token that does not
/// resolve is an error (401), not "anonymous".
async fn identify(
    gate: &Gate,
    authorization: Option<HeaderValue>,
    session: Option<AuthSession>,
) -> Result<Option<Identified>, AppError> {
    if let Some(authorization) = authorization {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let stores = gate.database.stores()?;
        return match stores.tokens.operator_for(token).await? {
            Some(operator) => Ok(Some(Identified {
                operator,
                must_add_second_factor: false,
            })),
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
    let must_add_second_factor = gate.settings.require_mfa && !second_factor_passed(&auth).await;
    Ok(Some(Identified {
        operator: user.operator(),
        must_add_second_factor,
    }))
}

/// `Some(true)` once an operator exists; `None` when the database cannot say right now.
async fn setup_done(database: &Database) -> Option<bool> {
    database.stores().ok()?.operators.any_exists().await.ok()
}
