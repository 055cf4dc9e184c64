//! Pages of users in name order, forwards (`after` a position) and backwards (`before` one).
//!
//! A page walks the directory of buckets from the position's bucket and reads each bucket's
//! shards (one slice each, merged here) until it has a page and one more entry, or has read
//! `SLICES_PER_PAGE` slices; then it reads each entry's user by id, all at once. An entry whose
//! user is gone or now sorts elsewhere (a crash between two writes, another client's edit) is not
//! shown: it is removed, and the user is given its right entry. So every page costs a few
//! bounded reads, whatever the number of users.

use super::key::NameKey;
use super::read_entries::{merged, with_users, Entry};
use super::schema::KeyTable;
use super::user_entries::UserEntries;
use crate::model::User;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use crate::server::users::rows::Rows;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::DeserializeRow;
use std::sync::Arc;

/// Buckets one read of the directory returns.
const BUCKETS_PER_READ: i32 = 16;
/// The most slices of `users_by_name` one page reads; a page that meets this many nearly empty
/// buckets ends short, and its Next page goes on from there.
const SLICES_PER_PAGE: usize = 32;
/// Pages refill after dropping stale entries at most this many times.
const ROUNDS_PER_PAGE: usize = 3;

/// Where a page of the name order starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameFrom {
    Start,
    After(NameKey),
    Before(NameKey),
}

#[derive(Debug, PartialEq, Eq)]
pub struct NamePage {
    pub users: Vec<User>,
    pub next: Option<NameKey>,
    pub previous: Option<NameKey>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forwards,
    Backwards,
}

#[derive(DeserializeRow)]
struct BucketRow {
    bucket: String,
    shards: Option<i32>,
}

struct Statements {
    buckets_from: PreparedStatement,
    buckets_after: PreparedStatement,
    buckets_to: PreparedStatement,
    buckets_before: PreparedStatement,
    entries_after: PreparedStatement,
    entries_before: PreparedStatement,
}

pub struct NamePages {
    statements: Statements,
    entries: Arc<UserEntries>,
    rows: Rows,
    page_size: u16,
}

impl NamePages {
    pub async fn new(
        rows: Rows,
        entries: Arc<UserEntries>,
        keyspace: &Keyspace,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let session = &rows.session;
        let ks = keyspace.as_str();
        let directory = KeyTable::Names.directory();
        let buckets =
            format!("SELECT bucket, shards FROM {ks}.name_buckets WHERE directory = {directory}");
        let entries_of = format!("SELECT key, id, writetime(id) AS written FROM {ks}.users_by_name WHERE bucket = ? AND shard = ?");
        let statements = Statements {
            buckets_from: plain(
                session,
                format!("{buckets} AND bucket >= ? LIMIT {BUCKETS_PER_READ}"),
            )
            .await?,
            buckets_after: plain(
                session,
                format!("{buckets} AND bucket > ? LIMIT {BUCKETS_PER_READ}"),
            )
            .await?,
            buckets_to: plain(
                session,
                format!("{buckets} AND bucket <= ? ORDER BY bucket DESC LIMIT {BUCKETS_PER_READ}"),
            )
            .await?,
            buckets_before: plain(
                session,
                format!("{buckets} AND bucket < ? ORDER BY bucket DESC LIMIT {BUCKETS_PER_READ}"),
            )
            .await?,
            entries_after: plain(session, format!("{entries_of} AND key > ? LIMIT ?")).await?,
            entries_before: plain(
                session,
                format!("{entries_of} AND key < ? ORDER BY key DESC LIMIT ?"),
            )
            .await?,
        };
        Ok(NamePages {
            statements,
            entries,
            rows,
            page_size,
        })
    }

    pub async fn page(&self, from: NameFrom) -> Result<NamePage, UserError> {
        let size = usize::from(self.page_size);
        match from {
            NameFrom::Start => self.forwards(NameKey::start(), false).await,
            NameFrom::After(key) => self.forwards(key, true).await,
            NameFrom::Before(key) => {
                let (mut users, more) = self.users(Direction::Backwards, key.clone()).await?;
                if users.len() <= size && more.is_none() {
                    // Back at the start: the first page, full.
                    return self.forwards(NameKey::start(), false).await;
                }
                let previous = if users.len() > size {
                    users.truncate(size);
                    users.last().map(|(key, _)| key.clone())
                } else {
                    more
                };
                users.reverse();
                let next = users.last().map(|(key, _)| key.clone()).or(Some(key));
                Ok(NamePage {
                    users: users.into_iter().map(|(_, user)| user).collect(),
                    next,
                    previous,
                })
            }
        }
    }

    async fn forwards(&self, from: NameKey, came_from_before: bool) -> Result<NamePage, UserError> {
        let size = usize::from(self.page_size);
        let (mut users, more) = self.users(Direction::Forwards, from.clone()).await?;
        let next = if users.len() > size {
            users.truncate(size);
            users.last().map(|(key, _)| key.clone())
        } else {
            more
        };
        let previous =
            came_from_before.then(|| users.first().map(|(key, _)| key.clone()).unwrap_or(from));
        Ok(NamePage {
            users: users.into_iter().map(|(_, user)| user).collect(),
            next,
            previous,
        })
    }

