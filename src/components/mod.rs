pub mod notice;
pub mod user_fields;
