//! Sign-in's second step: after the password of an operator with an authenticator app, the
//! session waits for a code (the app's, once, or a recovery code) before it is signed in. Wrong
//! codes count towards the same lockout as wrong passwords.

use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    server::audit::{Action, Actor, Event},
    server::config::SignInSettings,
    server::operators::{FactorUsed, OperatorError},
    server::web::auth::backend,
    server::web::forms::{finish_form_post, local_page},
    server::web::request::{client_address, request_session, stores},
    validate::FieldErrors,
};

/// Whether this browser's session has passed the password and waits for a code.
#[server(prefix = "/api", endpoint = "auth/second-factor-pending")]
pub async fn second_factor_pending() -> Result<bool, AppError> {
    let session = request_session().await?;
    Ok(backend::awaiting_second_factor(&session).await.is_some())
}

/// Checks the code and signs in; answers where to go next, as `sign_in` does.
#[server(prefix = "/api", endpoint = "auth/second-factor")]
pub async fn verify_second_factor(code: String, next: Option<String>) -> Result<String, AppError> {
    let verified = async {
        let mut session = request_session().await?;
        let username = awaited_operator(&session).await?;
        if code.trim().is_empty() {
            let message = "Enter the code your authenticator app shows, or a recovery code.";
            return Err(FieldErrors::one("code", message).into());
        }
        let stores = stores()?;
        let window = expect_context::<SignInSettings>().lockout_window;
        stores
            .sign_ins
            .refuse_if_locked(&username, client_address())
            .await?;
        let used = match stores.second_factors.verify(&username, &code).await {
            Ok(used) => used,
            Err(wrong @ (OperatorError::WrongCode | OperatorError::CodeAlreadyUsed)) => {
                stores
                    .sign_ins
                    .second_factor_failed(&username, window, client_address())
                    .await?;
                return Err(wrong.into());
            }
            Err(other) => return Err(other.into()),
        };
        if used == FactorUsed::RecoveryCode {
            let left = stores.second_factors.recovery_codes_left(&username).await?;
            let actor = Actor::Operator(username.clone());
            let details = format!("used a recovery code ({left} left)");
            stores
                .audit
                .record(&actor, Event::new(Action::SignIn, details))
                .await?;
        }
        second_step_passed(&mut session, &username).await?;
        Ok(local_page(next.as_deref()))
    }
    .await;
    let draft = [("code", "")];
    finish_form_post(verified, VerifySecondFactor::PATH, &draft, |next| {
        next.clone()
    })
}

/// The operator whose second factor this session awaits; refused when it awaits none (or the
/// password was more than five minutes ago).
#[cfg(feature = "ssr")]
pub(crate) async fn awaited_operator(
    session: &crate::server::web::auth::backend::AuthSession,
) -> Result<String, AppError> {
    backend::awaiting_second_factor(session)
        .await
        .ok_or_else(|| AppError::Refused {
            message: "Sign in with your username and password first (or again: that step is \
                      good for five minutes)."
                .into(),
        })
}

/// The second factor of `username` was right: the session is signed in (a new id) and marked
/// as having passed one.
#[cfg(feature = "ssr")]
pub(crate) async fn second_step_passed(
    session: &mut crate::server::web::auth::backend::AuthSession,
    username: &str,
) -> Result<(), AppError> {
    let stores = stores()?;
    let operator = stores
        .operators
        .get(username)
        .await?
        .filter(|operator| !operator.disabled)
        .ok_or(AppError::WrongCredentials)?;
    stores
        .sign_ins
        .succeeded(&operator, client_address())
        .await?;
    backend::sign_in(session, &operator).await?;
    backend::mark_second_factor_passed(session).await
}
