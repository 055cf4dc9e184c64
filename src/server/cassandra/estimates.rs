//! How many partitions a table holds, from Cassandra's own estimates (`system.size_estimates`):
//! every node estimates the partitions of the token ranges it is the primary owner of, from the
//! data on its disk, every few minutes. Summed over every node, that is an estimate of the whole
//! table, read in one small query per node instead of a count that would scan it.

use super::error::StorageError;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::policies::load_balancing::{NodeIdentifier, SingleTargetLoadBalancingPolicy};
use scylla::statement::prepared::PreparedStatement;
use scylla::DeserializeRow;
use time::OffsetDateTime;

/// A table's size as Cassandra estimates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub partitions: u64,
    /// When the oldest of the nodes' estimates was made; `None` when no node has one yet (the
    /// table's data is still in memory only, or the first estimate is not due yet).
    pub as_of: Option<OffsetDateTime>,
}

#[derive(DeserializeRow)]
struct RangeEstimate {
    partitions_count: Option<i64>,
    written: Option<i64>,
}

/// The per-node question, prepared once.
pub struct Estimates {
    ranges_of_table: PreparedStatement,
}

impl Estimates {
    pub async fn new(session: &Session) -> Result<Self, ExecutionError> {
        let ranges_of_table = session
            .prepare(
                "SELECT partitions_count, writetime(partitions_count) AS written \
                 FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?",
            )
            .await?;
        Ok(Estimates { ranges_of_table })
    }

    /// The estimate of `keyspace.table`, asking every node the session knows for its own.
    pub async fn of(
        &self,
        session: &Session,
        keyspace: &str,
        table: &str,
    ) -> Result<Estimate, StorageError> {
        let mut estimate = Estimate {
            partitions: 0,
            as_of: None,
        };
        for node in session.get_cluster_state().get_nodes_info() {
            let mut statement = self.ranges_of_table.clone();
            statement.set_load_balancing_policy(Some(SingleTargetLoadBalancingPolicy::new(
                NodeIdentifier::Node(node.clone()),
                None,
            )));
            let ranges = session
                .execute_unpaged(&statement, (keyspace, table))
                .await?
                .into_rows_result()?;
            for range in ranges.rows::<RangeEstimate>()? {
                let range = range?;
                estimate.partitions += range.partitions_count.unwrap_or(0).max(0) as u64;
                let written = range.written.and_then(|micros| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
                });
                estimate.as_of = match (estimate.as_of, written) {
                    (Some(seen), Some(this)) => Some(seen.min(this)),
                    (seen, this) => seen.or(this),
                };
            }
        }
        Ok(estimate)
    }
}
