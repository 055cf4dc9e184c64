//! `GET /auth/oidc/start` sends the browser to the identity provider (a link, so the CSP's
//! `form-action 'self'` holds); `GET /auth/oidc/callback` is where the provider sends it back.
//! The callback signs the operator of the provider's identity in, made at their first sign-in
//! with the role their groups give, or sends the browser to `/sign-in?sso_error=…`.

use super::flow::{self, ProviderAnswer, Stopped};
use super::provider::SsoProvider;
use crate::error::AppError;
use crate::model::SsoRefusal;
use crate::server::audit::{Action, Actor, Event};
use crate::server::operators::OperatorRecord;
use crate::server::stores::{Database, Stores};
use crate::server::telemetry::SIGN_INS;
use crate::server::web::auth::backend::{self, AuthSession};
use crate::server::web::client::Client;
use crate::server::web::errors::error_response;
use crate::server::web::forms::{local_page, see_other};
use axum::extract::{Extension, Query};
use axum::response::Response;
use std::sync::Arc;

pub const START_PATH: &str = "/auth/oidc/start";

#[derive(serde::Deserialize)]
pub struct Start {
    next: Option<String>,
}

pub async fn start(
    Extension(provider): Extension<Arc<SsoProvider>>,
    auth: AuthSession,
    Query(start): Query<Start>,
) -> Response {
    let next = local_page(start.next.as_deref());
    match flow::begin(&provider, &auth.session, next).await {
        Ok(url) => see_other(&url),
        Err(stopped) => refused(&stopped),
    }
}

pub async fn callback(
    Extension(provider): Extension<Arc<SsoProvider>>,
    Extension(database): Extension<Database>,
    client: Option<Extension<Client>>,
    mut auth: AuthSession,
    Query(answer): Query<ProviderAnswer>,
) -> Response {
    let verified = match flow::finish(&provider, &auth.session, answer).await {
        Ok(verified) => verified,
        Err(stopped) => return refused(&stopped),
    };
    let stores = match database.stores() {
        Ok(stores) => stores,
        Err(error) => return error_response(&error),
    };
    let from = client.map(|Extension(client)| client.address);
    let signed_in = async {
        let role = verified
            .groups
            .as_deref()
            .and_then(|groups| provider.settings.role_for(groups))
            .or(provider.settings.default_role);
        let Some(role) = role else {
            let detail = match &verified.groups {
                None => format!("no {} claim", provider.settings.role_claim),
                Some(groups) => format!("none of the groups {groups:?} gives a role"),
            };
            return Ok(Err(refuse(
                &stores,
                &verified.identity,
                SsoRefusal::NoRole,
                &detail,
            )
            .await?));
        };
        let operator = stores
            .sso_identities
            .operator_for(&verified.identity, role)
            .await?;
        if operator.disabled {
            let detail = format!("operator {} is disabled", operator.username);
            return Ok(Err(refuse(
                &stores,
                &verified.identity,
                SsoRefusal::Disabled,
                &detail,
            )
            .await?));
        }
        stores.sign_ins.succeeded(&operator, from).await?;
        sign_in(&mut auth, &operator).await?;
        Ok::<_, AppError>(Ok(()))
    };
    match signed_in.await {
        Ok(Ok(())) => see_other(&verified.next),
        Ok(Err(stopped)) => refused(&stopped),
        Err(error) => error_response(&error),
    }
}

/// Signs `operator` in; the provider's own second factor stands for ours (`REQUIRE_MFA` is for
/// password sign-ins).
async fn sign_in(auth: &mut AuthSession, operator: &OperatorRecord) -> Result<(), AppError> {
    backend::sign_in(auth, operator).await?;
    backend::mark_second_factor_passed(auth).await
}

/// Records a refused identity in the audit trail, under the name the provider gave.
async fn refuse(
    stores: &Arc<Stores>,
    identity: &crate::server::operators::SsoIdentity,
    refusal: SsoRefusal,
    detail: &str,
) -> Result<Stopped, AppError> {
    let name = identity.preferred_username.clone().unwrap_or_default();
    let details = format!(
        "single sign-on of {name} ({} at {}) refused: {detail}",
        identity.subject, identity.issuer
    );
    let actor = Actor::Operator(format!("sso:{name}"));
    stores
        .audit
        .record(&actor, Event::new(Action::SignInRefused, details))
        .await?;
    Ok(Stopped {
        refusal,
        detail: detail.to_owned(),
    })
}

/// Back to the sign-in page, which says why.
fn refused(stopped: &Stopped) -> Response {
    tracing::warn!(
        refusal = stopped.refusal.code(),
        "single sign-on stopped: {}",
        stopped.detail
    );
    metrics::counter!(SIGN_INS, "outcome" => "sso_refused").increment(1);
    see_other(&format!("/sign-in?sso_error={}", stopped.refusal.code()))
}
