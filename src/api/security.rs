//! The Security page's calls, for every operator about their own sign-in: add an authenticator
//! app (a secret, then a first code to confirm it), remove it, and make recovery codes (shown
//! once). Every change is in the audit trail.

use crate::error::AppError;
use crate::model::{AuthenticatorSetup, SecurityStatus};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::operators::Authenticator,
    server::web::auth::backend::mark_second_factor_passed,
    server::web::forms::{finish_form_post, is_plain_form_post},
    server::web::request::{request_host, request_session, require, stores},
    validate::FieldErrors,
};

/// Session key of recovery codes made by a form post without JavaScript, shown once.
#[cfg(feature = "ssr")]
const NEW_RECOVERY_CODES_KEY: &str = "new_recovery_codes";

/// The signed-in operator's second factors.
#[server(prefix = "/api", endpoint = "security/status")]
pub async fn security_overview() -> Result<SecurityStatus, AppError> {
    let me = require(Role::Viewer)?;
    let stores = stores()?;
    let factors = &stores.second_factors;
    let (state, being_added) = factors.authenticator_and_setup(&me.username).await?;
    let confirmed = state.as_ref().filter(|state| state.confirmed);
    let adding = being_added.map(|authenticator| setup_of(&authenticator));
    Ok(SecurityStatus {
        can_add_authenticator: factors.can_add_authenticators(),
        authenticator_added: confirmed.map(|state| {
            state
                .added_at
                .map(|at| at.date().to_string())
                .unwrap_or_default()
        }),
        adding,
        recovery_codes_left: factors.recovery_codes_left(&me.username).await?,
        passkeys: stores.passkeys.list(&me.username).await?,
        passkeys_unavailable: stores.passkeys.unavailable_at(&request_host()),
    })
}

/// Starts adding an authenticator app: answers its secret, setup address and QR code; a first
/// code from the app (`confirm_authenticator`) turns it on.
#[server(prefix = "/api", endpoint = "security/authenticator/add")]
pub async fn add_authenticator() -> Result<AuthenticatorSetup, AppError> {
    let added = async {
        let me = me_in_a_browser_session().await?;
        let authenticator = stores()?
            .second_factors
            .begin_authenticator(&me.username)
            .await?;
        Ok(setup_of(&authenticator))
    }
    .await;
    finish_form_post(added, AddAuthenticator::PATH, &[], |_| {
        "/security#authenticator".to_owned()
    })
}

/// Turns the authenticator app being added on, with a code it shows now.
#[server(prefix = "/api", endpoint = "security/authenticator/confirm")]
pub async fn confirm_authenticator(code: String) -> Result<(), AppError> {
    let confirmed = async {
        let me = me_in_a_browser_session().await?;
        if code.trim().is_empty() {
            return Err(
                FieldErrors::one("code", "Enter the code your authenticator app shows.").into(),
            );
        }
        let stores = stores()?;
        stores
            .second_factors
            .confirm_authenticator(&me.username, &code)
            .await?;
        // This session has just proven the factor.
        let mut session = request_session().await?;
        mark_second_factor_passed(&mut session).await?;
        Ok(())
    }
    .await;
    let draft = [("code", "")];
    finish_form_post(confirmed, ConfirmAuthenticator::PATH, &draft, |_| {
        "/security?confirmed=authenticator".to_owned()
    })
}

/// Removes the signed-in operator's authenticator app (or the one being added).
#[server(prefix = "/api", endpoint = "security/authenticator/remove")]
pub async fn remove_authenticator() -> Result<(), AppError> {
    let removed = async {
        let me = me_in_a_browser_session().await?;
        let stores = stores()?;
        stores
            .second_factors
            .remove_authenticator(&me.username)
            .await?;
        Ok(())
    }
    .await;
    finish_form_post(removed, RemoveAuthenticator::PATH, &[], |_| {
        "/security?removed=authenticator".to_owned()
    })
}

/// Ten new recovery codes, each good for one sign-in; earlier ones stop working. They are in
/// this answer (and, after a form post without JavaScript, on the next page) and nowhere else.
#[server(prefix = "/api", endpoint = "security/recovery-codes/create")]
pub async fn create_recovery_codes() -> Result<Vec<String>, AppError> {
    let created = async {
        let me = me_in_a_browser_session().await?;
        let stores = stores()?;
        let codes = stores
            .second_factors
            .new_recovery_codes(&me.username)
            .await?;
        if is_plain_form_post() {
            let session = request_session().await?.session;
            session
                .insert(NEW_RECOVERY_CODES_KEY, &codes)
                .await
                .map_err(|_| AppError::unavailable())?;
        }
        Ok(codes)
    }
    .await;
    finish_form_post(created, CreateRecoveryCodes::PATH, &[], |_| {
        "/security?created=recovery-codes".to_owned()
    })
}

/// The recovery codes a form post without JavaScript just made, once.
#[server(prefix = "/api", endpoint = "security/recovery-codes/take-new")]
pub async fn take_new_recovery_codes() -> Result<Option<Vec<String>>, AppError> {
    require(Role::Viewer)?;
    let Ok(auth) = request_session().await else {
        return Ok(None);
    };
    auth.session
        .remove::<Vec<String>>(NEW_RECOVERY_CODES_KEY)
        .await
        .map_err(|_| AppError::unavailable())
}

/// The signed-in operator, when the request comes from their browser session: second factors
/// are not for scripts, so an API token (which acts without one) cannot add or remove them.
#[cfg(feature = "ssr")]
pub(crate) async fn me_in_a_browser_session() -> Result<crate::model::Operator, AppError> {
    let me = require(Role::Viewer)?;
    if request_session().await?.user.is_none() {
        return Err(AppError::Refused {
            message: "Second factors are managed from a signed-in browser (the Security page), not with an API token.".into(),
        });
    }
    Ok(me)
}

#[cfg(feature = "ssr")]
fn setup_of(authenticator: &Authenticator) -> AuthenticatorSetup {
    AuthenticatorSetup {
        secret: authenticator.secret_text(),
        setup_uri: authenticator.setup_uri(),
        qr_svg: authenticator.qr_svg(),
    }
}
