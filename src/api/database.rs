//! The Cassandra the server talks to.

use crate::error::AppError;
use crate::model::DatabaseInfo;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::web::request::{require, stores},
};

/// The release version of the Cassandra node the server talks to, e.g. "5.0.9".
#[server(prefix = "/api", endpoint = "cassandra/version")]
pub async fn cassandra_version() -> Result<String, AppError> {
    require(Role::Viewer)?;
    Ok(stores()?.node.release_version().await?)
}

/// The node's version and whether changes run as Accord transactions (shown in the footer).
#[server(prefix = "/api", endpoint = "cassandra/info")]
pub async fn get_database_info() -> Result<DatabaseInfo, AppError> {
    require(Role::Viewer)?;
    let stores = stores()?;
    Ok(DatabaseInfo {
        version: stores.node.release_version().await?,
        transactions: stores.users.uses_transactions(),
    })
}
