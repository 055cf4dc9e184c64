//! The server functions: the only door between the browser and the server.
//!
//! Each has a stable endpoint under `/api`, accepts a URL-encoded form body (what `ActionForm` and a
//! plain HTML form post) and answers JSON. Errors are `AppError`; their HTTP status is set by
//! `server::http` (401 signed out, 403 role, 404, 409, 422 invalid, 429 locked, 503 unavailable,
//! 400 malformed). Every function checks the caller's role itself (`server::auth::require`),
//! whatever the page showed.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod reconcile;
pub mod users;

pub use admin::*;
pub use audit::*;
pub use auth::*;
pub use reconcile::*;
pub use users::*;

/// The `before` cursor of an audit page: an event's id, a time-based (version 1) UUID.
#[cfg(feature = "ssr")]
pub(crate) fn parse_time_cursor(
    before: Option<String>,
) -> Result<Option<uuid::Uuid>, crate::error::AppError> {
    let Some(text) = before.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    uuid::Uuid::try_parse(text)
        .ok()
        .filter(|id| id.get_version_num() == 1)
        .map(Some)
        .ok_or_else(|| crate::error::AppError::BadRequest {
            detail: format!(
                "'{text}' is not a position in the history (an event id was expected)."
            ),
        })
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
    register_explicit::<GetDatabaseInfo>();
    register_explicit::<UserHistory>();
    register_explicit::<ListActivity>();
    register_explicit::<Whoami>();
    register_explicit::<SignIn>();
    register_explicit::<SignOut>();
    register_explicit::<SetupNeedsCode>();
    register_explicit::<CreateFirstAdmin>();
    register_explicit::<ListOperators>();
    register_explicit::<AddOperator>();
    register_explicit::<SetOperatorRole>();
    register_explicit::<SetOperatorDisabled>();
    register_explicit::<ResetOperatorPassword>();
    register_explicit::<ListTokens>();
    register_explicit::<CreateToken>();
    register_explicit::<RevokeToken>();
    register_explicit::<TakeNewToken>();
    register_explicit::<GetReconcileStatus>();
    register_explicit::<StartReconcile>();
}
