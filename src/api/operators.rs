//! For admins: the operators who may sign in, and their roles.

use crate::error::AppError;
use crate::model::{Operator, OperatorSummary};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::audit::Actor,
    server::web::forms::finish_form_post,
    server::web::request::{require, stores},
    validate::{validate_new_operator, validate_new_password, FieldErrors, Username},
};

/// The admin making the request, and as whom the change is recorded.
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
    require(Role::Admin)?;
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

/// Removes another operator's second factors (authenticator app, recovery codes), when they lost
/// their phone: their password alone signs them in until they add an app again. Audited.
#[server(prefix = "/api", endpoint = "operators/reset-second-factor")]
pub async fn reset_operator_second_factor(username: String) -> Result<(), AppError> {
    let reset = async {
        let (_, actor) = admin()?;
        let name = self::username(&username)?;
        let stores = stores()?;
        if stores.operators.get(name.as_str()).await?.is_none() {
            return Err(AppError::NotFound);
        }
        Ok(stores.second_factors.reset(name.as_str(), &actor).await?)
    }
    .await;
    finish_form_post(reset, ResetOperatorSecondFactor::PATH, &[], |_| {
        "/operators?changed=1".into()
    })
}
