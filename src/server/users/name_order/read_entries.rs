//! Reading entries (of `users_by_name` or `users_by_term`): the slices of a bucket's shards
//! merged into one order, and each entry's user read by id, so a page shows only entries whose
//! user still has that key.

use super::key::NameKey;
use crate::model::User;
use crate::server::cassandra::retries::with_retries;
use crate::server::users::claims::STALE_CLAIM_AFTER;
use crate::server::users::error::UserError;
use crate::server::users::rows::Rows;
use futures_util::future::join_all;
use scylla::client::session::Session;
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::DeserializeRow;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

#[derive(DeserializeRow)]
struct EntryRead {
    key: String,
    id: Uuid,
    /// When the entry was written (microseconds since the epoch).
    written: Option<i64>,
}

/// An entry as a page reads it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub key: NameKey,
    pub id: Uuid,
    pub written: Option<i64>,
}

impl Entry {
    /// Whether the entry is older than any write in flight: a create writes its row and its
    /// entries in one batch, which another reader may see half done, so a younger entry whose
    /// user is not found yet is only left out, never removed.
    pub fn settled(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_micros())
            .unwrap_or_default();
        let written = self
            .written
            .and_then(|at| u128::try_from(at).ok())
            .unwrap_or(0);
        now.saturating_sub(written) > STALE_CLAIM_AFTER.as_micros()
    }
}

/// Up to `limit` entries of one bucket: `statement` run once per shard (`values` gives each
/// shard's), merged in key order (descending with `descending`).
pub async fn merged<Values: SerializeRow>(
    session: &Session,
    statement: &PreparedStatement,
    shards: i32,
    values: impl Fn(i32) -> Values,
    limit: usize,
    descending: bool,
) -> Result<Vec<Entry>, UserError> {
    let reads = (0..shards).map(|shard| {
        let values = values(shard);
        async move { with_retries(|| session.execute_unpaged(statement, &values)).await }
    });
    let mut merged = Vec::new();
    for read in join_all(reads).await {
        for row in read?.into_rows_result()?.rows::<EntryRead>()? {
            let row = row?;
            merged.push(Entry {
                key: NameKey::from_stored(row.key),
                id: row.id,
                written: row.written,
            });
        }
    }
    merged.sort();
    if descending {
        merged.reverse();
    }
    merged.truncate(limit);
    Ok(merged)
}

/// Each entry with its user as stored now (`None`: gone), read by id all at once.
pub async fn with_users(
    rows: &Rows,
    entries: Vec<Entry>,
) -> Result<Vec<(Entry, Option<User>)>, UserError> {
    let reads = join_all(entries.iter().map(|entry| rows.get(entry.id))).await;
    let mut found = Vec::with_capacity(entries.len());
    for (entry, read) in entries.into_iter().zip(reads) {
        match read {
            Ok(user) => found.push((entry, Some(user))),
            Err(UserError::NotFound) => found.push((entry, None)),
            Err(error) => return Err(error),
        }
    }
    Ok(found)
}
