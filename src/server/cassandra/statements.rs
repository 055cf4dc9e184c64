//! Preparing statements, once, at start-up: each says whether the driver may repeat it.

use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::unprepared::Statement;
use scylla::statement::{Consistency, SerialConsistency};
use std::time::Duration;

/// A plain read or write: the driver may send it again after a timeout or a broken connection.
pub async fn plain(session: &Session, cql: String) -> Result<PreparedStatement, ExecutionError> {
    prepared(session, cql, true).await
}

/// A lightweight transaction (or an Accord transaction): the driver must not repeat it, as a
/// repeat could apply it twice.
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

/// Accord tables (Cassandra 6) accept QUORUM and SERIAL, not LOCAL_QUORUM or LOCAL_SERIAL.
pub fn use_accord_levels(statement: &mut PreparedStatement) {
    statement.set_consistency(Consistency::Quorum);
    statement.set_serial_consistency(Some(SerialConsistency::Serial));
}

/// A schema change: it waits for the nodes to agree, which can take far longer than a request.
pub fn ddl(cql: String) -> Statement {
    let mut statement = Statement::new(cql);
    statement.set_request_timeout(Some(Duration::from_secs(60)));
    statement
}
