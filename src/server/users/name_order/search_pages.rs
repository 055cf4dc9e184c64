//! Search in name order: the users a search finds, by the word that matched, then by name (a phone
//! book: "mart" lists Martin Lee, filed under *martin*, before Ana Martínez, filed under
//! *martínez*).
//!
//! The typed words' longest is looked up in `users_by_term`: every word starting with it is in one
//! bucket (its first two characters), so a page is one slice per shard of that bucket, merged,
//! from the page's position up to the end of the words it starts. Each entry's user is read by id;
//! it is shown if it is current, matches every typed word (`SearchWords::match_user`) and this is
//! the first of its entries the word finds (a user found by two of its words, or by a word and its
//! email, shows once). A page examines at most `examined_per_page` entries: a search too broad to
//! fill a page within that ends the page short, and Next page goes on.

use super::key::{term_as_kept, NameKey, BUCKET_CHARS};
use super::pages::NameFrom;
use super::read_entries::{merged, with_users, Entry};
use super::schema::KeyTable;
use super::user_entries::UserEntries;
use crate::model::User;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use crate::server::users::rows::Rows;
use crate::server::users::search_terms::SearchWords;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use std::sync::Arc;

/// Entries a page examines at most, in pages' worth.
const PAGES_EXAMINED: usize = 10;

pub struct SearchPage {
    pub users: Vec<User>,
    /// Where the next page starts; `None` when nothing more is found.
    pub next: Option<NameKey>,
    /// Where the page before ends; `None` on the first page.
    pub previous: Option<NameKey>,
    /// The page ended short because it examined as many entries as a page may.
    pub partial: bool,
}

pub struct SearchPages {
    entries_between: PreparedStatement,
    entries_between_backwards: PreparedStatement,
    entries: Arc<UserEntries>,
    rows: Rows,
    page_size: u16,
}

impl SearchPages {
    pub async fn new(
        rows: Rows,
        entries: Arc<UserEntries>,
        keyspace: &Keyspace,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let session = &rows.session;
        let ks = keyspace.as_str();
        let select = format!("SELECT key, id, writetime(id) AS written FROM {ks}.users_by_term WHERE bucket = ? AND shard = ? AND key > ? AND key < ?");
        let entries_between = plain(session, format!("{select} LIMIT ?")).await?;
        let entries_between_backwards =
            plain(session, format!("{select} ORDER BY key DESC LIMIT ?")).await?;
        Ok(SearchPages {
            entries_between,
            entries_between_backwards,
            entries,
            rows,
            page_size,
        })
    }

    /// The most entries one page examines.
    pub fn examined_per_page(&self) -> usize {
        PAGES_EXAMINED * (usize::from(self.page_size) + 1)
    }

    /// The read a page of `words` starts with: the statement and the values of its first shard.
    pub fn first_read(
        &self,
        words: &SearchWords,
    ) -> (&PreparedStatement, (String, i32, String, String, i32)) {
        let (bucket, lower, upper) = bounds(words);
        let limit = i32::from(self.page_size) + 1;
        (&self.entries_between, (bucket, 0, lower, upper, limit))
    }

    /// One page of the users `words` finds: from the start, after a page's `next`, or (going
    /// back) before a page's `previous`.
    pub async fn page(&self, words: &SearchWords, from: NameFrom) -> Result<SearchPage, UserError> {
        let size = usize::from(self.page_size);
        let (lower, upper) = {
            let (_, lower, upper) = bounds(words);
            (lower, upper)
        };
        // A position from another search starts this one at its beginning.
        let within = |key: NameKey| {
            Some(key).filter(|key| key.as_str() > lower.as_str() && key.as_str() < upper.as_str())
        };
        let (after, before) = match from {
            NameFrom::Start => (None, None),
            NameFrom::After(key) => (within(key), None),
            NameFrom::Before(key) => (None, within(key)),
        };
        if let Some(before) = before {
            let found = self
                .found(words, Direction::Backwards, before.as_str())
                .await?;
            let Found {
                mut shown,
                more,
                partial,
                ..
            } = found;
            if shown.len() <= size && !more {
                // Back at the start: the first page, full.
                return Box::pin(self.page(words, NameFrom::Start)).await;
            }
            let previous = if shown.len() > size {
                shown.truncate(size);
                shown.last().map(|(key, _)| key.clone())
            } else {
                Some(NameKey::from_stored(found.position))
            };
            shown.reverse();
            let next = shown.last().map(|(key, _)| key.clone()).or(Some(before));
            return Ok(SearchPage {
                users: shown.into_iter().map(|(_, user)| user).collect(),
                next,
                previous,
                partial,
            });
        }
        let start = after.as_ref().map_or(lower.as_str(), NameKey::as_str);
        let found = self.found(words, Direction::Forwards, start).await?;
        let Found {
            mut shown,
            more,
            partial,
            ..
        } = found;
        let previous = after.map(|after| shown.first().map_or(after, |(key, _)| key.clone()));
        let next = if shown.len() > size {
            shown.truncate(size);
            shown.last().map(|(key, _)| key.clone())
        } else {
            more.then(|| NameKey::from_stored(found.position))
        };
        Ok(SearchPage {
            users: shown.into_iter().map(|(_, user)| user).collect(),
            next,
            previous,
            partial,
        })
    }

