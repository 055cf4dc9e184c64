pub mod form;
pub mod history;
pub mod notice;
pub mod user_fields;
