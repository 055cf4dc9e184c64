//! Passkeys: added on the Security page (`security/passkeys/*`) and used at sign-in's second
//! step (`auth/passkey/*`). The browser's half is `public/passkeys.js` (WebAuthn is a browser
//! API; it stays out of the WebAssembly bundle). Each ceremony's `begin` answers the options for
//! `navigator.credentials` as JSON text and keeps its state in the session (in Cassandra, so
//! `finish` may reach another app server); `finish` takes the browser's answer as JSON text.

use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    api::second_step::{awaited_operator, second_step_passed},
    api::security::me_in_a_browser_session,
    server::audit::Actor,
    server::config::SignInSettings,
    server::operators::passkeys::PASSKEY_NAME_MAX_CHARS,
    server::operators::OperatorError,
    server::web::auth::backend::mark_second_factor_passed,
    server::web::forms::{finish_form_post, local_page},
    server::web::request::{client_address, request_host, request_session, stores},
    validate::FieldErrors,
};

/// Session keys of the ceremonies under way.
#[cfg(feature = "ssr")]
const ADDING_PASSKEY: &str = "passkey_registration";
#[cfg(feature = "ssr")]
const SIGNING_IN_WITH_PASSKEY: &str = "passkey_authentication";

/// Starts adding a passkey: the options for `navigator.credentials.create`, as JSON text.
#[server(prefix = "/api", endpoint = "security/passkeys/begin")]
pub async fn begin_adding_passkey() -> Result<String, AppError> {
    let me = me_in_a_browser_session().await?;
    let stores = stores()?;
    refuse_at_the_wrong_host(&stores.passkeys)?;
    let (options, state) = stores.passkeys.begin_registration(&me.username).await?;
    let session = request_session().await?.session;
    session
        .insert(ADDING_PASSKEY, state)
        .await
        .map_err(|_| AppError::unavailable())?;
    serde_json::to_string(&options).map_err(|_| AppError::internal())
}

/// Keeps the passkey the browser made (`credential`: its `toJSON()`), named `name`.
#[server(prefix = "/api", endpoint = "security/passkeys/finish")]
pub async fn finish_adding_passkey(name: String, credential: String) -> Result<(), AppError> {
    use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};
    let me = me_in_a_browser_session().await?;
    let name = match name.trim() {
        "" => "Passkey".to_owned(),
        name if name.chars().count() > PASSKEY_NAME_MAX_CHARS => {
            let message =
                format!("A passkey's name has at most {PASSKEY_NAME_MAX_CHARS} characters.");
            return Err(FieldErrors::one("name", message).into());
        }
        name => name.to_owned(),
    };
    let mut session = request_session().await?;
    let under_way = "No passkey is being added here: press Add a passkey again.";
    let state: PasskeyRegistration = take_ceremony(&session, ADDING_PASSKEY, under_way).await?;
    let credential: RegisterPublicKeyCredential = serde_json::from_str(&credential)
        .map_err(|e| OperatorError::PasskeyRefused(format!("its answer is not readable: {e}")))?;
    let actor = Actor::Operator(me.username.clone());
    stores()?
        .passkeys
        .finish_registration(&me.username, &name, &credential, &state, &actor)
        .await?;
    // This session has just proven the factor.
    mark_second_factor_passed(&mut session).await
}

/// Removes one of the signed-in operator's passkeys (`id` as the Security page lists it).
#[server(prefix = "/api", endpoint = "security/passkeys/remove")]
pub async fn remove_passkey(id: String) -> Result<(), AppError> {
    let removed = async {
        let me = me_in_a_browser_session().await?;
        let actor = Actor::Operator(me.username.clone());
        Ok(stores()?.passkeys.remove(&me.username, &id, &actor).await?)
    }
    .await;
    finish_form_post(removed, RemovePasskey::PATH, &[], |_| {
        "/security?removed=passkey".to_owned()
    })
}

