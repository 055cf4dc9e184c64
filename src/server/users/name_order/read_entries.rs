//! Reading entries (of `ordered_names` or `ordered_terms`): walked in key order through the ranges'
//! partitions, and each entry's user read by id, so a page shows only entries whose user still
//! has that key.

use super::key::NameKey;
use super::ranges::{Range, Ranges, RANGES_PER_READ};
use super::schema::KeyTable;
use crate::model::User;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::claims::STALE_CLAIM_AFTER;
use crate::server::users::error::UserError;
use crate::server::users::rows::Rows;
use futures_util::future::join_all;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::DeserializeRow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// The most partitions one walk reads: a walk that meets this many nearly empty ranges ends
/// short, and the next page goes on from there.
const SLICES_PER_WALK: usize = 16;

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

/// Which way a walk goes through the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forwards,
    Backwards,
}

/// What a walk found, in the order walked, and where a next walk goes on from (`None`: the
/// bounds were reached).
pub struct Walked {
    pub entries: Vec<Entry>,
    pub go_on_from: Option<NameKey>,
}

impl Walked {
    /// A walk that found all it wanted: the next goes on after its last entry.
    fn full(entries: Vec<Entry>) -> Self {
        let go_on_from = entries.last().map(|entry| entry.key.clone());
        Walked {
            entries,
            go_on_from,
        }
    }

    /// A walk that read as many partitions as it may: the next goes on from the range that
    /// starts at `start`, before every entry there.
    fn stopped_at(entries: Vec<Entry>, start: &str) -> Self {
        Walked {
            entries,
            go_on_from: Some(NameKey::before(start)),
        }
    }

    /// A walk that reached its bounds.
    fn ended(entries: Vec<Entry>) -> Self {
        Walked {
            entries,
            go_on_from: None,
        }
    }
}

/// Where the range before `following` ends, within `upper`.
fn end_of(following: &VecDeque<Range>, upper: &str) -> String {
    following
        .front()
        .map_or(upper, |next| next.start.as_str().min(upper))
        .to_owned()
}

/// Walks the entries of one table in key order, one range's partition after another.
pub struct Walker {
    session: Arc<Session>,
    ranges: Arc<Ranges>,
    forwards: PreparedStatement,
    backwards: PreparedStatement,
}

