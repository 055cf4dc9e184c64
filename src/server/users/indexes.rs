//! The Storage-Attached Index on `users(email)`, case-insensitive, which finds rows other clients
//! wrote whatever the case of their email: `Ann@Example.com` is found by `ann@example.com`. It
//! must be the only index on that column: given a second, case-sensitive one, Cassandra's planner
//! may choose it, and case-insensitive lookups then silently find nothing. So an index on `email`
//! without `case_sensitive = false` stops start-up with the command that removes it.
//!
//! (Search once read an index on a `search_terms` column; it reads `ordered_terms` now. A
//! keyspace from then keeps that column and `users_search_idx`, which nothing writes or reads
//! any more: `DROP INDEX users_search_idx` gives its disk back.)

use crate::server::cassandra::schema::await_agreement;
use crate::server::cassandra::session::ConnectError;
use crate::server::cassandra::statements::ddl;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::DeserializeRow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The name of the index the app creates when `email` has none.
pub const EMAIL_INDEX: &str = "users_email_idx";

/// How long start-up waits for a new index to be built before it says so and keeps waiting.
const SAY_STILL_BUILDING_EVERY: Duration = Duration::from_secs(10);

/// How long one attempt to connect waits for an index to answer before it gives up with an error
/// (the server then tries the whole connection again, and Cassandra goes on building meanwhile).
/// Without a bound, a replica that never reports its index as built held start-up forever.
const GIVE_UP_WAITING_AFTER: Duration = Duration::from_secs(180);

/// Creates the email index if missing, refuses a case-sensitive one, and waits until it answers
/// queries (a new index fails them until it is built).
/// `accord`: the table is an Accord table, which answers QUORUM reads only.
pub async fn ensure(
    session: &Session,
    keyspace: &Keyspace,
    accord: bool,
) -> Result<(), ConnectError> {
    ensure_email_index(session, keyspace).await?;
    await_agreement(session).await?;
    wait_until_queryable(
        session,
        keyspace,
        "email = 'index-probe@example.invalid'",
        accord,
    )
    .await
}

async fn ensure_email_index(session: &Session, keyspace: &Keyspace) -> Result<(), ConnectError> {
    let ks = keyspace.as_str();
    let indexes = indexes_on(session, keyspace, "email").await?;
    let (case_insensitive, others): (Vec<_>, Vec<_>) = indexes
        .iter()
        .partition(|index| index.option("case_sensitive") == Some("false"));
    if let Some(other) = others.first() {
        let other = &other.index_name;
        return Err(ConnectError::SchemaConflict(format!(
            "the index {ks}.{other} on users(email) is case-sensitive, so lookups of emails written \
             in another case would silently find nothing; remove it with `DROP INDEX {ks}.{other}` \
             (the app creates its own)"
        )));
    }
    if case_insensitive.is_empty() {
        let create = format!(
            "CREATE INDEX IF NOT EXISTS {EMAIL_INDEX} ON {ks}.users (email) USING 'sai' \
             WITH OPTIONS = {{'case_sensitive': 'false', 'normalize': 'true'}}"
        );
        session.query_unpaged(ddl(create), ()).await?;
    }
    Ok(())
}

#[derive(DeserializeRow)]
struct IndexRow {
    index_name: String,
    options: Option<HashMap<String, String>>,
}

impl IndexRow {
    fn option(&self, name: &str) -> Option<&str> {
        self.options.as_ref()?.get(name).map(String::as_str)
    }
}

/// Every index on `users(column)`, with its options.
async fn indexes_on(
    session: &Session,
    keyspace: &Keyspace,
    column: &str,
) -> Result<Vec<IndexRow>, ConnectError> {
    let unusable = |e: &dyn std::fmt::Display| ConnectError::SchemaConflict(e.to_string());
    let result = session
        .query_unpaged(
            "SELECT index_name, options FROM system_schema.indexes \
             WHERE keyspace_name = ? AND table_name = 'users'",
            (keyspace.as_str(),),
        )
        .await?;
    let rows = result.into_rows_result().map_err(|e| unusable(&e))?;
    let mut on_email = Vec::new();
    for row in rows.rows::<IndexRow>().map_err(|e| unusable(&e))? {
        let index = row.map_err(|e| unusable(&e))?;
        if index.option("target").map(|t| t.trim_matches('"')) == Some(column) {
            on_email.push(index);
        }
    }
    Ok(on_email)
}

/// Asks the index itself (`condition` reads through it): a query through it fails until enough
/// replicas have built it.
async fn wait_until_queryable(
    session: &Session,
    keyspace: &Keyspace,
    condition: &str,
    accord: bool,
) -> Result<(), ConnectError> {
    let mut probe = scylla::statement::unprepared::Statement::new(format!(
        "SELECT id FROM {}.users WHERE {condition} LIMIT 1",
        keyspace.as_str()
    ));
    if accord {
        probe.set_consistency(scylla::statement::Consistency::Quorum);
    }
    let started = Instant::now();
    let mut last_said = Instant::now();
    loop {
        match session.query_unpaged(probe.clone(), ()).await {
            Ok(_) => return Ok(()),
            Err(error) if is_still_building(&error) => {
                if started.elapsed() >= GIVE_UP_WAITING_AFTER {
                    return Err(ConnectError::IndexNotBuilt {
                        condition: condition.to_owned(),
                        waited: started.elapsed(),
                        last: Box::new(error),
                    });
                }
                if last_said.elapsed() >= SAY_STILL_BUILDING_EVERY {
                    tracing::info!(
                        "the index read by `{condition}` is still being built ({}s); waiting",
                        started.elapsed().as_secs()
                    );
                    last_said = Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// A query through an index that is not built yet fails with a read failure
/// (IndexNotAvailableException on the replicas).
fn is_still_building(error: &scylla::errors::ExecutionError) -> bool {
    use scylla::errors::{DbError, ExecutionError, RequestAttemptError};
    matches!(
        error,
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(
            DbError::ReadFailure { .. } | DbError::ReadTimeout { .. },
            _
        ))
    ) || error.to_string().contains("not available")
}