/// Whether the operator whose second factor this session awaits has a passkey to use.
#[server(prefix = "/api", endpoint = "auth/passkey-offered")]
pub async fn passkey_offered() -> Result<bool, AppError> {
    let session = request_session().await?;
    let Ok(username) = awaited_operator(&session).await else {
        return Ok(false);
    };
    let stores = stores()?;
    Ok(stores.passkeys.unavailable_at(&request_host()).is_none()
        && stores.passkeys.any_for(&username).await?)
}

/// Starts signing in with a passkey (after the password): the options for
/// `navigator.credentials.get`, as JSON text.
#[server(prefix = "/api", endpoint = "auth/passkey/begin")]
pub async fn begin_passkey_sign_in() -> Result<String, AppError> {
    let session = request_session().await?;
    let username = awaited_operator(&session).await?;
    let stores = stores()?;
    refuse_at_the_wrong_host(&stores.passkeys)?;
    stores
        .sign_ins
        .refuse_if_locked(&username, client_address())
        .await?;
    let (options, state) = stores
        .passkeys
        .begin_authentication(&username)
        .await?
        .ok_or_else(|| AppError::Refused {
            message: "You have no passkey: use the code of your authenticator app.".into(),
        })?;
    session
        .session
        .insert(SIGNING_IN_WITH_PASSKEY, state)
        .await
        .map_err(|_| AppError::unavailable())?;
    serde_json::to_string(&options).map_err(|_| AppError::internal())
}

/// Checks the passkey's answer (`credential`: its `toJSON()`) and signs in; answers where to
/// go next. A refused answer counts toward the lockout, as a wrong code does.
#[server(prefix = "/api", endpoint = "auth/passkey/finish")]
pub async fn finish_passkey_sign_in(
    credential: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential};
    let mut session = request_session().await?;
    let username = awaited_operator(&session).await?;
    let under_way = "No passkey sign-in is under way here: press Use a passkey again.";
    let state: PasskeyAuthentication =
        take_ceremony(&session, SIGNING_IN_WITH_PASSKEY, under_way).await?;
    let stores = stores()?;
    stores
        .sign_ins
        .refuse_if_locked(&username, client_address())
        .await?;
    let checked = match serde_json::from_str::<PublicKeyCredential>(&credential) {
        Ok(credential) => {
            stores
                .passkeys
                .finish_authentication(&username, &credential, &state)
                .await
        }
        Err(e) => Err(OperatorError::PasskeyRefused(format!(
            "unreadable answer: {e}"
        ))),
    };
    if let Err(refused @ OperatorError::PasskeyRefused(_)) = checked {
        let window = expect_context::<SignInSettings>().lockout_window;
        stores
            .sign_ins
            .second_factor_failed(&username, window, client_address())
            .await?;
        return Err(refused.into());
    }
    checked?;
    second_step_passed(&mut session, &username).await?;
    Ok(local_page(next.as_deref()))
}

/// Refuses a ceremony on a page reached at another host than passkeys belong to: the browser
/// would refuse it anyway, with a less helpful message.
#[cfg(feature = "ssr")]
fn refuse_at_the_wrong_host(passkeys: &crate::server::operators::Passkeys) -> Result<(), AppError> {
    match passkeys.unavailable_at(&request_host()) {
        Some(message) => Err(AppError::Refused { message }),
        None => Ok(()),
    }
}

/// The state of the ceremony under way at `key`, taken out of the session (each is good once);
/// refused with `none` when there is none.
#[cfg(feature = "ssr")]
async fn take_ceremony<T: serde::de::DeserializeOwned>(
    session: &crate::server::web::auth::backend::AuthSession,
    key: &str,
    none: &str,
) -> Result<T, AppError> {
    let state = session.session.remove::<T>(key).await.ok().flatten();
    state.ok_or_else(|| AppError::Refused {
        message: none.to_owned(),
    })
}
