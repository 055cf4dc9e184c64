//! Writing the entries of one table of keys (`name_entries` or `term_entries`): placed, removed,
//! every write idempotent. Which keys a user has is `user_entries`' business; which range holds
//! a key, `ranges`'; when a range splits, `splits`'.

use super::key::NameKey;
use super::ranges::{Ranges, View};
use super::schema::KeyTable;
use super::splits::Splits;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::error::UserError;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::serialize::row::SerializeRow;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::SerializeRow;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// The values of an entry's INSERT, in the order of `insert_entry`.
#[derive(Clone, Debug, SerializeRow)]
pub struct EntryRow {
    pub part: Uuid,
    pub key: String,
    pub id: Uuid,
}

/// The values of an entry's DELETE, in the order of `delete_entry`.
#[derive(SerializeRow)]
struct EntryAt {
    part: Uuid,
    key: String,
}

pub struct EntryStatements {
    pub insert_entry: PreparedStatement,
    delete_entry: PreparedStatement,
    entry_at: PreparedStatement,
}

pub struct Entries {
    session: Arc<Session>,
    pub statements: EntryStatements,
    pub ranges: Arc<Ranges>,
    pub splits: Arc<Splits>,
}

impl Entries {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: KeyTable,
        entries_per_range: u32,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let entries = table.name();
        #[rustfmt::skip]
        let statements = EntryStatements {
            insert_entry: plain(&session, format!("INSERT INTO {ks}.{entries} (part, key, id) VALUES (?, ?, ?)")).await?,
            delete_entry: plain(&session, format!("DELETE FROM {ks}.{entries} WHERE part = ? AND key = ?")).await?,
            entry_at: plain(&session, format!("SELECT id FROM {ks}.{entries} WHERE part = ? AND key = ?")).await?,
        };
        let ranges = Arc::new(Ranges::new(session.clone(), keyspace, table).await?);
        let splits = Splits::new(
            session.clone(),
            keyspace,
            table,
            ranges.clone(),
            entries_per_range,
        )
        .await?;
        Ok(Entries {
            session,
            statements,
            ranges,
            splits: Arc::new(splits),
        })
    }

    /// The rows of `id`'s entry under `key` by the ranges this server remembers (see `rows_in`),
    /// counted towards its range's split, and that view.
    pub async fn rows_of(
        &self,
        id: Uuid,
        key: &NameKey,
    ) -> Result<(EntryRow, Option<EntryRow>, Arc<View>), UserError> {
        let view = self.ranges.remembered().await?;
        // Counted as it is about to be written (a write that then fails counts too: a range may
        // split a little early, never late).
        self.splits.count_written(view.holding(key.as_str())).await;
        let (row, new_row) = rows_in(&view, id, key);
        Ok((row, new_row, view))
    }

    /// Writes the entries of `id` under `keys`.
    pub async fn place(&self, id: Uuid, keys: &BTreeSet<NameKey>) -> Result<(), UserError> {
        let view = self.ranges.remembered().await?;
        for key in keys {
            self.splits.count_written(view.holding(key.as_str())).await;
        }
        let rows = all_rows_in(&view, id, keys);
        self.write_all(&self.statements.insert_entry, rows).await?;
        self.place_again_if_outdated(id, keys, &view).await
    }

    /// Writes entries whose rows were made by `rows_of`.
    pub async fn write_rows(&self, rows: Vec<EntryRow>) -> Result<(), UserError> {
        self.write_all(&self.statements.insert_entry, rows).await
    }

    /// When `view` grew old while entries were written by it, a split may have begun meanwhile
    /// and copied the range without them: they are written again where the ranges say now.
    pub async fn place_again_if_outdated(
        &self,
        id: Uuid,
        keys: &BTreeSet<NameKey>,
        view: &View,
    ) -> Result<(), UserError> {
        if !view.outdated() {
            return Ok(());
        }
        let now = self.ranges.now().await?;
        let rows = all_rows_in(&now, id, keys);
        self.write_all(&self.statements.insert_entry, rows).await
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

    /// Removes the entries of `id` under `keys`.
    pub async fn remove(&self, id: Uuid, keys: &BTreeSet<NameKey>) -> Result<(), UserError> {
        let mut view = self.ranges.remembered().await?;
        loop {
            let deletes = all_rows_in(&view, id, keys)
                .into_iter()
                .map(|row| EntryAt {
                    part: row.part,
                    key: row.key,
                })
                .collect();
            self.write_all(&self.statements.delete_entry, deletes)
                .await?;
            if !view.outdated() {
                return Ok(());
            }
            view = Arc::new(self.ranges.now().await?);
        }
    }

    /// Whether `id` has its entry under `key`.
    pub async fn has(&self, id: Uuid, key: &NameKey) -> Result<bool, UserError> {
        let range = self.ranges.holding(key.as_str()).await?;
        let values = (range.part, key.as_str());
        let found = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.entry_at, values)
        })
        .await?;
        let found = found.into_rows_result()?.maybe_first_row::<(Uuid,)>()?;
        Ok(found.is_some_and(|(entry,)| entry == id))
    }
}

/// The rows of `id`'s entry under `key` by `view`: in its range's partition, and in the one its
/// range is being split into, if so.
fn rows_in(view: &View, id: Uuid, key: &NameKey) -> (EntryRow, Option<EntryRow>) {
    let (part, new_part) = view.holding(key.as_str()).parts_for(key.as_str());
    let row = |part| EntryRow {
        part,
        key: key.as_str().to_owned(),
        id,
    };
    (row(part), new_part.map(row))
}

fn all_rows_in(view: &View, id: Uuid, keys: &BTreeSet<NameKey>) -> Vec<EntryRow> {
    keys.iter()
        .flat_map(|key| {
            let (row, new_row) = rows_in(view, id, key);
            std::iter::once(row).chain(new_row)
        })
        .collect()
}
