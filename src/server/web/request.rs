//! What a server function knows about the request it answers: the stores, who is asking (as
//! the gate found them), from where, and their sign-in session.

use super::auth::backend::{second_factor_passed, AuthSession};
use super::client::Client;
use crate::error::AppError;
use crate::model::{Operator, Role};
use crate::server::audit::Actor;
use crate::server::stores::{Database, Stores};
use axum::http::request::Parts;
use leptos::prelude::use_context;
use std::net::IpAddr;
use std::sync::Arc;

/// The stores for the current request, from the context the router provides.
pub fn stores() -> Result<Arc<Stores>, AppError> {
    let database = use_context::<Database>().ok_or_else(|| {
        tracing::error!("no Database in the request context");
        AppError::internal()
    })?;
    database.stores()
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
    with_role(current_operator(), needed)
}

/// `operator` if there is one and their role includes `needed` (for handlers outside the server
/// functions, which get the operator from the request themselves).
pub fn with_role(operator: Option<Operator>, needed: Role) -> Result<Operator, AppError> {
    let operator = operator.ok_or(AppError::Unauthenticated)?;
    if operator.role.allows(needed) {
        Ok(operator)
    } else {
        Err(AppError::Forbidden {
            needed,
            yours: operator.role,
        })
    }
}

/// The address the current request came from (through trusted proxies: the client's).
pub fn client_address() -> Option<IpAddr> {
    use_context::<Parts>()?
        .extensions
        .get::<Client>()
        .map(|client| client.address)
}

/// The host the current request was sent to (its `Host` header, port and all; empty without).
pub fn request_host() -> String {
    use_context::<Parts>()
        .and_then(|parts| {
            let host = parts.headers.get(axum::http::header::HOST)?;
            host.to_str().ok().map(str::to_owned)
        })
        .unwrap_or_default()
}

/// The sign-in session of the current request (the session layer puts it on every request).
pub async fn request_session() -> Result<AuthSession, AppError> {
    leptos_axum::extract::<AuthSession>().await.map_err(|_| {
        tracing::error!("no AuthSession on the request");
        AppError::internal()
    })
}

/// For what only a person who passed a second factor may do (create API tokens): a browser
/// session whose sign-in passed one (an authenticator app, a passkey, a recovery code, single
/// sign-on) or that has added one since. Never a script's token: a token does not make tokens.
pub async fn require_second_factor_passed(what: &str) -> Result<(), AppError> {
    let session = request_session().await?;
    if session.user.is_some() && second_factor_passed(&session).await {
        Ok(())
    } else {
        Err(AppError::NeedsSecondFactor {
            what: what.to_owned(),
        })
    }
}

/// The current operator as the actor of a change, if their role includes `needed`.
pub fn acting_as(needed: Role) -> Result<Actor, AppError> {
    Ok(Actor::Operator(require(needed)?.username))
}
