//! Cassandra without any domain: the session, schema helpers, preparing statements, retries,
//! reading LWT answers, leases among app servers, and `StorageError`. Every domain builds on these.

pub mod error;
pub mod estimates;
pub mod lease;
pub mod lwt;
pub mod node;
pub mod retries;
pub mod schema;
pub mod session;
pub mod statements;

pub use error::StorageError;
