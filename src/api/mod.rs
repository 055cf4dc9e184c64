//! The server functions: the only door between the browser and the server, one file per
//! resource.
//!
//! Each has a stable endpoint under `/api`, accepts a URL-encoded form body (what `ActionForm` and a
//! plain HTML form post) and answers JSON. Errors are `AppError`; their HTTP status is set by
//! `server::web::errors` (401 signed out, 403 role, 404, 409, 422 invalid, 429 locked, 503
//! unavailable, 400 malformed). Every function checks the caller's role itself
//! (`server::web::request::require`), whatever the page showed, and leaves the rules to a domain.

pub mod audit;
pub mod auth;
pub mod bulk;
pub mod codec;
pub mod database;
pub mod imports;
pub mod operators;
pub mod passkeys;
pub mod reconcile;
pub mod second_step;
pub mod security;
pub mod tokens;
pub mod users;

pub use audit::*;
pub use auth::*;
pub use bulk::*;
pub use database::*;
pub use imports::*;
pub use operators::*;
pub use passkeys::*;
pub use reconcile::*;
pub use second_step::*;
pub use security::*;
pub use tokens::*;
pub use users::*;
