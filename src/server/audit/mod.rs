//! The audit trail: who changed what, and when. Every domain writes its events here.

pub mod action;
pub mod activity;
pub mod event;
pub mod log;
pub mod rows;
pub mod schema;
pub mod time;

pub use action::Action;
pub use event::{Actor, Event};
pub use log::AuditLog;
pub use rows::Recorded;
