//! For admins: operators and API tokens.

use crate::error::AppError;
use crate::model::{ApiTokenSummary, NewApiToken, Operator, OperatorSummary};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{
        audit::Actor,
        auth::{request_session, require},
        finish_form_post, is_plain_form_post, stores,
    },
    validate::{validate_new_operator, validate_new_password, FieldErrors, Username},
};

/// Session key of a token created by a form post without JavaScript, shown once by the next page.
#[cfg(feature = "ssr")]
const NEW_TOKEN_KEY: &str = "new_api_token";

#[cfg(feature = "ssr")]
fn admin() -> Result<(Operator, Actor), AppError> {
    let operator = require(Role::Admin)?;
    let actor = Actor::Operator(operator.username.clone());
    Ok((operator, actor))
}

/// An admin may not lock themselves out: another admin has to disable or demote them.
#[cfg(feature = "ssr")]
fn not_yourself(operator: &Operator, username: &Username, what: &str) -> Result<(), AppError> {
    if operator.username == username.as_str() {
        let message = format!("You cannot {what} yourself; ask another admin.");
        return Err(FieldErrors::one("username", message).into());
    }
    Ok(())
}

#[cfg(feature = "ssr")]
fn username(input: &str) -> Result<Username, AppError> {
    Username::parse(input).map_err(|message| FieldErrors::one("username", message).into())
}

#[server(prefix = "/api", endpoint = "operators/list")]
pub async fn list_operators() -> Result<Vec<OperatorSummary>, AppError> {
    admin()?;
    Ok(stores()?.operators.list().await?)
}

#[server(prefix = "/api", endpoint = "operators/add")]
pub async fn add_operator(
    username: String,
    role: String,
    password: String,
    confirm_password: String,
) -> Result<Operator, AppError> {
    let added = async {
        let (_, actor) = admin()?;
        let new = validate_new_operator(&username, &role, &password, &confirm_password)?;
        Ok(stores()?.operators.add(&new, &actor).await?)
    }
    .await;
    let draft = [("username", username.as_str()), ("role", role.as_str())];
    finish_form_post(added, AddOperator::PATH, &draft, |operator| {
        format!("/operators?added={}", operator.username)
    })
}

#[server(prefix = "/api", endpoint = "operators/set-role")]
pub async fn set_operator_role(username: String, role: String) -> Result<(), AppError> {
    let changed = async {
        let (operator, actor) = admin()?;
        let name = self::username(&username)?;
        let role = role
            .parse::<Role>()
            .map_err(|message| AppError::from(FieldErrors::one("role", message)))?;
        if role != Role::Admin {
            not_yourself(&operator, &name, "demote")?;
        }
        Ok(stores()?.operators.set_role(&name, role, &actor).await?)
    }
    .await;
    finish_form_post(changed, SetOperatorRole::PATH, &[], |_| {
        "/operators?changed=1".into()
    })
}

#[server(prefix = "/api", endpoint = "operators/set-disabled")]
pub async fn set_operator_disabled(username: String, disabled: bool) -> Result<(), AppError> {
    let changed = async {
        let (operator, actor) = admin()?;
        let name = self::username(&username)?;
        if disabled {
            not_yourself(&operator, &name, "disable")?;
        }
        Ok(stores()?
            .operators
            .set_disabled(&name, disabled, &actor)
            .await?)
    }
    .await;
    finish_form_post(changed, SetOperatorDisabled::PATH, &[], |_| {
        "/operators?changed=1".into()
    })
}

#[server(prefix = "/api", endpoint = "operators/reset-password")]
pub async fn reset_operator_password(
    username: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    let changed = async {
        let (_, actor) = admin()?;
        let name = self::username(&username)?;
        let password = validate_new_password(&password, &confirm_password)?;
        Ok(stores()?
            .operators
            .set_password(&name, &password, &actor)
            .await?)
    }
    .await;
    finish_form_post(changed, ResetOperatorPassword::PATH, &[], |_| {
        "/operators?changed=1".into()
    })
}

#[server(prefix = "/api", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<ApiTokenSummary>, AppError> {
    admin()?;
    Ok(stores()?.operators.list_tokens().await?)
}

/// Creates a token for `operator` (a username). Its secret is in this answer and nowhere else.
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(
    operator: String,
    label: Option<String>,
) -> Result<NewApiToken, AppError> {
    let created = async {
        let (_, actor) = admin()?;
        let owner = username(&operator)?;
        let label = label.unwrap_or_default();
        if label.chars().count() > 100 || label.chars().any(char::is_control) {
            let message = "A label has at most 100 characters and no control characters.";
            return Err(FieldErrors::one("label", message).into());
        }
        let token = stores()?
            .operators
            .create_token(&owner, &label, &actor)
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
                .map_err(|_| AppError::Unavailable)?;
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
    admin()?;
    let Ok(auth) = request_session().await else {
        return Ok(None);
    };
    auth.session
        .remove::<NewApiToken>(NEW_TOKEN_KEY)
        .await
        .map_err(|_| AppError::Unavailable)
}

#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    let revoked = async {
        let (_, actor) = admin()?;
        Ok(stores()?.operators.revoke_token(id, &actor).await?)
    }
    .await;
    finish_form_post(revoked, RevokeToken::PATH, &[], |_| {
        "/tokens?revoked=1".into()
    })
}
