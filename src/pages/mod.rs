pub mod edit_user;
pub mod not_found;
pub mod users;
