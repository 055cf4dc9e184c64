//! Splitting a range of keys that holds too many entries, so no partition of entries grows with
//! the number of users and a page still reads one or two of them.
//!
//! Every entry written is counted under its range in `entry_range_sizes` (one write in `sample`
//! is counted, `sample` at a time, so counting costs little). Once a range has about
//! `entries_per_range`, the server that counted it splits it in the background:
//!
//! 1. it finds the middle key of the range and claims the split in the range's row (a
//!    lightweight transaction: one server splits a range at a time): from then on, writes of keys
//!    after the middle go to the old partition and to a new one;
//! 2. it waits `SPLIT_WAITS`, so that every server writes that way;
//! 3. it copies the entries after the middle to the new partition, each with its own write time
//!    (so an entry deleted meanwhile stays deleted);
//! 4. in one conditional batch it adds the new range and clears the claim: pages read the new
//!    partition for those keys from then on;
//! 5. after `SPLIT_WAITS` again it deletes the copied keys from the old partition (one range
//!    tombstone).
//!
//! A server that stops midway leaves the claim; the range is still read and written correctly
//! (from and to its old partition), and once the claim is older than `ABANDONED_AFTER` the next
//! server that counts the range starts the split again.

use super::key::{cut_after, NameKey};
use super::ranges::{Range, Ranges, SPLIT_WAITS};
use super::schema::KeyTable;
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use futures_util::TryStreamExt;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{Counter, CqlTimestamp};
use scylla::DeserializeRow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// At most one entry written in this many is counted.
const SAMPLE_MOST: u32 = 64;
/// Times a split tries to copy its entries before it gives up.
const COPY_ATTEMPTS: u64 = 3;
/// Entries a split copies in one batch.
const COPIED_PER_BATCH: usize = 100;
/// A split claimed longer ago than this is taken to be abandoned by its server.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

#[derive(DeserializeRow)]
struct Size {
    held: Option<Counter>,
}

#[derive(DeserializeRow)]
struct Copied {
    key: String,
    id: Uuid,
    written: Option<i64>,
}

struct Statements {
    count: PreparedStatement,
    size: PreparedStatement,
    keys_between: PreparedStatement,
    entries_between: PreparedStatement,
    record_first: PreparedStatement,
    claim: PreparedStatement,
    take_over: PreparedStatement,
    copy: PreparedStatement,
    add_range: PreparedStatement,
    clear_claim: PreparedStatement,
    drop_moved: PreparedStatement,
}

pub struct Splits {
    session: Arc<Session>,
    statements: Statements,
    ranges: Arc<Ranges>,
    entries_per_range: u32,
    /// The ranges (by start) this server is splitting now.
    splitting: Mutex<HashSet<String>>,
}

