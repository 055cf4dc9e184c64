//! Reconcile: a resumable walk of `users` that gives rows written elsewhere their email claims.

pub mod error;
pub mod findings;
pub mod reconciler;
pub mod run;
pub mod schema;

pub use error::ReconcileError;
pub use reconciler::Reconciler;
