//! Runs a subcommand: connects as the server does, then hands over to the command's module.

use super::accounts::{operator, token};
use super::commands::{Command, SchemaCommand};
use super::reconcile::reconcile;
use super::schema::constraints;
use super::transfer::{export, import};
use crate::server::cassandra::error::describe;
use crate::server::config::{Config, Settings};
use crate::server::stores::Stores;

/// Runs one administrative command against the configured Cassandra.
pub async fn run(command: Command, settings: Settings) -> Result<(), String> {
    let config = Config::from_settings(settings).map_err(|e| e.to_string())?;
    let stores = Stores::connect(&config).await.map_err(|error| {
        format!(
            "cannot reach Cassandra at {} (keyspace {}): {}",
            config.contact_points.join(","),
            config.keyspace.as_str(),
            describe(&error)
        )
    })?;
    match command {
        Command::Serve => Ok(()),
        Command::Operator(command) => operator(&stores, command).await,
        Command::Token(command) => token(&stores, command).await,
        Command::Reconcile { restart } => reconcile(&stores, restart).await,
        Command::Export => export(&stores).await,
        Command::Import {
            file,
            update_existing,
            dry_run,
        } => import(&stores, &config, &file, update_existing, dry_run).await,
        Command::Schema(SchemaCommand::Constraints { apply }) => {
            constraints(&stores, &config, apply).await
        }
    }
}