    /// Up to a page and one more of the users `words` finds from `from` (excluded) in
    /// `direction`, examining at most `examined_per_page` entries.
    async fn found(
        &self,
        words: &SearchWords,
        direction: Direction,
        from: &str,
    ) -> Result<Found, UserError> {
        let size = usize::from(self.page_size);
        let wanted = size + 1;
        let (bucket, lower, upper) = bounds(words);
        let typed = term_as_kept(words.longest());
        let directory = &self.entries.terms.directory;
        let shards = directory.shards_now(&bucket).await?.unwrap_or(1);
        let mut position = from.to_owned();
        let (mut shown, mut stale, mut examined) = (Vec::new(), Vec::new(), 0);
        let mut more = true;
        while shown.len() < wanted && examined < self.examined_per_page() {
            let limit = wanted - shown.len();
            let limit_value = i32::try_from(limit).unwrap_or(i32::MAX);
            let (statement, descending) = match direction {
                Direction::Forwards => (&self.entries_between, false),
                Direction::Backwards => (&self.entries_between_backwards, true),
            };
            let (low, high) = match direction {
                Direction::Forwards => (position.as_str(), upper.as_str()),
                Direction::Backwards => (lower.as_str(), position.as_str()),
            };
            let values = |shard| (&bucket, shard, low, high, limit_value);
            let entries = merged(
                &self.rows.session,
                statement,
                shards,
                values,
                limit,
                descending,
            )
            .await?;
            examined += entries.len();
            more = entries.len() == limit;
            if let Some(last) = entries.last() {
                position = last.key.as_str().to_owned();
            }
            for (entry, user) in with_users(&self.rows, entries).await? {
                match shown_by(&entry, user.as_ref(), words, &typed) {
                    Shown::Yes => shown.extend(user.map(|user| (entry.key, user))),
                    Shown::ElsewhereOrNot => {}
                    Shown::Stale if entry.settled() => stale.push((entry, user)),
                    Shown::Stale => {}
                }
            }
            if !more {
                break;
            }
        }
        self.entries.put_all_right(KeyTable::Terms, stale).await;
        Ok(Found {
            partial: shown.len() <= size && more,
            shown,
            more,
            position,
        })
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Forwards,
    Backwards,
}

/// What one walk through the entries found.
struct Found {
    /// In the order walked.
    shown: Vec<(NameKey, User)>,
    /// Whether entries were left unexamined.
    more: bool,
    /// The last entry examined.
    position: String,
    /// The walk stopped at the bound on entries examined before it had a page.
    partial: bool,
}

/// The bucket of the longest typed word and the keys it starts: after `lower`, before `upper`.
fn bounds(words: &SearchWords) -> (String, String, String) {
    let typed = term_as_kept(words.longest());
    let bucket = typed.chars().take(BUCKET_CHARS).collect();
    let upper = format!("{typed}{}", char::MAX);
    (bucket, typed, upper)
}

enum Shown {
    Yes,
    /// Current, but not a match, or the user shows at another of its entries.
    ElsewhereOrNot,
    /// The user is gone or has other keys now.
    Stale,
}

/// Whether `entry` shows its user in the results of `words` (`typed`: the longest, as kept).
fn shown_by(entry: &Entry, user: Option<&User>, words: &SearchWords, typed: &str) -> Shown {
    let Some(user) = user else {
        return Shown::Stale;
    };
    let keys = NameKey::terms_of(user.id, &user.name, &user.email);
    if !keys.contains(&entry.key) {
        return Shown::Stale;
    }
    let first_found = keys.iter().find(|key| key.term().starts_with(typed));
    if first_found == Some(&entry.key) && words.match_user(&user.name, &user.email) {
        Shown::Yes
    } else {
        Shown::ElsewhereOrNot
    }
}
