//! The Cassandra session and the schema the app needs.

use super::config::{Config, Keyspace};
use scylla::client::{
    execution_profile::ExecutionProfile, session::Session, session_builder::SessionBuilder,
};
use scylla::errors::{ExecutionError, NewSessionError};
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::SerialConsistency;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not open a session: {0}")]
    Session(Box<NewSessionError>),
    #[error("could not create the schema: {0}")]
    Schema(Box<ExecutionError>),
    #[error("could not read the TLS CA file: {0}")]
    Tls(String),
    #[error("the email index is not usable: {0}")]
    Index(String),
}

impl ConnectError {
    /// What is wrong, in one line that names the setting to look at (never the password).
    pub fn explain(&self, config: &Config) -> String {
        let detail = self.to_string();
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
        } else if let ConnectError::Index(detail) = self {
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
        builder = builder.user(&credentials.username, &credentials.password);
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
    let tls_error = |e: openssl::error::ErrorStack| ConnectError::Tls(e.to_string());
    let mut connector = SslConnector::builder(SslMethod::tls()).map_err(tls_error)?;
    connector.set_ca_file(ca_file).map_err(tls_error)?;
    connector.set_verify(SslVerifyMode::PEER);
    Ok(scylla::client::session::OpenSsl010Config::new(connector))
}

/// Creates the keyspace and tables if they are missing and waits for schema agreement. Safe to run on every start and against a keyspace that the
/// Python quickstart created: `users` has exactly the quickstart's columns.
/// With `accord`, `users` and `users_by_email` are created to take part in Accord transactions.
pub async fn ensure_schema(
    session: &Session,
    config: &Config,
    accord: bool,
) -> Result<(), ExecutionError> {
    let keyspace = config.keyspace.as_str();
    // Identifiers cannot be bound, so DDL is the one place where names are written into CQL;
    // both come from validated configuration (Keyspace, Replication), never from a request.
    // Only when missing: creating a keyspace needs CREATE on all keyspaces, which a production
    // role that may use just its own keyspace does not have (even with IF NOT EXISTS).
    let existing = session
        .query_unpaged(
            "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
            (keyspace,),
        )
        .await?;
    let keyspace_exists = existing
        .into_rows_result()
        .map(|rows| rows.rows_num() > 0)
        .unwrap_or(false);
    if !keyspace_exists {
        session
            .query_unpaged(
                ddl(format!(
                    "CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {}",
                    config.replication.to_cql()
                )),
                (),
            )
            .await?;
    }
    let transactional = if accord {
        " WITH transactional_mode = 'full'"
    } else {
        ""
    };
    let statements = [
        // The users and their email claims.
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.users (id uuid PRIMARY KEY, name text, email text){transactional}"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.users_by_email (email text PRIMARY KEY, id uuid){transactional}"),
        // Operators, their API tokens (by id for the admin page, by hash for requests), and the
        // one-row claim that makes "the first administrator" happen once.
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.operators (username text PRIMARY KEY, password_hash text, role text, disabled boolean, created_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.first_admin (claim int PRIMARY KEY, username text)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.api_tokens (id uuid PRIMARY KEY, token_hash text, label text, username text, created_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.api_tokens_by_hash (token_hash text PRIMARY KEY, id uuid, username text)"),
        // Sign-in sessions (keyed by a hash of the cookie's id) and throttling; rows carry TTLs.
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.sessions (id_hash text PRIMARY KEY, data text, expires_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.sign_in_failures (username text, at timeuuid, PRIMARY KEY (username, at))"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.sign_in_locks (username text PRIMARY KEY, until timestamp)"),
        // The audit trail, newest first: per user (the History section), per day (the Activity
        // page), and the list of days that have events, so paging back skips empty days.
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.audit_by_user (user_id uuid, at timeuuid, operator text, action text, details text, before map<text, text>, after map<text, text>, PRIMARY KEY (user_id, at)) WITH CLUSTERING ORDER BY (at DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.audit_by_day (day date, at timeuuid, operator text, action text, user_id uuid, details text, before map<text, text>, after map<text, text>, PRIMARY KEY (day, at)) WITH CLUSTERING ORDER BY (at DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.audit_days (bucket int, day date, PRIMARY KEY (bucket, day)) WITH CLUSTERING ORDER BY (day DESC)"),
        // Reconcile runs (newest first, with their position for resuming) and the rows each run
        // found sharing an email.
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.reconcile_runs (bucket int, run timeuuid, next_token bigint, scanned bigint, claimed bigint, duplicate_emails bigint, not_emails bigint, finished boolean, PRIMARY KEY (bucket, run)) WITH CLUSTERING ORDER BY (run DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {keyspace}.reconcile_duplicates (run timeuuid, email text, id uuid, name text, stored_email text, age_rank int, PRIMARY KEY (run, email, id))"),
    ];
    for statement in statements {
        session.query_unpaged(ddl(statement), ()).await?;
    }
    session
        .await_schema_agreement()
        .await
        .map_err(ExecutionError::from)?;
    Ok(())
}

/// A schema change: it waits for the nodes to agree, which can take far longer than a request.
pub fn ddl(cql: String) -> scylla::statement::unprepared::Statement {
    let mut statement = scylla::statement::unprepared::Statement::new(cql);
    statement.set_request_timeout(Some(Duration::from_secs(60)));
    statement
}

/// The node's release version, e.g. "5.0.9" or "6.0-alpha2".
pub async fn release_version(session: &Session) -> Result<String, ExecutionError> {
    let result = session
        .query_unpaged("SELECT release_version FROM system.local", ())
        .await?;
    let version = result
        .into_rows_result()
        .ok()
        .and_then(|rows| rows.maybe_first_row::<(Option<String>,)>().ok().flatten())
        .and_then(|(version,)| version)
        .unwrap_or_default();
    Ok(version)
}

/// Prepares a statement once, at start-up. A plain read or write may be retried by the driver
/// after a timeout or a broken connection (`plain`); a lightweight transaction may not (`lwt`):
/// a retry could apply it twice.
pub async fn plain(session: &Session, cql: String) -> Result<PreparedStatement, ExecutionError> {
    prepared(session, cql, true).await
}

pub async fn lwt(session: &Session, cql: String) -> Result<PreparedStatement, ExecutionError> {
    prepared(session, cql, false).await
}

async fn prepared(
    session: &Session,
    cql: String,
    idempotent: bool,
) -> Result<PreparedStatement, ExecutionError> {
    let mut statement = session.prepare(cql).await?;
    statement.set_is_idempotent(idempotent);
    Ok(statement)
}

/// Drops a keyspace; used by tests to clean up after themselves.
pub async fn drop_keyspace(session: &Session, keyspace: &Keyspace) -> Result<(), ExecutionError> {
    session
        .query_unpaged(
            ddl(format!("DROP KEYSPACE IF EXISTS {}", keyspace.as_str())),
            (),
        )
        .await
        .map(|_| ())
}
