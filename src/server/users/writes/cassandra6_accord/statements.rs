//! The Accord transactions on `users` and `users_by_email`, prepared once at start-up (their CQL
//! is in `create_user`, `change_email` and `delete_user`).
//!
//! Accord tables refuse the LOCAL_* consistency levels, so every statement on these tables runs
//! at QUORUM (and SERIAL).

use super::shape::ByShape;
use super::{change_email, create_user, delete_user};
use crate::server::cassandra::statements::{lwt, use_accord_levels};
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};

pub struct AccordStatements {
    pub create_user: PreparedStatement,
    pub change_email: ByShape,
    pub delete_user: ByShape,
}

impl AccordStatements {
    /// Prepares the transactions if both tables take part in Accord; `None` (and a log line
    /// saying why) if they do not, for instance because they were created before Accord was on.
    pub async fn if_tables_are_transactional(
        session: &Session,
        keyspace: &Keyspace,
    ) -> Result<Option<Self>, ExecutionError> {
        let ks = keyspace.as_str();
        let probe = format!(
            "BEGIN TRANSACTION
               LET u = (SELECT id FROM {ks}.users WHERE id = 00000000-0000-0000-0000-000000000000);
               LET c = (SELECT id FROM {ks}.users_by_email WHERE email = 'probe@example.invalid');
               SELECT u.id, c.id;
             COMMIT TRANSACTION"
        );
        let mut statement = scylla::statement::unprepared::Statement::new(probe);
        statement.set_consistency(Consistency::Quorum);
        statement.set_serial_consistency(Some(SerialConsistency::Serial));
        if let Err(error) = session.query_unpaged(statement, ()).await {
            tracing::warn!(
                "Accord is on, but {ks}.users and {ks}.users_by_email do not take part in \
                 transactions ({error}); changes use ordered steps. Tables created by this app on \
                 a node with Accord have transactional_mode = 'full'."
            );
            return Ok(None);
        }
        Self::prepare(session, keyspace).await.map(Some)
    }

    async fn prepare(session: &Session, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        Ok(AccordStatements {
            create_user: prepare(session, create_user::cql(ks)).await?,
            change_email: ByShape::prepare(
                |shape| change_email::cql(ks, shape),
                |cql| prepare(session, cql),
            )
            .await?,
            delete_user: ByShape::prepare(
                |shape| delete_user::cql(ks, shape),
                |cql| prepare(session, cql),
            )
            .await?,
        })
    }
}

async fn prepare(session: &Session, cql: String) -> Result<PreparedStatement, ExecutionError> {
    // Not idempotent: the driver must not repeat a transaction on its own.
    let mut statement = lwt(session, cql).await?;
    use_accord_levels(&mut statement);
    Ok(statement)
}
