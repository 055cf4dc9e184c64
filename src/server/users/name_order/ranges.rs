//! How a table of entries is cut into ranges of keys (`entry_ranges`): a range runs from its
//! `start` to the next range's start, and its entries are in one partition of the table, its
//! `part`. A table that was never split is one range from the first key, in `FIRST_PART` (its row
//! is written when it first splits).
//!
//! A range that holds too many entries is split in two (`splits`). While a split is under way,
//! its range's row says where (`split_at`) and into which partition (`split_part`): the keys from
//! there on are written to both partitions and still read from the old one, until the new range
//! takes them over.
//!
//! Pages read the ranges as they are now (two small reads of one partition). Writes use the
//! ranges as this server read them, for up to `REMEMBERED_FOR`; a split waits `SPLIT_WAITS`
//! before it counts on every write seeing it, and a write whose view is older than that by the
//! time it is done is written again where the ranges say now (`Entries`).

use super::schema::KeyTable;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use futures_util::TryStreamExt;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimestamp;
use scylla::DeserializeRow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use uuid::Uuid;

/// The partition of a table's first range.
pub const FIRST_PART: Uuid = Uuid::nil();
/// How long a server writes by the ranges it read.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(5);
/// How long a split waits for every server's writes to follow it (see the module's comment).
pub const SPLIT_WAITS: Duration = Duration::from_secs(7);
/// Ranges one read of the directory returns, for a page that walks on from one to the next.
pub const RANGES_PER_READ: usize = 8;

/// A range of keys: from `start` to the next range's start, in `part`.
#[derive(Clone, Debug, PartialEq, Eq, DeserializeRow)]
pub struct Range {
    pub start: String,
    pub part: Uuid,
    /// Where a split under way cuts this range: keys after it are also written to `split_part`.
    pub split_at: Option<String>,
    pub split_part: Option<Uuid>,
    /// When the split under way began.
    pub split_since: Option<CqlTimestamp>,
}

impl Range {
    pub fn first() -> Self {
        Range {
            start: String::new(),
            part: FIRST_PART,
            split_at: None,
            split_part: None,
            split_since: None,
        }
    }

    /// The partitions an entry under `key` (a key of this range) is written to: the range's,
    /// and while the range is being split past `key`, the new one.
    pub fn parts_for(&self, key: &str) -> (Uuid, Option<Uuid>) {
        match (&self.split_at, self.split_part) {
            (Some(at), Some(part)) if key > at.as_str() => (self.part, Some(part)),
            _ => (self.part, None),
        }
    }
}

/// The ranges of a table as one server read them, in order.
pub struct View {
    pub ranges: Vec<Range>,
    pub read_at: Instant,
}

impl View {
    /// The range that holds `key`.
    pub fn holding(&self, key: &str) -> &Range {
        let after = self
            .ranges
            .partition_point(|range| range.start.as_str() <= key);
        // The first range starts at "", before every key, so `after` is at least 1.
        &self.ranges[after.saturating_sub(1)]
    }

    /// Whether writes made by this view may have missed a split that began since it was read.
    pub fn outdated(&self) -> bool {
        self.read_at.elapsed() > SPLIT_WAITS
    }
}

struct Statements {
    holding: PreparedStatement,
    starting_after: PreparedStatement,
    starting_before: PreparedStatement,
    all: PreparedStatement,
}

pub struct Ranges {
    session: Arc<Session>,
    statements: Statements,
    remembered: Mutex<Option<Arc<View>>>,
}

impl Ranges {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
    ) -> Result<Self, ExecutionError> {
        let (ks, directory) = (keyspace.as_str(), table.directory());
        let select = format!("SELECT start, part, split_at, split_part, split_since FROM {ks}.entry_ranges WHERE directory = {directory}");
        let most = RANGES_PER_READ;
        #[rustfmt::skip]
        let statements = Statements {
            holding: plain(&session, format!("{select} AND start <= ? ORDER BY start DESC LIMIT 1")).await?,
            starting_after: plain(&session, format!("{select} AND start > ? LIMIT {most}")).await?,
            starting_before: plain(&session, format!("{select} AND start < ? ORDER BY start DESC LIMIT {most}")).await?,
            all: plain(&session, select).await?,
        };
        Ok(Ranges {
            session,
            statements,
            remembered: Mutex::new(None),
        })
    }

    /// The range that holds `key` now.
    pub async fn holding(&self, key: &str) -> Result<Range, UserError> {
        Ok(self
            .read(&self.statements.holding, key)
            .await?
            .into_iter()
            .next()
            .unwrap_or_else(Range::first))
    }

    /// Up to `RANGES_PER_READ` ranges that start after `key`, in order.
    pub async fn starting_after(&self, key: &str) -> Result<VecDeque<Range>, UserError> {
        Ok(self
            .read(&self.statements.starting_after, key)
            .await?
            .into())
    }

    /// Up to `RANGES_PER_READ` ranges that start before `key`, the nearest first; the first
    /// range ends the list when it is reached.
    pub async fn starting_before(&self, key: &str) -> Result<VecDeque<Range>, UserError> {
        let mut ranges: VecDeque<Range> = self
            .read(&self.statements.starting_before, key)
            .await?
            .into();
        let reached_first = ranges.back().is_some_and(|range| range.start.is_empty());
        if ranges.len() < RANGES_PER_READ && !reached_first && !key.is_empty() {
            ranges.push_back(Range::first());
        }
        Ok(ranges)
    }

    async fn read(
        &self,
        statement: &PreparedStatement,
        key: &str,
    ) -> Result<Vec<Range>, UserError> {
        let rows = with_retries(|| self.session.execute_unpaged(statement, (key,))).await?;
        Ok(rows
            .into_rows_result()?
            .rows::<Range>()?
            .collect::<Result<_, _>>()?)
    }

    /// The ranges as this server read them last, read again once older than `REMEMBERED_FOR`.
    pub async fn remembered(&self) -> Result<Arc<View>, UserError> {
        let mut remembered = self.remembered.lock().await;
        if let Some(view) = remembered
            .as_ref()
            .filter(|view| view.read_at.elapsed() < REMEMBERED_FOR)
        {
            return Ok(view.clone());
        }
        let view = Arc::new(self.now().await?);
        *remembered = Some(view.clone());
        Ok(view)
    }

    /// The ranges as they are now.
    pub async fn now(&self) -> Result<View, UserError> {
        let read_at = Instant::now();
        let mut ranges: Vec<Range> = self
            .session
            .execute_iter(self.statements.all.clone(), ())
            .await?
            .rows_stream::<Range>()?
            .try_collect()
            .await?;
        if ranges.first().is_none_or(|range| !range.start.is_empty()) {
            ranges.insert(0, Range::first());
        }
        Ok(View { ranges, read_at })
    }

    /// Forgets the ranges read, so the next write reads them again (after a split this server
    /// made).
    pub async fn forget(&self) {
        *self.remembered.lock().await = None;
    }
}
