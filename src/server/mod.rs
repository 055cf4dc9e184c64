//! Everything that runs only on the server. From the top down: `startup` wires it together,
//! `web` answers HTTP, `cli` runs the administrative commands; `stores` holds every domain's
//! store; the domains (`users`, `operators`, `reconcile`, `imports`) keep their rules and their
//! CQL, and `csv_files` reads and writes users as CSV;
//! `audit` records what they do; `cassandra` knows no domain; `config` is read first and
//! `logging` started before anything else.

pub mod audit;
pub mod cassandra;
pub mod cli;
pub mod config;
pub mod csv_files;
pub mod imports;
pub mod logging;
pub mod operators;
pub mod reconcile;
pub mod startup;
pub mod stores;
pub mod telemetry;
pub mod users;
pub mod web;

pub use stores::{Database, Stores};
