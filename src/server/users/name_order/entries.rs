//! Writing the entries of `users_by_name`: a user's entry is placed when it is created, moved
//! when its name or email changes, removed when it is deleted (and given to rows other clients
//! wrote when reconcile or a page meets them). Every write here is idempotent.
//!
//! A bucket is recorded in `name_buckets` before its first entry is written, so a page that walks
//! the directory finds every entry; the buckets this server knows exist are kept in memory.

use super::key::{shard_of, NameKey};
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Buckets remembered as existing; past this many the memory starts again (names in many
/// scripts can start with many pairs of characters).
const BUCKETS_REMEMBERED: usize = 10_000;

/// Keeping the name order after a change that applied: a failure is logged, not returned, since
/// the change itself is done (a page puts a stale entry right when it meets it, and reconcile
/// gives a missing one).
pub fn log_if_not_kept(kept: Result<(), UserError>, id: Uuid) {
    if let Err(error) = kept {
        let error = crate::server::cassandra::error::describe(&error);
        tracing::warn!(%id, %error, "the name order was not updated for this change; reconcile will");
    }
}

/// The values of an entry's INSERT, in the order of `insert_entry`.
#[derive(SerializeRow)]
pub struct EntryRow {
    pub bucket: String,
    pub shard: i32,
    pub key: String,
    pub id: Uuid,
}

#[derive(DeserializeRow)]
struct Shards {
    shards: Option<i32>,
}

pub struct EntryStatements {
    pub insert_entry: PreparedStatement,
    delete_entry: PreparedStatement,
    record_bucket: PreparedStatement,
    shards_of_bucket: PreparedStatement,
}

pub struct NameEntries {
    session: Arc<Session>,
    pub statements: EntryStatements,
    /// Bucket → its number of shards, for the buckets known to be in `name_buckets`.
    known_buckets: Mutex<HashMap<String, i32>>,
}

impl NameEntries {
    pub async fn new(session: Arc<Session>, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = EntryStatements {
            insert_entry: plain(
                &session,
                format!(
                    "INSERT INTO {ks}.users_by_name (bucket, shard, key, id) VALUES (?, ?, ?, ?)"
                ),
            )
            .await?,
            delete_entry: plain(
                &session,
                format!(
                    "DELETE FROM {ks}.users_by_name WHERE bucket = ? AND shard = ? AND key = ?"
                ),
            )
            .await?,
            record_bucket: plain(
                &session,
                format!("INSERT INTO {ks}.name_buckets (directory, bucket) VALUES (0, ?)"),
            )
            .await?,
            shards_of_bucket: plain(
                &session,
                format!("SELECT shards FROM {ks}.name_buckets WHERE directory = 0 AND bucket = ?"),
            )
            .await?,
        };
        Ok(NameEntries {
            session,
            statements,
            known_buckets: Mutex::new(HashMap::new()),
        })
    }

    /// The entry of this user, in a bucket recorded in the directory: what a create writes (in
    /// its batch) and `place` writes on its own.
    pub async fn entry(&self, id: Uuid, name: &str, email: &str) -> Result<EntryRow, UserError> {
        let key = NameKey::of(id, name, email);
        let bucket = key.bucket();
        let shards = self.recorded(&bucket).await?;
        Ok(EntryRow {
            shard: shard_of(id, shards),
            bucket,
            key: key.as_str().to_owned(),
            id,
        })
    }

    /// Writes the user's entry.
    pub async fn place(&self, id: Uuid, name: &str, email: &str) -> Result<(), UserError> {
        let entry = self.entry(id, name, email).await?;
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.insert_entry, &entry)
        })
        .await?;
        Ok(())
    }

    /// Removes the entry under `key` from every shard it may be in.
    pub async fn remove(&self, id: Uuid, key: &NameKey) -> Result<(), UserError> {
        let bucket = key.bucket();
        let Some(shards) = self.shards_now(&bucket).await? else {
            return Ok(()); // No entry was ever written in this bucket.
        };
        // Shards only ever double, so the entry is in the shard its id had at one of the counts.
        let mut count = 1;
        let mut candidates = Vec::new();
        while count <= shards {
            candidates.push(shard_of(id, count));
            count *= 2;
        }
        candidates.sort_unstable();
        candidates.dedup();
        for shard in candidates {
            with_retries(|| {
                self.session.execute_unpaged(
                    &self.statements.delete_entry,
                    (&bucket, shard, key.as_str()),
                )
            })
            .await?;
        }
        Ok(())
    }

    /// Moves the user's entry from its old name and email to its new ones (placed first, so the
    /// user is never missing from the list).
    pub async fn relocate(
        &self,
        id: Uuid,
        (old_name, old_email): (&str, &str),
        (name, email): (&str, &str),
    ) -> Result<(), UserError> {
        let (old, new) = (
            NameKey::of(id, old_name, old_email),
            NameKey::of(id, name, email),
        );
        if old != new {
            self.place(id, name, email).await?;
            self.remove(id, &old).await?;
        }
        Ok(())
    }

    /// The bucket's number of shards, recording the bucket first if this server has not seen it.
    async fn recorded(&self, bucket: &str) -> Result<i32, UserError> {
        if let Some(shards) = self.remembered(bucket) {
            return Ok(shards);
        }
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.record_bucket, (bucket,))
        })
        .await?;
        Ok(self.shards_now(bucket).await?.unwrap_or(1))
    }

    /// The bucket's number of shards as the directory says now; `None` if it is not in it.
    async fn shards_now(&self, bucket: &str) -> Result<Option<i32>, UserError> {
        let row = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.shards_of_bucket, (bucket,))
        })
        .await?
        .into_rows_result()?
        .maybe_first_row::<Shards>()?;
        let shards = row.map(|row| row.shards.unwrap_or(1).max(1));
        if let Some(shards) = shards {
            self.remember(bucket, shards);
        }
        Ok(shards)
    }

    fn remembered(&self, bucket: &str) -> Option<i32> {
        let known = self.known_buckets.lock().unwrap_or_else(|e| e.into_inner());
        known.get(bucket).copied()
    }

    fn remember(&self, bucket: &str, shards: i32) {
        let mut known = self.known_buckets.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= BUCKETS_REMEMBERED {
            known.clear();
        }
        known.insert(bucket.to_owned(), shards);
    }
}