impl Walker {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
        ranges: Arc<Ranges>,
    ) -> Result<Self, ExecutionError> {
        let (ks, entries) = (keyspace.as_str(), table.name());
        let select = format!(
            "SELECT key, id, writetime(placed) AS written FROM {ks}.{entries} WHERE part = ?"
        );
        #[rustfmt::skip]
        let (forwards, backwards) = (
            plain(&session, format!("{select} AND (key, id) > (?, ?) AND key < ? LIMIT ?")).await?,
            plain(&session, format!("{select} AND key > ? AND (key, id) < (?, ?) ORDER BY key DESC, id DESC LIMIT ?")).await?,
        );
        Ok(Walker {
            forwards,
            backwards,
            session,
            ranges,
        })
    }

    /// Up to `wanted` entries from `from` (excluded) in `direction`, with key texts between
    /// `lower` and `upper` (excluded): a slice of the partition of the range that holds `from`,
    /// then of the next ranges' while the page is not full, at most `SLICES_PER_WALK`.
    pub async fn walk(
        &self,
        direction: Direction,
        from: &NameKey,
        (lower, upper): (&str, &str),
        wanted: usize,
    ) -> Result<Walked, UserError> {
        match direction {
            Direction::Forwards if from.as_str() < lower => {
                self.forwards(&NameKey::before(lower), upper, wanted).await
            }
            Direction::Forwards => self.forwards(from, upper, wanted).await,
            Direction::Backwards if from.as_str() >= upper => {
                self.backwards(&NameKey::before(upper), lower, wanted).await
            }
            Direction::Backwards => self.backwards(from, lower, wanted).await,
        }
    }

    async fn forwards(
        &self,
        from: &NameKey,
        upper: &str,
        wanted: usize,
    ) -> Result<Walked, UserError> {
        let mut range = self.ranges.holding(from.as_str()).await?;
        let mut following = self.ranges.starting_after(from.as_str()).await?;
        let mut listed_all = following.len() < RANGES_PER_READ;
        let mut entries = Vec::new();
        for slice in 1.. {
            if following.is_empty() && !listed_all {
                following = self.ranges.starting_after(&range.start).await?;
                listed_all = following.len() < RANGES_PER_READ;
            }
            let end = end_of(&following, upper);
            let low = later(from, &range.start);
            let limit = limit(wanted - entries.len());
            let values = (range.part, low.as_str(), low.id(), &end, limit);
            entries.extend(self.slice(&self.forwards, values).await?);
            if entries.len() >= wanted {
                return Ok(Walked::full(entries));
            }
            let next = following
                .pop_front()
                .filter(|next| next.start.as_str() < upper);
            match next {
                None => break,
                Some(_) if slice >= SLICES_PER_WALK => {
                    return Ok(Walked::stopped_at(entries, &end))
                }
                Some(next) => range = next,
            }
        }
        Ok(Walked::ended(entries))
    }

    async fn backwards(
        &self,
        from: &NameKey,
        lower: &str,
        wanted: usize,
    ) -> Result<Walked, UserError> {
        let mut preceding = self.ranges.starting_before(from.as_str()).await?;
        let mut high = from.clone();
        let mut entries = Vec::new();
        for slice in 1.. {
            let Some(range) = preceding.pop_front() else {
                break;
            };
            let low = lower.max(range.start.as_str());
            let limit = limit(wanted - entries.len());
            let values = (range.part, low, high.as_str(), high.id(), limit);
            entries.extend(self.slice(&self.backwards, values).await?);
            if entries.len() >= wanted {
                return Ok(Walked::full(entries));
            }
            if range.start.as_str() <= lower {
                break;
            }
            if slice >= SLICES_PER_WALK {
                return Ok(Walked::stopped_at(entries, &range.start));
            }
            if preceding.is_empty() {
                preceding = self.ranges.starting_before(&range.start).await?;
            }
            high = NameKey::before(&range.start);
        }
        Ok(Walked::ended(entries))
    }

    /// The first slice a forward walk from `from` reads, as its statement and values (tests trace
    /// it).
    pub async fn first_read(
        &self,
        from: &str,
        upper: &str,
        limit: i32,
    ) -> Result<(&PreparedStatement, FirstRead), UserError> {
        let range = self.ranges.holding(from).await?;
        let following = self.ranges.starting_after(from).await?;
        let end = end_of(&following, upper);
        let low = later(&NameKey::before(from), &range.start);
        let values = (range.part, low.as_str().to_owned(), low.id(), end, limit);
        Ok((&self.forwards, values))
    }

    /// The entries a slice (`forwards` or `backwards`, with its values) reads.
    async fn slice(
        &self,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<Vec<Entry>, UserError> {
        let rows = with_retries(|| self.session.execute_unpaged(statement, &values)).await?;
        let mut entries = Vec::new();
        for row in rows.into_rows_result()?.rows::<EntryRead>()? {
            let row = row?;
            entries.push(Entry {
                key: NameKey::from_stored(row.key, row.id),
                written: row.written,
            });
        }
        Ok(entries)
    }
}

/// The values of a forward slice: partition, from (key text, id), key text it ends before, limit.
pub type FirstRead = (Uuid, String, Uuid, String, i32);

fn limit(entries: usize) -> i32 {
    i32::try_from(entries).unwrap_or(i32::MAX)
}

/// `from`, or the position before every entry of the range starting at `start` when that comes
/// later (no entry's key text is a range's start: see `key::cut_after`).
fn later(from: &NameKey, start: &str) -> NameKey {
    if from.as_str() >= start {
        from.clone()
    } else {
        NameKey::before(start)
    }
}

/// Each entry with its user as stored now (`None`: gone), read by id all at once.
pub async fn with_users(
    rows: &Rows,
    entries: Vec<Entry>,
) -> Result<Vec<(Entry, Option<User>)>, UserError> {
    let reads = join_all(entries.iter().map(|entry| rows.get(entry.key.id()))).await;
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
