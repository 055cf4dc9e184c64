//! The audit trail: who changed what, and when. Every domain writes its events here.

pub mod action;
pub mod event;
pub mod log;
pub mod schema;
pub mod time;

pub use action::Action;
pub use event::{Actor, Event};
pub use log::{AuditLog, Recorded};
