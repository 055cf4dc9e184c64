//! Creates, updates and deletes on Cassandra 5: ordered steps (see `ordered_steps`).

pub mod create_user;
pub mod delete_user;
pub mod if_unchanged;
pub mod ordered_steps;
pub mod update_user;
