//! Signing in and out, and creating the first administrator.

use crate::error::AppError;
use crate::model::Operator;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    server::{
        audit::{Actor, Event},
        auth::{self, client_address, current_operator, request_session, SetupCode},
        config::{SignInSettings, MAX_FAILED_SIGN_INS},
        finish_form_post, stores,
    },
    validate::{validate_new_password, FieldErrors, Username},
};

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn whoami() -> Result<Option<Operator>, AppError> {
    Ok(current_operator())
}

/// Signs in and answers where to go next (`next` if it is a page of this site, else `/`).
/// After `MAX_FAILED_SIGN_INS` failures within the lockout window, the username is refused for
/// that long, whatever the password.
#[server(prefix = "/api", endpoint = "auth/sign-in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    let signed_in =
        async {
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
            let stores = stores()?;
            let settings = expect_context::<SignInSettings>();
            let key = username.trim().to_lowercase();
            let attempt = Actor::Operator(key.clone());
            if let Some(minutes) = stores.operators.locked_for(&key).await? {
                let event = Event::new("sign-in refused", "refused: the username is locked");
                stores.audit.record(&attempt, event).await?;
                return Err(AppError::LockedOut { minutes });
            }
            let Some(operator) = stores.operators.check_password(&key, &password).await? else {
                let locked = stores
                    .operators
                    .record_failure(&key, settings.lockout_window, MAX_FAILED_SIGN_INS)
                    .await?;
                let event = Event::new("sign-in failed", "wrong username or password");
                stores.audit.record(&attempt, event).await?;
                return Err(locked.map_or(AppError::WrongCredentials, |minutes| {
                    AppError::LockedOut { minutes }
                }));
            };
            let mut session = request_session().await?;
            stores
                .audit
                .record(&attempt, Event::new("sign-in", "signed in"))
                .await?;
            auth::sign_in(&mut session, &operator).await?;
            stores.operators.clear_failures(&key).await?;
            Ok(local_page(next.as_deref()))
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
        let stores = stores()?;
        let actor = Actor::Operator(operator.username);
        stores
            .audit
            .record(&actor, Event::new("sign-out", "signed out"))
            .await?;
        let mut session = request_session().await?;
        auth::sign_out(&mut session).await
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
            .ok_or(AppError::Unavailable)?;
        let mut session = request_session().await?;
        stores
            .audit
            .record(&actor, Event::new("sign-in", "signed in"))
            .await?;
        auth::sign_in(&mut session, &record).await?;
        Ok(admin)
    }
    .await;
    let draft = [("username", username.as_str())];
    finish_form_post(created, CreateFirstAdmin::PATH, &draft, |_| "/".into())
}

/// `next` when it is a path on this site (never another site: no open redirect), else `/`.
#[cfg(feature = "ssr")]
fn local_page(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::local_page;

    #[test]
    fn next_page_stays_on_this_site() {
        assert_eq!(local_page(Some("/users/1?x=2")), "/users/1?x=2");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert_eq!(local_page(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(local_page(None), "/");
    }
}
