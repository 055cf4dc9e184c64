//! Creates, email changes and deletes on Cassandra 6: one Accord transaction each (see
//! `accord_transactions`).

pub mod accord_transactions;
pub mod change_email;
pub mod create_user;
pub mod delete_user;
pub mod read;
pub mod shape;
pub mod statements;
