//! Search in name order: the users a search finds, by the word that matched, then by name (a phone
//! book: "mart" lists Martin Lee, filed under *martin*, before Ana Martínez, filed under
//! *martínez*).
//!
//! The typed words' longest is looked up in `ordered_terms`: the words starting with it are
//! neighbours there, so a page is a slice of the partition of the range that holds the page's
//! position (and of the next range's, when the page crosses into it), up to the end of the words
//! it starts. Each entry's user is read by id;
//! it is shown if it is current, matches every typed word (`SearchWords::match_user`) and this is
//! the first of its entries the word finds (a user found by two of its words, or by a word and its
//! email, shows once). A page examines at most `examined_per_page` entries: a search too broad to
//! fill a page within that ends the page short, and Next page goes on.

use super::key::{term_as_kept, NameKey};
use super::pages::NameFrom;
use super::read_entries::{with_users, Direction, Entry, FirstRead, Walker};
use super::schema::KeyTable;
use super::user_entries::UserEntries;
use crate::model::User;
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
    walker: Walker,
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
        let ranges = entries.terms.ranges.clone();
        let walker = Walker::new(rows.session.clone(), keyspace, KeyTable::Terms, ranges).await?;
        Ok(SearchPages {
            walker,
            entries,
            rows,
            page_size,
        })
    }

    /// The most entries one page examines.
    pub fn examined_per_page(&self) -> usize {
        PAGES_EXAMINED * (usize::from(self.page_size) + 1)
    }

    /// The read a page of `words` starts with: the statement and its values.
    pub async fn first_read(
        &self,
        words: &SearchWords,
    ) -> Result<(&PreparedStatement, FirstRead), UserError> {
        let (lower, upper) = bounds(words);
        let limit = i32::from(self.page_size) + 1;
        self.walker.first_read(&lower, &upper, limit).await
    }

    /// One page of the users `words` finds: from the start, after a page's `next`, or (going
    /// back) before a page's `previous`.
    pub async fn page(&self, words: &SearchWords, from: NameFrom) -> Result<SearchPage, UserError> {
        let size = usize::from(self.page_size);
        let (lower, upper) = bounds(words);
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
            let found = self.found(words, Direction::Backwards, &before).await?;
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
                Some(found.position)
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
        let start = after.clone().unwrap_or_else(|| NameKey::before(&lower));
        let found = self.found(words, Direction::Forwards, &start).await?;
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
            more.then_some(found.position)
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
        from: &NameKey,
    ) -> Result<Found, UserError> {
        let size = usize::from(self.page_size);
        let wanted = size + 1;
        let (lower, upper) = bounds(words);
        let typed = term_as_kept(words.longest());
        let mut position = from.clone();
        let (mut shown, mut stale, mut examined) = (Vec::new(), Vec::new(), 0);
        let mut more = true;
        while shown.len() < wanted && examined < self.examined_per_page() {
            let limit = wanted - shown.len();
            let bounds = (lower.as_str(), upper.as_str());
            let walked = self
                .walker
                .walk(direction, &position, bounds, limit)
                .await?;
            examined += walked.entries.len();
            more = walked.go_on_from.is_some();
            if let Some(go_on_from) = walked.go_on_from {
                position = go_on_from;
            }
            for (entry, user) in with_users(&self.rows, walked.entries).await? {
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

/// What one walk through the entries found.
struct Found {
    /// In the order walked.
    shown: Vec<(NameKey, User)>,
    /// Whether entries were left unexamined.
    more: bool,
    /// The last entry examined.
    position: NameKey,
    /// The walk stopped at the bound on entries examined before it had a page.
    partial: bool,
}

/// The keys the longest typed word starts: after `lower`, before `upper`.
fn bounds(words: &SearchWords) -> (String, String) {
    let typed = term_as_kept(words.longest());
    let upper = format!("{typed}{}", char::MAX);
    (typed, upper)
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
