//! Writing the entries of one table of keys (`ordered_names` or `ordered_terms`): placed, removed,
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
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::SerializeRow;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// An entry's row, the values of its INSERT and its DELETE (in the order of both).
#[derive(Clone, Debug, SerializeRow)]
pub struct EntryRow {
    pub part: Uuid,
    pub key: String,
    pub id: Uuid,
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
            insert_entry: plain(&session, format!("INSERT INTO {ks}.{entries} (part, key, id, placed) VALUES (?, ?, ?, true)")).await?,
            delete_entry: plain(&session, format!("DELETE FROM {ks}.{entries} WHERE part = ? AND key = ? AND id = ?")).await?,
            entry_at: plain(&session, format!("SELECT id FROM {ks}.{entries} WHERE part = ? AND key = ? AND id = ?")).await?,
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

    /// The rows of the entry `key` by the ranges this server remembers (see `rows_in`), counted
    /// towards its range's split, and that view.
    pub async fn rows_of(
        &self,
        key: &NameKey,
    ) -> Result<(EntryRow, Option<EntryRow>, Arc<View>), UserError> {
        let view = self.ranges.remembered().await?;
        // Counted as it is about to be written (a write that then fails counts too: a range may
        // split a little early, never late).
        self.splits.count_written(view.holding(key.as_str())).await;
        let (row, new_row) = rows_in(&view, key);
        Ok((row, new_row, view))
    }

    /// Writes the entries `keys`.
    pub async fn place(&self, keys: &BTreeSet<NameKey>) -> Result<(), UserError> {
        let view = self.ranges.remembered().await?;
        for key in keys {
            self.splits.count_written(view.holding(key.as_str())).await;
        }
        let insert = &self.statements.insert_entry;
        self.write_all(insert, all_rows_in(&view, keys)).await?;
        self.again_if_outdated(insert, keys, &view).await
    }

    /// Writes entries whose rows were made by `rows_of`.
    pub async fn write_rows(&self, rows: Vec<EntryRow>) -> Result<(), UserError> {
        self.write_all(&self.statements.insert_entry, rows).await
    }

    /// `place`'s second half, for entries whose rows a create wrote in its batch.
    pub async fn place_again_if_outdated(
        &self,
        keys: &BTreeSet<NameKey>,
        view: &View,
    ) -> Result<(), UserError> {
        let insert = &self.statements.insert_entry;
        self.again_if_outdated(insert, keys, view).await
    }

    /// When `view` grew old while `statement` was written for the entries `keys` by it, a split
    /// may have begun meanwhile and copied the range without that write: it is written again
    /// where the ranges say now.
    async fn again_if_outdated(
        &self,
        statement: &PreparedStatement,
        keys: &BTreeSet<NameKey>,
        view: &View,
    ) -> Result<(), UserError> {
        if !view.outdated() {
            return Ok(());
        }
        let now = self.ranges.now().await?;
        self.write_all(statement, all_rows_in(&now, keys)).await
    }

    /// One statement for each of `values`, in one batch (one partition per key, rarely more
    /// than a handful).
    async fn write_all(
        &self,
        statement: &PreparedStatement,
        values: Vec<EntryRow>,
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

    /// Removes the entries `keys`.
    pub async fn remove(&self, keys: &BTreeSet<NameKey>) -> Result<(), UserError> {
        let view = self.ranges.remembered().await?;
        let delete = &self.statements.delete_entry;
        self.write_all(delete, all_rows_in(&view, keys)).await?;
        self.again_if_outdated(delete, keys, &view).await
    }

    /// Whether the entry `key` is there.
    pub async fn has(&self, key: &NameKey) -> Result<bool, UserError> {
        let range = self.ranges.holding(key.as_str()).await?;
        let values = (range.part, key.as_str(), key.id());
        let found = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.entry_at, values)
        })
        .await?;
        Ok(found.into_rows_result()?.rows_num() > 0)
    }
}

/// The rows of the entry `key` by `view`: in its range's partition, and in the one its range is
/// being split into, if so.
fn rows_in(view: &View, key: &NameKey) -> (EntryRow, Option<EntryRow>) {
    let (part, new_part) = view.holding(key.as_str()).parts_for(key.as_str());
    let row = |part| EntryRow {
        part,
        key: key.as_str().to_owned(),
        id: key.id(),
    };
    (row(part), new_part.map(row))
}

fn all_rows_in(view: &View, keys: &BTreeSet<NameKey>) -> Vec<EntryRow> {
    keys.iter()
        .flat_map(|key| {
            let (row, new_row) = rows_in(view, key);
            std::iter::once(row).chain(new_row)
        })
        .collect()
}
