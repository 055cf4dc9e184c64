//! The server functions: the only door between the browser and the server.
//!
//! Each has a stable endpoint under `/api`, accepts a URL-encoded form body (what `ActionForm` and a
//! plain HTML form post) and answers JSON. Errors are `AppError`; their HTTP status is set by
//! `server::http` (422 invalid, 409 email taken, 404, 503 unavailable, 400 malformed).

use crate::error::AppError;
use crate::model::{User, UserPage};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::{
    model::Cursor,
    server::{database, finish_form_post},
    validate::{validate_user, Email},
};

/// One page of users in token order. `after` is the cursor from the previous page's `next`.
#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(after: Option<String>) -> Result<UserPage, AppError> {
    let after = match after.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<Cursor>()
                .map_err(|detail| AppError::BadRequest { detail })?,
        ),
    };
    Ok(database()?.list(after).await?)
}

#[server(prefix = "/api", endpoint = "users/get")]
pub async fn get_user(id: Uuid) -> Result<User, AppError> {
    Ok(database()?.get(id).await?)
}

/// The user with this email (normalised before the lookup), or 404.
#[server(prefix = "/api", endpoint = "users/find")]
pub async fn find_user(email: String) -> Result<User, AppError> {
    let email = Email::parse(&email).map_err(AppError::invalid_email)?;
    Ok(database()?.find_by_email(&email).await?)
}

#[server(prefix = "/api", endpoint = "users/create")]
pub async fn create_user(name: String, email: String) -> Result<User, AppError> {
    let created = async { Ok(database()?.create(&validate_user(&name, &email)?).await?) }.await;
    let draft = [("name", name.as_str()), ("email", email.as_str())];
    finish_form_post(created, CreateUser::PATH, &draft, |user| {
        format!("/?added={}", user.id)
    })
}

#[server(prefix = "/api", endpoint = "users/update")]
pub async fn update_user(id: Uuid, name: String, email: String) -> Result<User, AppError> {
    let updated = async {
        Ok(database()?
            .update(id, &validate_user(&name, &email)?)
            .await?)
    }
    .await;
    let draft = [("name", name.as_str()), ("email", email.as_str())];
    finish_form_post(updated, UpdateUser::PATH, &draft, |user| {
        format!("/?saved={}", user.id)
    })
}

#[server(prefix = "/api", endpoint = "users/delete")]
pub async fn delete_user(id: Uuid) -> Result<(), AppError> {
    let deleted = async { Ok(database()?.delete(id).await?) }.await;
    finish_form_post(deleted, DeleteUser::PATH, &[], |_| "/?deleted=1".into())
}

/// The release version of the Cassandra node the server talks to, e.g. "5.0.9".
#[server(prefix = "/api", endpoint = "cassandra/version")]
pub async fn cassandra_version() -> Result<String, AppError> {
    Ok(database()?.release_version().await?)
}

/// Registers every server function with the router explicitly, so that binaries and tests that
/// link this crate as a library serve them even if the linker drops automatic registrations.
#[cfg(feature = "ssr")]
pub fn register_server_functions() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<ListUsers>();
    register_explicit::<GetUser>();
    register_explicit::<FindUser>();
    register_explicit::<CreateUser>();
    register_explicit::<UpdateUser>();
    register_explicit::<DeleteUser>();
    register_explicit::<CassandraVersion>();
}
