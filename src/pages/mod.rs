pub mod activity;
pub mod edit_user;
pub mod not_found;
pub mod operators;
pub mod setup;
pub mod sign_in;
pub mod tokens;
pub mod users;