impl Splits {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
        ranges: Arc<Ranges>,
        entries_per_range: u32,
    ) -> Result<Self, ExecutionError> {
        let (ks, directory, entries) = (keyspace.as_str(), table.directory(), table.name());
        let size = format!("{ks}.entry_range_sizes WHERE directory = {directory} AND start = ?");
        #[rustfmt::skip]
        let statements = Statements {
            // A counter update is not idempotent: never repeated by the driver.
            count: lwt(&session, format!("UPDATE {ks}.entry_range_sizes SET held = held + ? WHERE directory = {directory} AND start = ?")).await?,
            size: plain(&session, format!("SELECT held FROM {size}")).await?,
            keys_between: plain(&session, format!("SELECT key FROM {ks}.{entries} WHERE part = ? AND key > ? AND key < ?")).await?,
            entries_between: plain(&session, format!("SELECT key, id, writetime(placed) AS written FROM {ks}.{entries} WHERE part = ? AND key > ? AND key < ?")).await?,
            record_first: lwt(&session, format!("INSERT INTO {ks}.entry_ranges (directory, start, part) VALUES ({directory}, '', ?) IF NOT EXISTS")).await?,
            claim: lwt(&session, format!("UPDATE {ks}.entry_ranges SET split_at = ?, split_part = ?, split_since = ? WHERE directory = {directory} AND start = ? IF split_at = null")).await?,
            take_over: lwt(&session, format!("UPDATE {ks}.entry_ranges SET split_since = ? WHERE directory = {directory} AND start = ? IF split_since = ?")).await?,
            copy: plain(&session, format!("INSERT INTO {ks}.{entries} (part, key, id, placed) VALUES (?, ?, ?, true) USING TIMESTAMP ?")).await?,
            add_range: plain(&session, format!("INSERT INTO {ks}.entry_ranges (directory, start, part) VALUES ({directory}, ?, ?)")).await?,
            clear_claim: plain(&session, format!("UPDATE {ks}.entry_ranges SET split_at = null, split_part = null, split_since = null WHERE directory = {directory} AND start = ? IF split_at = ?")).await?,
            drop_moved: plain(&session, format!("DELETE FROM {ks}.{entries} WHERE part = ? AND key > ?")).await?,
        };
        Ok(Splits {
            session,
            statements,
            ranges,
            entries_per_range,
            splitting: Mutex::new(HashSet::new()),
        })
    }

    /// Counts an entry written to `range`, and splits the range in the background once it holds
    /// about `entries_per_range`. Failures are logged: the entry is written.
    pub async fn count_written(self: &Arc<Self>, range: &Range) {
        let sample = (self.entries_per_range / 64).clamp(1, SAMPLE_MOST);
        if sample > 1 && !rand::random::<u32>().is_multiple_of(sample) {
            return;
        }
        let values = (Counter(i64::from(sample)), &range.start);
        let counted = self.session.execute_unpaged(&self.statements.count, values);
        if let Err(error) = counted.await {
            let error = crate::server::cassandra::error::describe(&UserError::from(error));
            tracing::warn!(start = range.start, %error, "an entry was not counted; its range splits later");
            return;
        }
        self.split_if_full(range.clone()).await;
    }

    /// About how many entries the range starting at `start` holds.
    async fn held(&self, start: &str) -> Result<i64, UserError> {
        let read = &self.statements.size;
        Ok(
            with_retries(|| self.session.execute_unpaged(read, (start,)))
                .await?
                .into_rows_result()?
                .maybe_first_row::<Size>()?
                .and_then(|row| row.held)
                .map_or(0, |Counter(held)| held),
        )
    }

    /// How many ranges this server is splitting now.
    pub fn under_way(&self) -> usize {
        self.splitting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    fn start_splitting(&self, start: &str) -> bool {
        let mut splitting = self.splitting.lock().unwrap_or_else(|e| e.into_inner());
        splitting.insert(start.to_owned())
    }

    /// Splits `range` in the background if it holds `entries_per_range` or more.
    async fn split_if_full(self: &Arc<Self>, range: Range) {
        match self.held(&range.start).await {
            Ok(held) if held >= i64::from(self.entries_per_range) => {
                if self.start_splitting(&range.start) {
                    tokio::spawn(self.clone().split(range));
                }
            }
            Ok(_) => {}
            Err(error) => {
                let error = crate::server::cassandra::error::describe(&error);
                tracing::warn!(start = range.start, %error, "a range's size was not read");
            }
        }
    }

    async fn split(self: Arc<Self>, range: Range) {
        let start = range.start.clone();
        match self.split_range(range).await {
            Ok(Some(at)) => tracing::info!(start, at, "a range of entries was split"),
            Ok(None) => {}
            Err(error) => {
                let error = crate::server::cassandra::error::describe(&error);
                tracing::warn!(start, %error, "a range of entries was not split; the next count tries again");
            }
        }
        let mut splitting = self.splitting.lock().unwrap_or_else(|e| e.into_inner());
        splitting.remove(&start);
    }

    /// Splits `range` (as this server last read it); says where, or `None` when another server
    /// is splitting it or it is too small to split.
    async fn split_range(&self, range: Range) -> Result<Option<String>, UserError> {
        let range = self.ranges.holding(&range.start).await?;
        let claimed_lately = range.split_since.is_some_and(|CqlTimestamp(since)| {
            now_millis().saturating_sub(since) < ABANDONED_AFTER.as_millis() as i64
        });
        if range.split_at.is_some() && claimed_lately {
            return Ok(None);
        }
        let end = self.end_of(&range).await?;
        let (at, part) = match (&range.split_at, range.split_part, range.split_since) {
            (Some(at), Some(part), Some(since)) => {
                // Abandoned by the server that claimed it: take it over, same cut.
                let values = (now(), &range.start, since);
                let taken = self
                    .session
                    .execute_unpaged(&self.statements.take_over, values);
                if !lwt_applied(taken.await?)? {
                    return Ok(None);
                }
                (at.clone(), part)
            }
            _ => {
                let Some(at) = self.middle(&range, &end).await? else {
                    return Ok(None);
                };
                if range.start.is_empty() {
                    let record = &self.statements.record_first;
                    self.session.execute_unpaged(record, (range.part,)).await?;
                }
                let part = Uuid::new_v4();
                let values = (&at, part, now(), &range.start);
                let claimed = self.session.execute_unpaged(&self.statements.claim, values);
                if !lwt_applied(claimed.await?)? {
                    return Ok(None);
                }
                (at, part)
            }
        };
        tokio::time::sleep(SPLIT_WAITS).await;
        let copied = match self.copy_with_retries(range.part, part, &at, &end).await {
            Ok(copied) => copied,
            Err(error) => {
                // Given up: the claim is cleared so that the next count starts again, instead of
                // the range being written to two partitions until the claim is abandoned.
                let clear = &self.statements.clear_claim;
                let _ = self
                    .session
                    .execute_unpaged(clear, (&range.start, &at))
                    .await;
                return Err(error);
            }
        };
        let mut flip = Batch::new(BatchType::Logged);
        flip.append_statement(self.statements.add_range.clone());
        flip.append_statement(self.statements.clear_claim.clone());
        let values = ((&at, part), (&range.start, &at));
        if !lwt_applied(self.session.batch(&flip, values).await?)? {
            // Another server took the split over meanwhile: it finishes it.
            return Ok(None);
        }
        self.ranges.forget().await;
        self.recount(&range.start, &at, copied).await;
        tokio::time::sleep(SPLIT_WAITS).await;
        let drop = &self.statements.drop_moved;
        with_retries(|| self.session.execute_unpaged(drop, (range.part, &at))).await?;
        Ok(Some(at))
    }

    /// Where `range` ends: the next range's start, or after every key.
    async fn end_of(&self, range: &Range) -> Result<String, UserError> {
        let next = self.ranges.starting_after(&range.start).await?;
        Ok(next
            .front()
            .map_or_else(NameKey::end, |next| next.start.clone()))
    }

    /// The position just after the middle key text of `range`, if it has two key texts or more
    /// (users under one key text, the same word and name and email, are never split apart).
    async fn middle(&self, range: &Range, end: &str) -> Result<Option<String>, UserError> {
        let values = (range.part, &range.start, end);
        let keys: Vec<(String,)> = self
            .session
            .execute_iter(self.statements.keys_between.clone(), values)
            .await?
            .rows_stream::<(String,)>()?
            .try_collect()
            .await?;
        let keys: Vec<String> = keys.into_iter().map(|(key,)| key).collect();
        Ok(cut_near_middle(&keys))
    }

    /// Copies the entries of `from` between `at` and `end` to `to`; says how many.
    /// `copy`, tried again after a failure (it writes the same entries with the same write times).
    async fn copy_with_retries(
        &self,
        from: Uuid,
        to: Uuid,
        at: &str,
        end: &str,
    ) -> Result<i64, UserError> {
        let mut attempt = 1;
        loop {
            match self.copy(from, to, at, end).await {
                Err(error) if attempt < COPY_ATTEMPTS => {
                    let error = crate::server::cassandra::error::describe(&error);
                    tracing::warn!(attempt, %error, "copying a range of entries failed; trying again");
                    tokio::time::sleep(Duration::from_secs(attempt)).await;
                    attempt += 1;
                }
                copied => return copied,
            }
        }
    }

    /// In batches of `COPIED_PER_BATCH`: all to one partition, which Cassandra applies as one
    /// write.
    async fn copy(&self, from: Uuid, to: Uuid, at: &str, end: &str) -> Result<i64, UserError> {
        let mut entries = self
            .session
            .execute_iter(self.statements.entries_between.clone(), (from, at, end))
            .await?
            .rows_stream::<Copied>()?;
        let (mut copied, mut batch) = (0, Vec::with_capacity(COPIED_PER_BATCH));
        loop {
            let entry = entries.try_next().await?;
            let read_all = entry.is_none();
            if let Some(entry) = entry {
                let written = entry.written.unwrap_or_else(|| now_millis() * 1000);
                batch.push((to, entry.key, entry.id, written));
            }
            if batch.len() >= COPIED_PER_BATCH || (read_all && !batch.is_empty()) {
                let mut copies = Batch::new(BatchType::Unlogged);
                for _ in &batch {
                    copies.append_statement(self.statements.copy.clone());
                }
                copies.set_is_idempotent(true);
                with_retries(|| self.session.batch(&copies, &batch)).await?;
                copied += batch.len() as i64;
                batch.clear();
            }
            if read_all {
                return Ok(copied);
            }
        }
    }

    /// Moves the count of the copied entries from the old range to the new one.
    async fn recount(&self, start: &str, at: &str, copied: i64) {
        for (start, entries) in [(start, -copied), (at, copied)] {
            let values = (Counter(entries), start);
            if let Err(error) = self
                .session
                .execute_unpaged(&self.statements.count, values)
                .await
            {
                let error = crate::server::cassandra::error::describe(&UserError::from(error));
                tracing::warn!(start, %error, "a range's count was not moved");
            }
        }
    }
}

/// Where to cut a range whose key texts are `keys` (in order, one per entry): after the middle
/// one, or after the last before the final key text when that one runs from the middle to the
/// end; `None` when all are one key text.
fn cut_near_middle(keys: &[String]) -> Option<String> {
    let last = keys.last()?;
    let middle = keys[..keys.len() / 2].iter().rev().find(|key| *key != last);
    middle.map(|key| cut_after(key))
}

fn now_millis() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

fn now() -> CqlTimestamp {
    CqlTimestamp(now_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| text.to_string()).collect()
    }

    #[test]
    fn a_range_is_cut_after_its_middle_key_text_and_never_inside_one() {
        let cut = |texts: &[&str]| cut_near_middle(&keys(texts));
        assert_eq!(cut(&["a", "b", "c", "d"]), Some(cut_after("b")));
        assert_eq!(cut(&["a", "b", "b", "b", "c", "d"]), Some(cut_after("b")));
        // The final key text runs from the middle on: cut before it.
        assert_eq!(cut(&["a", "b", "c", "c", "c", "c"]), Some(cut_after("b")));
        assert_eq!(cut(&["c", "c", "c", "c"]), None);
        assert_eq!(cut(&["a"]), None);
        assert_eq!(cut(&[]), None);
    }
}
