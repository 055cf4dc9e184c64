//! Test helpers: a test's database (`TestDb`, over a keyspace shared, borrowed or made for it),
//! the node under test, the app on an ephemeral port, and an OpenID Provider for single sign-on.

mod app;
mod identity_provider;
mod keyspaces;
mod node;
mod phone;
mod test_db;

pub use app::{
    bind_ephemeral, browser, http_client, post_form, serve_db, spawn_app, spawn_app_on,
    spawn_app_with, spawn_app_with_settings, Served,
};
pub use identity_provider::{redirected, IdentityProvider};
pub use keyspaces::{fresh_keyspace_config, test_config};
pub use node::{at_quorum, expected_release, expects_transactions, refresh_estimates};
pub use phone::{with_authenticator, Phone};
pub use test_db::{email_tagged, TestDb, PASSWORD};
