//! Creating the keyspace and running each domain's DDL, idempotently, at start-up.

use super::statements::ddl;
use crate::server::config::{Keyspace, Replication};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;

/// Creates the keyspace if it is missing. Only when missing: creating a keyspace needs CREATE on
/// all keyspaces, which a production role that may use just its own keyspace does not have (even
/// with IF NOT EXISTS).
pub async fn ensure_keyspace(
    session: &Session,
    keyspace: &Keyspace,
    replication: &Replication,
) -> Result<(), ExecutionError> {
    let existing = session
        .query_unpaged(
            "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
            (keyspace.as_str(),),
        )
        .await?;
    let keyspace_exists = existing
        .into_rows_result()
        .map(|rows| rows.rows_num() > 0)
        .unwrap_or(false);
    if !keyspace_exists {
        // Identifiers cannot be bound, so DDL is the one place where names are written into
        // CQL; both come from validated configuration (Keyspace, Replication), never a request.
        let cql = format!(
            "CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {}",
            keyspace.as_str(),
            replication.to_cql()
        );
        session.query_unpaged(ddl(cql), ()).await?;
    }
    Ok(())
}

/// Runs `CREATE ... IF NOT EXISTS` statements one by one.
pub async fn run_ddl(session: &Session, statements: Vec<String>) -> Result<(), ExecutionError> {
    for statement in statements {
        session.query_unpaged(ddl(statement), ()).await?;
    }
    Ok(())
}

/// Adds `column` to `keyspace.table` unless the table has it already: how tables that an older
/// version of the app (or the Python quickstart) created get the columns a newer one needs.
pub async fn add_column_if_missing(
    session: &Session,
    keyspace: &Keyspace,
    table: &str,
    column: &str,
    cql_type: &str,
) -> Result<(), ExecutionError> {
    let existing = session
        .query_unpaged(
            "SELECT column_name FROM system_schema.columns \
             WHERE keyspace_name = ? AND table_name = ? AND column_name = ?",
            (keyspace.as_str(), table, column),
        )
        .await?;
    let present = existing
        .into_rows_result()
        .map(|rows| rows.rows_num() > 0)
        .unwrap_or(false);
    if !present {
        let cql = format!(
            "ALTER TABLE {}.{table} ADD {column} {cql_type}",
            keyspace.as_str()
        );
        session.query_unpaged(ddl(cql), ()).await?;
    }
    Ok(())
}

/// Waits until every node has the same schema.
pub async fn await_agreement(session: &Session) -> Result<(), ExecutionError> {
    session
        .await_schema_agreement()
        .await
        .map(|_| ())
        .map_err(ExecutionError::from)
}

/// Drops a keyspace; used by tests and benchmarks to clean up after themselves.
pub async fn drop_keyspace(session: &Session, keyspace: &Keyspace) -> Result<(), ExecutionError> {
    let cql = format!("DROP KEYSPACE IF EXISTS {}", keyspace.as_str());
    session.query_unpaged(ddl(cql), ()).await.map(|_| ())
}
