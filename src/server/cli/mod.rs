//! The command line for scripts and CI: the server binary's subcommands besides `serve`
//! (`commands` lists them).

pub mod accounts;
pub mod commands;
pub mod reconcile;
pub mod run;
pub mod schema;
pub mod transfer;

pub use commands::{Cli, Command};
pub use run::run;
