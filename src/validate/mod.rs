//! What valid input is: a user (name, email), an operator (username, role, password) and a
//! search.
//! Compiled into both the browser bundle and the server, so the form and the API reject exactly
//! the same input with exactly the same words.

mod field_errors;
mod operator;
mod search;
mod user;

pub use field_errors::FieldErrors;
pub use operator::{
    validate_new_operator, validate_new_password, NewOperator, Password, Username,
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, USERNAME_MAX_CHARS,
};
pub use search::{SearchQuery, SEARCH_MAX_CHARS, SEARCH_MIN_CHARS};
pub use user::{
    validate_user, Email, Name, ValidUser, EMAIL_LABEL_MAX_CHARS, EMAIL_LOCAL_MAX_CHARS,
    EMAIL_LOCAL_SPECIALS, EMAIL_MAX_CHARS, NAME_MAX_CHARS,
};
