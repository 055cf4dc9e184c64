//! Writing the entries of one table of keys (`users_by_name` or `users_by_term`): placed, removed,
//! every write idempotent. Which keys a user has is `user_entries`' business; which buckets and
//! shards there are, `directory`'s.

use super::directory::BucketDirectory;
use super::key::{shard_of, NameKey};
use super::schema::KeyTable;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::serialize::row::SerializeRow;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::SerializeRow;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// The values of an entry's INSERT, in the order of `insert_entry`.
#[derive(SerializeRow)]
pub struct EntryRow {
    pub bucket: String,
    pub shard: i32,
    pub key: String,
    pub id: Uuid,
}

pub struct EntryStatements {
    pub insert_entry: PreparedStatement,
    delete_entry: PreparedStatement,
    entry_at: PreparedStatement,
}

pub struct Entries {
    session: Arc<Session>,
    pub statements: EntryStatements,
    pub directory: BucketDirectory,
}

impl Entries {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
        entries_per_shard: u32,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let entries = table.name();
        #[rustfmt::skip]
        let statements = EntryStatements {
            insert_entry: plain(&session, format!("INSERT INTO {ks}.{entries} (bucket, shard, key, id) VALUES (?, ?, ?, ?)")).await?,
            delete_entry: plain(&session, format!("DELETE FROM {ks}.{entries} WHERE bucket = ? AND shard = ? AND key = ?")).await?,
            entry_at: plain(&session, format!("SELECT id FROM {ks}.{entries} WHERE bucket = ? AND shard = ? AND key = ?")).await?,
        };
        let directory =
            BucketDirectory::new(session.clone(), keyspace, table, entries_per_shard).await?;
        Ok(Entries {
            session,
            statements,
            directory,
        })
    }

    /// The entry of `id` under `key`, in a bucket recorded in the directory: what a create writes
    /// (in its batch) and `place` writes on its own.
    pub async fn entry(&self, id: Uuid, key: &NameKey) -> Result<EntryRow, UserError> {
        let bucket = key.bucket();
        let shards = self.directory.recorded(&bucket).await?;
        let shard = shard_of(id, shards);
        // Counted as it is about to be written (a write that then fails counts too: a bucket
        // may split a little early, never late).
        self.directory.count_written(&bucket, shards).await;
        Ok(EntryRow {
            shard,
            bucket,
            key: key.as_str().to_owned(),
            id,
        })
    }

    /// Writes the entries of `id` under `keys`.
    pub async fn place(&self, id: Uuid, keys: &BTreeSet<NameKey>) -> Result<(), UserError> {
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            entries.push(self.entry(id, key).await?);
        }
        self.write_all(&self.statements.insert_entry, entries).await
    }

    /// One statement for each of `values`, in one batch (one partition per key, rarely more
    /// than a handful).
    async fn write_all<Values: SerializeRow>(
        &self,
        statement: &PreparedStatement,
        values: Vec<Values>,
    ) -> Result<(), UserError> {
        if values.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::new(BatchType::Unlogged);
        for _ in &values {
            batch.append_statement(statement.clone());
        }
        batch.set_is_idempotent(true);
        with_retries(|| self.session.batch(&batch, &values)).await?;
        Ok(())
    }

    /// Removes the entries of `id` under `keys` from every shard each may be in.
    pub async fn remove(&self, id: Uuid, keys: &BTreeSet<NameKey>) -> Result<(), UserError> {
        let mut deletes = Vec::new();
        for key in keys {
            let bucket = key.bucket();
            for shard in self.shards_it_may_be_in(id, &bucket).await? {
                deletes.push((bucket.clone(), shard, key.as_str().to_owned()));
            }
        }
        self.write_all(&self.statements.delete_entry, deletes).await
    }

    /// Whether `id` has its entry under `key`.
    pub async fn has(&self, id: Uuid, key: &NameKey) -> Result<bool, UserError> {
        let bucket = key.bucket();
        for shard in self.shards_it_may_be_in(id, &bucket).await? {
            let values = (&bucket, shard, key.as_str());
            let found = with_retries(|| {
                self.session
                    .execute_unpaged(&self.statements.entry_at, values)
            })
            .await?;
            if found.into_rows_result()?.rows_num() > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The shards of `bucket` an entry of `id` can be in: shards only ever double, so the one
    /// its id had at one of the counts (none when the bucket never had an entry).
    async fn shards_it_may_be_in(&self, id: Uuid, bucket: &str) -> Result<Vec<i32>, UserError> {
        let Some(shards) = self.directory.shards_now(bucket).await? else {
            return Ok(Vec::new());
        };
        let mut count = 1;
        let mut candidates = Vec::new();
        while count <= shards {
            candidates.push(shard_of(id, count));
            count *= 2;
        }
        candidates.sort_unstable();
        candidates.dedup();
        Ok(candidates)
    }
}
