//! Pages of users in name order, forwards (`after` a position) and backwards (`before` one).
//!
//! A page reads the entries from its position in the partition of the range that holds it, and of
//! the next ranges while it has less than a page and one more (`read_entries::Walker`); then it
//! reads each entry's user by id, all at once. An entry whose
//! user is gone or now sorts elsewhere (a crash between two writes, another client's edit) is not
//! shown: it is removed, and the user is given its right entry. So every page costs a few
//! bounded reads, whatever the number of users.

use super::key::NameKey;
use super::read_entries::{with_users, Direction, Entry, Walker};
use super::schema::KeyTable;
use super::user_entries::UserEntries;
use crate::model::User;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use crate::server::users::rows::Rows;
use scylla::errors::ExecutionError;
use std::sync::Arc;

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

pub struct NamePages {
    walker: Walker,
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
        let ranges = entries.names.ranges.clone();
        let walker = Walker::new(rows.session.clone(), keyspace, KeyTable::Names, ranges).await?;
        Ok(NamePages {
            walker,
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
        let end = NameKey::end();
        let walked = self
            .walker
            .walk(direction, from, ("", end.as_str()), wanted)
            .await?;
        Ok((walked.entries, walked.go_on_from))
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
