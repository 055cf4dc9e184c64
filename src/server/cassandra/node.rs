//! The node the session talks to: its release version, and whether it runs Accord.

use super::error::StorageError;
use super::statements::plain;
use crate::server::telemetry::{CASSANDRA_NODES, CASSANDRA_REQUESTS};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use std::sync::Arc;

/// Questions to the node itself rather than to the app's tables.
pub struct Node {
    session: Arc<Session>,
    release_version: PreparedStatement,
}

impl Node {
    pub async fn new(session: Arc<Session>) -> Result<Self, ExecutionError> {
        let release_version =
            plain(&session, "SELECT release_version FROM system.local".into()).await?;
        Ok(Node {
            session,
            release_version,
        })
    }

    /// The node's release version, e.g. "5.0.9" or "6.0-alpha2". Asks the node every time, so
    /// it also tells whether Cassandra answers right now.
    pub async fn release_version(&self) -> Result<String, StorageError> {
        let (version,) = self
            .session
            .execute_unpaged(&self.release_version, ())
            .await?
            .into_rows_result()?
            .single_row::<(String,)>()?;
        Ok(version)
    }

    /// Puts what the driver knows into the metrics: the requests it has sent, and how many of
    /// the nodes it knows it is connected to. Read when the metrics are scraped.
    pub fn record_driver_state(&self) {
        let driver = self.session.get_metrics();
        let requests = driver.get_requests_unpaged_num()
            + driver.get_requests_manually_paged_num()
            + driver.get_requests_automatically_paged_num();
        metrics::counter!(CASSANDRA_REQUESTS).absolute(requests);
        let cluster = self.session.get_cluster_state();
        let nodes = cluster.get_nodes_info();
        let connected = nodes.iter().filter(|node| node.is_connected()).count();
        metrics::gauge!(CASSANDRA_NODES, "state" => "connected").set(connected as f64);
        metrics::gauge!(CASSANDRA_NODES, "state" => "disconnected")
            .set((nodes.len() - connected) as f64);
    }

    /// Whether the node runs Accord: Cassandra 6 or later with `accord.enabled: true`.
    pub async fn runs_accord(&self, release_version: &str) -> bool {
        if major_version(release_version) < 6 {
            return false;
        }
        let setting = self
            .session
            .query_unpaged(
                "SELECT value FROM system_views.settings WHERE name = 'accord.enabled'",
                (),
            )
            .await;
        let value = setting
            .ok()
            .and_then(|result| result.into_rows_result().ok())
            .and_then(|rows| rows.maybe_first_row::<(Option<String>,)>().ok().flatten())
            .and_then(|(value,)| value);
        value.as_deref() == Some("true")
    }
}

/// The major version of a release (`6.0-alpha2` → 6, `5.0.9` → 5); 0 when it cannot tell.
pub fn major_version(release_version: &str) -> u32 {
    release_version
        .split(['.', '-'])
        .next()
        .and_then(|major| major.parse::<u32>().ok())
        .unwrap_or(0)
}
