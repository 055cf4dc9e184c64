//! For admins: API tokens for scripts. A token's secret is in the answer that creates it and
//! nowhere else.

use crate::error::AppError;
use crate::model::{ApiTokenSummary, NewApiToken};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::web::forms::{finish_form_post, is_plain_form_post},
    server::web::request::{
        acting_as, request_session, require, require_second_factor_passed, stores,
    },
    validate::{FieldErrors, Username},
};

/// Session key of a token created by a form post without JavaScript, shown once by the next page.
#[cfg(feature = "ssr")]
const NEW_TOKEN_KEY: &str = "new_api_token";

#[server(prefix = "/api", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<ApiTokenSummary>, AppError> {
    require(Role::Admin)?;
    Ok(stores()?.tokens.list().await?)
}

/// Creates a token for `operator` (a username). Its secret is in this answer and nowhere else.
/// Only from a browser session that passed a second factor: a token acts with its operator's
/// role and no second factor, so making one is guarded by the strongest sign-in we have.
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(
    operator: String,
    label: Option<String>,
) -> Result<NewApiToken, AppError> {
    let created = async {
        let actor = acting_as(Role::Admin)?;
        require_second_factor_passed("Creating an API token").await?;
        let owner = Username::parse(&operator)
            .map_err(|message| AppError::from(FieldErrors::one("username", message)))?;
        let label = label.unwrap_or_default();
        if label.chars().count() > 100 || label.chars().any(char::is_control) {
            let message = "A label has at most 100 characters and no control characters.";
            return Err(FieldErrors::one("label", message).into());
        }
        let token = stores()?
            .tokens
            .create(&owner, &label, &actor)
            .await
            .map_err(|error| match AppError::from(error) {
                AppError::NotFound => {
                    FieldErrors::one("operator", "No enabled operator has that username.").into()
                }
                other => other,
            })?;
        if is_plain_form_post() {
            // Without JavaScript the answer is a redirect; the next page shows the secret once.
            let session = request_session().await?.session;
            session
                .insert(NEW_TOKEN_KEY, &token)
                .await
                .map_err(|_| AppError::unavailable())?;
        }
        Ok(token)
    }
    .await;
    let draft = [("operator", operator.as_str())];
    finish_form_post(created, CreateToken::PATH, &draft, |token| {
        format!("/tokens?created={}", token.id)
    })
}

/// The token that a form post without JavaScript just created, once.
#[server(prefix = "/api", endpoint = "tokens/take-new")]
pub async fn take_new_token() -> Result<Option<NewApiToken>, AppError> {
    require(Role::Admin)?;
    let Ok(auth) = request_session().await else {
        return Ok(None);
    };
    auth.session
        .remove::<NewApiToken>(NEW_TOKEN_KEY)
        .await
        .map_err(|_| AppError::unavailable())
}

#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    let revoked = async {
        let actor = acting_as(Role::Admin)?;
        Ok(stores()?.tokens.revoke(id, &actor).await?)
    }
    .await;
    finish_form_post(revoked, RevokeToken::PATH, &[], |_| {
        "/tokens?revoked=1".into()
    })
}