    /// Up to a page and one more of users from `from` in `direction`, checked against their
    /// rows, and where to go on from when the reads ran out before the list did.
    async fn users(
        &self,
        direction: Direction,
        from: NameKey,
    ) -> Result<(Vec<(NameKey, User)>, Option<NameKey>), UserError> {
        let wanted = usize::from(self.page_size) + 1;
        let mut shown = Vec::new();
        let mut go_on_from = Some(from);
        for _ in 0..ROUNDS_PER_PAGE {
            let Some(from) = go_on_from.take() else { break };
            let (entries, more) = self.entries(direction, &from, wanted - shown.len()).await?;
            shown.extend(self.checked(entries).await?);
            go_on_from = more;
            if shown.len() >= wanted {
                break;
            }
        }
        Ok((shown, go_on_from))
    }

    /// Up to `wanted` entries from `from` (excluded) in `direction`, and where to go on from
    /// (`None`: the list ends).
    async fn entries(
        &self,
        direction: Direction,
        from: &NameKey,
        wanted: usize,
    ) -> Result<(Vec<Entry>, Option<NameKey>), UserError> {
        let mut found: Vec<Entry> = Vec::new();
        let mut slices = 0;
        let mut buckets = self.buckets(direction, &from.bucket(), true).await?;
        loop {
            let read_all = buckets.len() < BUCKETS_PER_READ as usize;
            let mut last_bucket = None;
            for (bucket, shards) in buckets {
                let limit = wanted - found.len();
                found.extend(self.slices(direction, &bucket, shards, from, limit).await?);
                slices += usize::try_from(shards).unwrap_or(1);
                if found.len() >= wanted {
                    let last = found.last().map(|entry| entry.key.clone());
                    return Ok((found, last));
                }
                if slices >= SLICES_PER_PAGE {
                    let boundary = match direction {
                        Direction::Forwards => NameKey::end_of(&bucket),
                        Direction::Backwards => NameKey::start_of(&bucket),
                    };
                    return Ok((found, Some(boundary)));
                }
                last_bucket = Some(bucket);
            }
            match last_bucket {
                Some(bucket) if !read_all => {
                    buckets = self.buckets(direction, &bucket, false).await?;
                }
                _ => return Ok((found, None)),
            }
        }
    }

    /// The next buckets of the directory from `bucket` in `direction`, with their shards.
    async fn buckets(
        &self,
        direction: Direction,
        bucket: &str,
        inclusive: bool,
    ) -> Result<Vec<(String, i32)>, UserError> {
        let statement = match (direction, inclusive) {
            (Direction::Forwards, true) => &self.statements.buckets_from,
            (Direction::Forwards, false) => &self.statements.buckets_after,
            (Direction::Backwards, true) => &self.statements.buckets_to,
            (Direction::Backwards, false) => &self.statements.buckets_before,
        };
        let rows = with_retries(|| self.rows.session.execute_unpaged(statement, (bucket,))).await?;
        Ok(rows
            .into_rows_result()?
            .rows::<BucketRow>()?
            .map(|row| row.map(|row| (row.bucket, row.shards.unwrap_or(1).max(1))))
            .collect::<Result<_, _>>()?)
    }

    /// Up to `limit` entries of the bucket from `from` in `direction`: one slice per shard, merged.
    async fn slices(
        &self,
        direction: Direction,
        bucket: &str,
        shards: i32,
        from: &NameKey,
        limit: usize,
    ) -> Result<Vec<Entry>, UserError> {
        let statement = match direction {
            Direction::Forwards => &self.statements.entries_after,
            Direction::Backwards => &self.statements.entries_before,
        };
        let limit_value = i32::try_from(limit).unwrap_or(i32::MAX);
        let values = |shard| (bucket, shard, from.as_str(), limit_value);
        let descending = direction == Direction::Backwards;
        merged(
            &self.rows.session,
            statement,
            shards,
            values,
            limit,
            descending,
        )
        .await
    }

    /// The users of these entries, read by id at once, in the entries' order; an entry whose
    /// user is gone or sorts elsewhere now is left out and put right.
    async fn checked(&self, entries: Vec<Entry>) -> Result<Vec<(NameKey, User)>, UserError> {
        let mut shown = Vec::new();
        let mut stale = Vec::new();
        for (entry, user) in with_users(&self.rows, entries).await? {
            match user {
                Some(user) if NameKey::of(user.id, &user.name, &user.email) == entry.key => {
                    shown.push((entry.key, user));
                }
                _ if !entry.settled() => {}
                user => stale.push((entry, user)),
            }
        }
        self.entries.put_all_right(KeyTable::Names, stale).await;
        Ok(shown)
    }
}
