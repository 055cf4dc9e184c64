//! The directory of a table of keys in `name_buckets`: which buckets have entries, and how many
//! shards each has. A bucket is recorded before its first entry is written, so a page that walks
//! the directory finds every entry; the buckets this server knows are kept in memory for a minute.
//!
//! Splitting: every entry written is counted in `name_bucket_sizes` under its bucket (one in
//! `sample` writes is counted, `sample` at a time, so the count costs little). Once the bucket
//! has had half of `entries_per_shard` written per shard it has, its shards are doubled (a
//! lightweight transaction, so two servers do not double it twice). Entries stay where they were
//! written and readers read every shard; each doubling adds about a quarter of
//! `entries_per_shard` to every shard, so at the default (50,000) and 10^7 users, where the
//! commonest two letters start about 500,000 entries (32 shards), a shard holds about 80,000.

use super::schema::KeyTable;
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::Counter;
use scylla::DeserializeRow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Buckets remembered as existing; past this many the memory starts again (names in many
/// scripts can start with many pairs of characters).
const BUCKETS_REMEMBERED: usize = 10_000;
/// How long a bucket's number of shards is believed without asking the directory again (another
/// server may have split it; until then this one writes to fewer shards, which readers read too).
const REMEMBERED_FOR: Duration = Duration::from_secs(60);
/// At most one entry written in this many is counted.
const SAMPLE_MOST: u32 = 64;
/// A bucket is never split past this many shards (a page reads each).
const SHARDS_MOST: i32 = 1024;

#[derive(DeserializeRow)]
struct Shards {
    shards: Option<i32>,
}

#[derive(DeserializeRow)]
struct Written {
    written: Option<Counter>,
}

struct Statements {
    record_bucket: PreparedStatement,
    shards_of_bucket: PreparedStatement,
    count_written: PreparedStatement,
    written: PreparedStatement,
    split_first: PreparedStatement,
    split_again: PreparedStatement,
}

pub struct BucketDirectory {
    session: Arc<Session>,
    statements: Statements,
    entries_per_shard: u32,
    /// Bucket → its number of shards and when that was read, for buckets in the directory.
    known: Mutex<HashMap<String, (i32, Instant)>>,
}

impl BucketDirectory {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
        entries_per_shard: u32,
    ) -> Result<Self, ExecutionError> {
        let (ks, directory) = (keyspace.as_str(), table.directory());
        let sizes = format!("{ks}.name_bucket_sizes WHERE directory = {directory} AND bucket = ?");
        #[rustfmt::skip]
        let statements = Statements {
            record_bucket: plain(&session, format!("INSERT INTO {ks}.name_buckets (directory, bucket) VALUES ({directory}, ?)")).await?,
            shards_of_bucket: plain(&session, format!("SELECT shards FROM {ks}.name_buckets WHERE directory = {directory} AND bucket = ?")).await?,
            // A counter update is not idempotent: never repeated by the driver.
            count_written: lwt(&session, format!("UPDATE {ks}.name_bucket_sizes SET written = written + ? WHERE directory = {directory} AND bucket = ?")).await?,
            written: plain(&session, format!("SELECT written FROM {sizes}")).await?,
            split_first: lwt(&session, format!("UPDATE {ks}.name_buckets SET shards = 2 WHERE directory = {directory} AND bucket = ? IF shards = null")).await?,
            split_again: lwt(&session, format!("UPDATE {ks}.name_buckets SET shards = ? WHERE directory = {directory} AND bucket = ? IF shards = ?")).await?,
        };
        Ok(BucketDirectory {
            session,
            statements,
            entries_per_shard,
            known: Mutex::new(HashMap::new()),
        })
    }

    /// The bucket's number of shards for a write, recording the bucket first if this server has
    /// not seen it.
    pub async fn recorded(&self, bucket: &str) -> Result<i32, UserError> {
        if let Some(shards) = self.remembered(bucket) {
            return Ok(shards);
        }
        let record = &self.statements.record_bucket;
        with_retries(|| self.session.execute_unpaged(record, (bucket,))).await?;
        Ok(self.shards_now(bucket).await?.unwrap_or(1))
    }

    /// The bucket's number of shards as the directory says now; `None` if it is not in it.
    pub async fn shards_now(&self, bucket: &str) -> Result<Option<i32>, UserError> {
        let read = &self.statements.shards_of_bucket;
        let row = with_retries(|| self.session.execute_unpaged(read, (bucket,)))
            .await?
            .into_rows_result()?
            .maybe_first_row::<Shards>()?;
        let shards = row.map(|row| row.shards.unwrap_or(1).max(1));
        if let Some(shards) = shards {
            self.remember(bucket, shards);
        }
        Ok(shards)
    }

    /// Counts an entry written to `bucket` when it had `shards` shards, and splits the bucket if
    /// it has had its share. Failures are logged: the entry is written.
    pub async fn count_written(&self, bucket: &str, shards: i32) {
        let sample = (self.entries_per_shard / 64).clamp(1, SAMPLE_MOST);
        if sample > 1 && rand::random::<u32>() % sample != 0 {
            return;
        }
        if let Err(error) = self.count_and_split(bucket, shards, sample).await {
            let error = crate::server::cassandra::error::describe(&error);
            tracing::warn!(bucket, %error, "an entry was not counted; its bucket splits later");
        }
    }

    async fn count_and_split(
        &self,
        bucket: &str,
        shards: i32,
        sample: u32,
    ) -> Result<(), UserError> {
        let count = &self.statements.count_written;
        let values = (Counter(i64::from(sample)), bucket);
        self.session.execute_unpaged(count, values).await?;
        let read = &self.statements.written;
        let written = with_retries(|| self.session.execute_unpaged(read, (bucket,)))
            .await?
            .into_rows_result()?
            .maybe_first_row::<Written>()?
            .and_then(|row| row.written)
            .map(|Counter(written)| written)
            .unwrap_or(0);
        let split_at = i64::from(self.entries_per_shard) / 2 * i64::from(shards.max(1));
        if written < split_at || shards >= SHARDS_MOST {
            return Ok(());
        }
        let result = if shards == 1 {
            let split = &self.statements.split_first;
            self.session.execute_unpaged(split, (bucket,)).await?
        } else {
            let split = &self.statements.split_again;
            let values = (shards.saturating_mul(2), bucket, shards);
            self.session.execute_unpaged(split, values).await?
        };
        if lwt_applied(result)? {
            tracing::info!(bucket, shards = shards * 2, "a bucket of entries was split");
        }
        // Applied here or by another server: either way, the directory says how many now.
        self.shards_now(bucket).await?;
        Ok(())
    }

    fn remembered(&self, bucket: &str) -> Option<i32> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known
            .get(bucket)
            .filter(|(_, read)| read.elapsed() < REMEMBERED_FOR)
            .map(|(shards, _)| *shards)
    }

    fn remember(&self, bucket: &str, shards: i32) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= BUCKETS_REMEMBERED {
            known.clear();
        }
        known.insert(bucket.to_owned(), (shards, Instant::now()));
    }
}
