//! Signing in and out, and creating the first administrator.

use crate::error::AppError;
use crate::model::{Operator, SsoButton};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    server::audit::Actor,
    server::config::SignInSettings,
    server::operators::SetupCode,
    server::web::auth::backend,
    server::web::forms::{finish_form_post, local_page},
    server::web::request::{client_address, current_operator, request_session, stores},
    validate::{validate_new_password, FieldErrors, Username},
};

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn whoami() -> Result<Option<Operator>, AppError> {
    Ok(current_operator())
}

/// The "Sign in with …" button, when single sign-on is configured.
#[server(prefix = "/api", endpoint = "auth/sso")]
pub async fn single_sign_on() -> Result<Option<SsoButton>, AppError> {
    use crate::server::web::auth::sso::provider::SsoProvider;
    let provider = use_context::<Option<std::sync::Arc<SsoProvider>>>().flatten();
    Ok(provider.map(|provider| SsoButton {
        provider_name: provider.settings.provider_name.clone(),
        available: provider.client().is_some(),
    }))
}

/// Signs in and answers where to go next (`next` if it is a page of this site, else `/`).
/// After too many failures within the lockout window, the username is refused for that long,
/// whatever the password (`server::operators::sign_in`).
#[server(prefix = "/api", endpoint = "auth/sign-in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    let signed_in = async {
        let mut errors = FieldErrors::default();
        if username.trim().is_empty() {
            errors.check::<()>("username", Err("Enter your username.".into()));
        }
        if password.is_empty() {
            errors.check::<()>("password", Err("Enter your password.".into()));
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let settings = expect_context::<SignInSettings>();
        if !settings.allows_password_for(&username) {
            return Err(AppError::Refused {
                message: "Passwords are turned off here: sign in with your organisation's \
                          identity provider."
                    .into(),
            });
        }
        let stores = stores()?;
        let window = settings.lockout_window;
        let operator = stores
            .sign_ins
            .authenticate(&username, &password, window, client_address())
            .await?;
        let mut session = request_session().await?;
        let next = local_page(next.as_deref());
        if stores
            .second_factors
            .required_for(&operator.username)
            .await?
        {
            backend::await_second_factor(&mut session, &operator.username).await?;
            let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
            return Ok(format!("/sign-in/code?next={next}"));
        }
        stores
            .sign_ins
            .succeeded(&operator, client_address())
            .await?;
        backend::sign_in(&mut session, &operator).await?;
        Ok(next)
    }
    .await;
    let draft = [("username", username.as_str())];
    finish_form_post(signed_in, SignIn::PATH, &draft, |next| next.clone())
}

/// Ends the session. Without one, there is nothing to end; a browser is sent to sign in either way.
#[server(prefix = "/api", endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    let signed_out = async {
        let Some(operator) = current_operator() else {
            return Ok(());
        };
        stores()?.sign_ins.signed_out(&operator.username).await?;
        let mut session = request_session().await?;
        backend::sign_out(&mut session).await
    }
    .await;
    finish_form_post(signed_out, SignOut::PATH, &[], |_| "/sign-in".into())
}

/// Whether this browser has to type the setup code.
#[server(prefix = "/api", endpoint = "auth/setup-needs-code")]
pub async fn setup_needs_code() -> Result<bool, AppError> {
    Ok(expect_context::<SetupCode>().needed_by(client_address()))
}

/// Creates the first administrator (only while no operator exists) and signs them in.
#[server(prefix = "/api", endpoint = "auth/setup")]
pub async fn create_first_admin(
    username: String,
    password: String,
    confirm_password: String,
    setup_code: Option<String>,
) -> Result<Operator, AppError> {
    let created = async {
        let mut errors = FieldErrors::default();
        let name = errors.check("username", Username::parse(&username));
        let chosen = validate_new_password(&password, &confirm_password);
        let chosen = chosen.map_err(|e| errors.extend(e)).ok();
        let code = setup_code.unwrap_or_default();
        if !expect_context::<SetupCode>().accepts(&code, client_address()) {
            let message = "That is not the setup code from the server's log.";
            errors.check::<()>("setup_code", Err(message.into()));
        }
        let (Some(name), Some(chosen), true) = (name, chosen, errors.is_empty()) else {
            return Err(errors.into());
        };
        let stores = stores()?;
        let actor = Actor::Operator(name.as_str().to_owned());
        let admin = stores
            .operators
            .add_first_admin(&name, &chosen, &actor)
            .await?;
        let record = stores
            .operators
            .get(name.as_str())
            .await?
            .ok_or(AppError::unavailable())?;
        let mut session = request_session().await?;
        stores.sign_ins.succeeded(&record, client_address()).await?;
        backend::sign_in(&mut session, &record).await?;
        Ok(admin)
    }
    .await;
    let draft = [("username", username.as_str())];
    finish_form_post(created, CreateFirstAdmin::PATH, &draft, |_| "/".into())
}
