//! The users domain: `UserStore` and everything under it.

pub mod accord_statements;
pub mod cassandra5_steps;
pub mod cassandra6_accord;
pub mod claims;
pub mod conflicts;
pub mod email_index;
pub mod error;
pub mod rows;
pub mod schema;
pub mod statements;
pub mod store;

pub use claims::{RowReconciled, STALE_CLAIM_AFTER};
pub use error::UserError;
pub use store::UserStore;
