//! Imports of users from CSV files: jobs whose state is in Cassandra, worked on a chunk at a
//! time by whichever app server holds their lease.

pub mod apply;
pub mod check;
pub mod chunks;
pub mod error;
pub mod importer;
pub mod job_row;
pub mod jobs;
pub mod schema;
pub mod upload;
pub mod worker;

pub use error::ImportError;
pub use importer::Importer;
