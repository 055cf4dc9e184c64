//! The session with Cassandra: contact points, the local datacenter, credentials, TLS.

use super::error::{describe, StorageError};
use crate::server::config::Config;
use scylla::client::{
    execution_profile::ExecutionProfile, session::Session, session_builder::SessionBuilder,
};
use scylla::errors::{ExecutionError, NewSessionError};
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::statement::SerialConsistency;
use secrecy::ExposeSecret;
use std::time::Duration;

/// Why the app could not get ready to use Cassandra.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not open a session")]
    Session(#[source] Box<NewSessionError>),
    #[error("could not create the schema")]
    Schema(#[source] Box<ExecutionError>),
    #[error("could not ask the node")]
    Query(#[source] StorageError),
    #[error("could not read the TLS CA file")]
    Tls(#[source] openssl::error::ErrorStack),
    /// An index the app needs still failed queries after this long (its replicas had not built it).
    #[error("the index read by `{condition}` was still not built after {}s", waited.as_secs())]
    IndexNotBuilt {
        condition: String,
        waited: Duration,
        #[source]
        last: Box<ExecutionError>,
    },
    /// The passkeys' relying party could not be made from the configuration.
    #[error("{0}")]
    Passkeys(String),
    /// Something in the keyspace stands in the way of the app's schema; the text says what to do.
    #[error("{0}")]
    SchemaConflict(String),
}

impl ConnectError {
    /// What is wrong, in one line that names the setting to look at (never the password).
    pub fn explain(&self, config: &Config) -> String {
        let detail = describe(self);
        let contact_points = config.contact_points.join(",");
        if detail.contains("AUTH_RESPONSE") || detail.contains("requires authentication") {
            let user = config
                .credentials
                .as_ref()
                .map_or("(no username)", |c| c.username.as_str());
            format!(
                "Cassandra refused to sign in {user:?} at {contact_points}: check CASSANDRA_USERNAME and CASSANDRA_PASSWORD ({})",
                last_clause(&detail)
            )
        } else if detail.contains("certificate verify failed")
            || matches!(self, ConnectError::Tls(_))
        {
            let ca = config
                .tls_ca_file
                .as_ref()
                .map_or("(none)".into(), |p| p.display().to_string());
            format!(
                "TLS with Cassandra at {contact_points} failed: the nodes' certificate is not signed by the CA in CASSANDRA_TLS_CA_FILE={ca} ({})",
                last_clause(&detail)
            )
        } else if let ConnectError::SchemaConflict(detail) = self {
            format!("Cassandra at {contact_points}: {detail}")
        } else if matches!(self, ConnectError::Session(_)) {
            format!(
                "cannot reach Cassandra at CASSANDRA_CONTACT_POINTS={contact_points} ({})",
                last_clause(&detail)
            )
        } else {
            format!("Cassandra at {contact_points} is not ready: {detail}")
        }
    }
}

/// The innermost cause in the driver's long error chains.
fn last_clause(detail: &str) -> &str {
    detail
        .rsplit("failed with: ")
        .next()
        .unwrap_or(detail)
        .trim()
}

// The driver's errors are large; boxing keeps every `Result` that carries them small.
impl From<NewSessionError> for ConnectError {
    fn from(error: NewSessionError) -> Self {
        ConnectError::Session(Box::new(error))
    }
}

impl From<StorageError> for ConnectError {
    fn from(error: StorageError) -> Self {
        ConnectError::Query(error)
    }
}

impl From<ExecutionError> for ConnectError {
    fn from(error: ExecutionError) -> Self {
        ConnectError::Schema(Box::new(error))
    }
}

/// Opens a session with the configured contact points, credentials, TLS and consistency.
pub async fn open_session(config: &Config) -> Result<Session, ConnectError> {
    let mut policy = DefaultPolicy::builder().token_aware(true);
    if let Some(dc) = &config.local_datacenter {
        policy = policy
            .prefer_datacenter(dc.clone())
            .permit_dc_failover(false);
    }
    let profile = ExecutionProfile::builder()
        .consistency(config.consistency)
        .serial_consistency(Some(SerialConsistency::LocalSerial))
        .request_timeout(Some(config.request_timeout))
        .load_balancing_policy(policy.build())
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&config.contact_points)
        .connection_timeout(Duration::from_secs(3))
        // Only our keyspace's metadata (for token-aware routing): on a cluster shared by many
        // applications, fetching every keyspace's schema costs memory and start-up time.
        .keyspaces_to_fetch([config.keyspace.as_str()])
        .default_execution_profile_handle(profile.into_handle());
    if let Some(credentials) = &config.credentials {
        builder = builder.user(&credentials.username, credentials.password.expose_secret());
    }
    if let Some(ca_file) = &config.tls_ca_file {
        builder = builder.tls_context(Some(tls_context(ca_file)?));
    }
    Ok(builder.build().await?)
}

fn tls_context(
    ca_file: &std::path::Path,
) -> Result<scylla::client::session::OpenSsl010Config, ConnectError> {
    use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
    let mut connector = SslConnector::builder(SslMethod::tls()).map_err(ConnectError::Tls)?;
    connector.set_ca_file(ca_file).map_err(ConnectError::Tls)?;
    connector.set_verify(SslVerifyMode::PEER);
    Ok(scylla::client::session::OpenSsl010Config::new(connector))
}
