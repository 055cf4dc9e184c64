//! Writing the entries of one table of keys (`users_by_name` or `users_by_term`): placed, removed,
//! every write idempotent. Which keys a user has is `user_entries`' business.
//!
//! A bucket is recorded in its directory of `name_buckets` before its first entry is written, so a
//! page that walks the directory finds every entry; the buckets this server knows exist are kept
//! in memory.

use super::key::{shard_of, NameKey};
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::serialize::row::SerializeRow;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Buckets remembered as existing; past this many the memory starts again (names in many
/// scripts can start with many pairs of characters).
const BUCKETS_REMEMBERED: usize = 10_000;

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
    entry_at: PreparedStatement,
    record_bucket: PreparedStatement,
    shards_of_bucket: PreparedStatement,
}

/// The tables of keys, each with its directory in `name_buckets`.
#[derive(Clone, Copy)]
pub enum KeyTable {
    /// `users_by_name`, directory 0.
    Names,
    /// `users_by_term`, directory 1.
    Terms,
}

impl KeyTable {
    pub fn name(self) -> &'static str {
        match self {
            KeyTable::Names => "users_by_name",
            KeyTable::Terms => "users_by_term",
        }
    }

    pub fn directory(self) -> i32 {
        match self {
            KeyTable::Names => 0,
            KeyTable::Terms => 1,
        }
    }
}

pub struct Entries {
    session: Arc<Session>,
    pub statements: EntryStatements,
    /// Bucket → its number of shards, for the buckets known to be in `name_buckets`.
    known_buckets: Mutex<HashMap<String, i32>>,
}

impl Entries {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let (entries, directory) = (table.name(), table.directory());
        #[rustfmt::skip]
        let statements = EntryStatements {
            insert_entry: plain(&session, format!("INSERT INTO {ks}.{entries} (bucket, shard, key, id) VALUES (?, ?, ?, ?)")).await?,
            delete_entry: plain(&session, format!("DELETE FROM {ks}.{entries} WHERE bucket = ? AND shard = ? AND key = ?")).await?,
            entry_at: plain(&session, format!("SELECT id FROM {ks}.{entries} WHERE bucket = ? AND shard = ? AND key = ?")).await?,
            record_bucket: plain(&session, format!("INSERT INTO {ks}.name_buckets (directory, bucket) VALUES ({directory}, ?)")).await?,
            shards_of_bucket: plain(&session, format!("SELECT shards FROM {ks}.name_buckets WHERE directory = {directory} AND bucket = ?")).await?,
        };
        Ok(Entries {
            session,
            statements,
            known_buckets: Mutex::new(HashMap::new()),
        })
    }

    /// The entry of `id` under `key`, in a bucket recorded in the directory: what a create writes
    /// (in its batch) and `place` writes on its own.
    pub async fn entry(&self, id: Uuid, key: &NameKey) -> Result<EntryRow, UserError> {
        let bucket = key.bucket();
        let shards = self.recorded(&bucket).await?;
        Ok(EntryRow {
            shard: shard_of(id, shards),
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
        let Some(shards) = self.shards_now(bucket).await? else {
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

    /// The bucket's number of shards, as this server knows it or the directory says (1 for a
    /// bucket that has none).
    pub async fn shards(&self, bucket: &str) -> Result<i32, UserError> {
        match self.remembered(bucket) {
            Some(shards) => Ok(shards),
            None => Ok(self.shards_now(bucket).await?.unwrap_or(1)),
        }
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
