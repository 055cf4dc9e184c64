//! The conditional writes (LWT) of updates and deletes.

use crate::server::cassandra::lwt::lwt_outcome;
use crate::server::cassandra::retries::with_retries;
use crate::server::users::error::UserError;
use scylla::client::session::Session;
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;

/// Runs a conditional write (LWT) and says whether it applied. Retried on transient errors: the
/// callers read the row again when it did not apply, to tell their own earlier attempt from
/// someone else's change.
pub async fn apply_if_unchanged(
    session: &Session,
    statement: &PreparedStatement,
    values: &impl SerializeRow,
) -> Result<bool, UserError> {
    let result = with_retries(|| session.execute_unpaged(statement, values)).await?;
    Ok(lwt_outcome(result, "id")?.0)
}
