//! A user's entries: one in name order (`ordered_names`) and one under each word of its name and
//! its email (`ordered_terms`, what search reads). Placed when the user is created, moved when its
//! name or email changes (new ones first, so it is never missing), removed when it is deleted, and
//! given to rows other clients wrote when reconcile or a page meets them.

use super::entries::{Entries, EntryRow};
use super::key::NameKey;
use super::ranges::View;
use super::read_entries::Entry;
use super::schema::KeyTable;
use crate::model::User;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use futures_util::future::join_all;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// The rows of a new user's entry in name order: one written in the create's batch, the others
/// (while its range is being split) after it, with the view of the ranges they were made by.
pub struct NameRows {
    pub in_batch: EntryRow,
    pub others: Vec<EntryRow>,
    pub view: Arc<View>,
}

pub struct UserEntries {
    pub names: Entries,
    pub terms: Entries,
}

/// Keeping the entries after a change that applied: a failure is logged, not returned, since the
/// change itself is done (a page puts a stale entry right when it meets it, and reconcile gives a
/// missing one).
pub fn log_if_not_kept(kept: Result<(), UserError>, id: Uuid) {
    if let Err(error) = kept {
        let error = crate::server::cassandra::error::describe(&error);
        tracing::warn!(%id, %error, "name order and search were not updated for this change; reconcile will");
    }
}

fn name_keys(user: &User) -> BTreeSet<NameKey> {
    BTreeSet::from([NameKey::of(user.id, &user.name, &user.email)])
}

fn term_keys(user: &User) -> BTreeSet<NameKey> {
    NameKey::terms_of(user.id, &user.name, &user.email)
}

impl UserEntries {
    /// `entries_per_range`: when a range of entries is split (`splits`).
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        entries_per_range: u32,
    ) -> Result<Self, ExecutionError> {
        Ok(UserEntries {
            names: Entries::new(
                session.clone(),
                keyspace,
                KeyTable::Names,
                entries_per_range,
            )
            .await?,
            terms: Entries::new(session, keyspace, KeyTable::Terms, entries_per_range).await?,
        })
    }

    /// The rows of the user's entry in name order, as a create writes them.
    pub async fn name_rows(&self, user: &User) -> Result<NameRows, UserError> {
        let key = NameKey::of(user.id, &user.name, &user.email);
        let (in_batch, other, view) = self.names.rows_of(&key).await?;
        Ok(NameRows {
            in_batch,
            others: other.into_iter().collect(),
            view,
        })
    }

    /// What a create writes after its batch: the other rows of its entry in name order, the
    /// entry again if the view grew old meanwhile, and its entries under its words.
    pub async fn after_create(&self, user: &User, rows: NameRows) -> Result<(), UserError> {
        self.names.write_rows(rows.others).await?;
        let keys = name_keys(user);
        self.names
            .place_again_if_outdated(&keys, &rows.view)
            .await?;
        self.place_terms(user).await
    }

    /// The user's entries under its words.
    pub async fn place_terms(&self, user: &User) -> Result<(), UserError> {
        self.terms.place(&term_keys(user)).await
    }

    /// How many ranges of entries this server is splitting now.
    pub fn splits_under_way(&self) -> usize {
        self.names.splits.under_way() + self.terms.splits.under_way()
    }

    /// All of the user's entries.
    pub async fn place(&self, user: &User) -> Result<(), UserError> {
        self.names.place(&name_keys(user)).await?;
        self.place_terms(user).await
    }

    /// All of the user's entries, whether or not it had them (a write that changes nothing when
    /// it had); says whether its entry in name order was missing.
    pub async fn give(&self, user: &User) -> Result<bool, UserError> {
        let key = NameKey::of(user.id, &user.name, &user.email);
        let had = self.names.has(&key).await?;
        self.place(user).await?;
        Ok(!had)
    }

    pub async fn remove(&self, user: &User) -> Result<(), UserError> {
        self.names.remove(&name_keys(user)).await?;
        self.terms.remove(&term_keys(user)).await
    }

    /// From `old`'s name and email to `new`'s: the new entries first, then the old ones that
    /// are not among them.
    pub async fn relocate(&self, old: &User, new: &User) -> Result<(), UserError> {
        let (old_names, new_names) = (name_keys(old), name_keys(new));
        let (old_terms, new_terms) = (term_keys(old), term_keys(new));
        if old_names == new_names && old_terms == new_terms {
            return Ok(());
        }
        self.names.place(&new_names).await?;
        self.terms.place(&new_terms).await?;
        let gone = |old: BTreeSet<NameKey>, new: &BTreeSet<NameKey>| -> BTreeSet<NameKey> {
            old.difference(new).cloned().collect()
        };
        self.names.remove(&gone(old_names, &new_names)).await?;
        self.terms.remove(&gone(old_terms, &new_terms)).await
    }

    /// An entry a page found stale (`stale` in `table`): its user is gone (`None`) or has other
    /// keys now. The user gets its entries, then the stale one is removed.
    pub async fn put_right(
        &self,
        table: KeyTable,
        stale: NameKey,
        user: Option<&User>,
    ) -> Result<(), UserError> {
        if let Some(user) = user {
            self.place(user).await?;
        }
        let entries = match table {
            KeyTable::Names => &self.names,
            KeyTable::Terms => &self.terms,
        };
        entries.remove(&BTreeSet::from([stale])).await
    }

    /// Puts right, all at once, the stale entries a page met; failures are logged (the page is
    /// right without them).
    pub async fn put_all_right(&self, table: KeyTable, stale: Vec<(Entry, Option<User>)>) {
        let repairs = stale
            .iter()
            .map(|(entry, user)| self.put_right(table, entry.key.clone(), user.as_ref()));
        for (repaired, (entry, _)) in join_all(repairs).await.into_iter().zip(&stale) {
            if let Err(error) = repaired {
                let error = crate::server::cassandra::error::describe(&error);
                tracing::warn!(id = %entry.key.id(), %error, "a stale entry could not be put right");
            }
        }
    }
}
