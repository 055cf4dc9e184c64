//! The users domain: `UserStore` and everything under it.

pub mod claims;
pub mod conflicts;
pub mod constraints;
pub mod error;
pub mod indexes;
pub mod name_order;
pub mod rows;
pub mod schema;
pub mod search_terms;
pub mod statements;
pub mod store;
pub mod writes;

pub use claims::{RowReconciled, STALE_CLAIM_AFTER};
pub use error::UserError;
pub use store::{Reconciled, UserStore};
