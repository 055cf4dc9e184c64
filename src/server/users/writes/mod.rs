//! How a change of users reaches the tables: one interface, one path per Cassandra version.

pub mod cassandra5_steps;
pub mod cassandra6_accord;
pub mod user_writes;
