//! The audit trail in Cassandra: who changed what, and when (`rows` says where each event is
//! written). An event that describes a new user is written in the same logged batch as the user
//! itself (`batch_with`), so neither lands without the other.

use super::activity::{events_of, Activity};
use super::event::{Actor, Event};
use super::rows::{Recorded, COLUMNS};
use crate::model::AuditPage;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::cassandra::StorageError;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use std::sync::Arc;
use uuid::Uuid;

struct Statements {
    by_user: PreparedStatement,
    by_slot: PreparedStatement,
    slot_index: PreparedStatement,
    day_index: PreparedStatement,
    history_first: PreparedStatement,
    history_before: PreparedStatement,
}

pub struct AuditLog {
    session: Arc<Session>,
    statements: Statements,
    activity: Activity,
    page_size: u16,
}

impl AuditLog {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            by_user: plain(&session, format!("INSERT INTO {ks}.audit_by_user (user_id, at, operator, action, details, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)")).await?,
            by_slot: plain(&session, format!("INSERT INTO {ks}.audit_by_slot (day, slot, {COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")).await?,
            slot_index: plain(&session, format!("INSERT INTO {ks}.audit_slots (day, slot) VALUES (?, ?)")).await?,
            day_index: plain(&session, format!("INSERT INTO {ks}.audit_days (bucket, day) VALUES (?, ?)")).await?,
            history_first: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_user WHERE user_id = ? LIMIT ?")).await?,
            history_before: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_user WHERE user_id = ? AND at < ? LIMIT ?")).await?,
        };
        Ok(AuditLog {
            activity: Activity::new(session.clone(), keyspace, page_size).await?,
            session,
            statements,
            page_size,
        })
    }

    /// A logged batch of `change` followed by the rows that record an event about a user. Its
    /// values are `recorded.batch_values(change values)`.
    pub fn batch_with(&self, change: &PreparedStatement) -> Batch {
        let mut batch = Batch::new(BatchType::Logged);
        batch.append_statement(change.clone());
        self.append_event_rows(&mut batch, true);
        batch.set_is_idempotent(true);
        batch
    }

    fn append_event_rows(&self, batch: &mut Batch, about_a_user: bool) {
        if about_a_user {
            batch.append_statement(self.statements.by_user.clone());
        }
        batch.append_statement(self.statements.by_slot.clone());
        batch.append_statement(self.statements.slot_index.clone());
        batch.append_statement(self.statements.day_index.clone());
    }

    /// Writes an event on its own (sign-ins, operators, tokens, and user changes that are a
    /// conditional write, which cannot share a batch with other tables). The rows carry a fixed
    /// event time, so a retry after a timeout writes the same rows again.
    pub async fn record(&self, actor: &Actor, event: Event) -> Result<(), StorageError> {
        let recorded = Recorded::now(actor, event);
        let about_a_user = recorded.event.user_id.is_some();
        let mut batch = Batch::new(BatchType::Logged);
        batch.set_is_idempotent(true);
        self.append_event_rows(&mut batch, about_a_user);
        let (by_slot, slot, day) = recorded.activity();
        if about_a_user {
            let values = (recorded.by_user(), by_slot, slot, day);
            with_retries(|| self.session.batch(&batch, &values)).await?;
        } else {
            let values = (by_slot, slot, day);
            with_retries(|| self.session.batch(&batch, &values)).await?;
        }
        Ok(())
    }

    /// Writes the event of a change that has already been applied. The change stands even if
    /// the event cannot be written after several tries; that is logged as an error.
    pub async fn record_applied(&self, actor: &Actor, event: Event) {
        let (action, user) = (event.action, event.user_id);
        if let Err(error) = self.record(actor, event).await {
            let error = crate::server::cassandra::error::describe(&error);
            tracing::error!(%action, ?user, %error, "a change was applied but its audit event could not be written");
        }
    }

    /// One user's events, newest first, older than `before` when given.
    pub async fn history(
        &self,
        user_id: Uuid,
        before: Option<Uuid>,
    ) -> Result<AuditPage, StorageError> {
        let limit = i32::from(self.page_size) + 1;
        let result = match before {
            None => {
                self.session
                    .execute_unpaged(&self.statements.history_first, (user_id, limit))
                    .await?
            }
            Some(before) => {
                self.session
                    .execute_unpaged(
                        &self.statements.history_before,
                        (user_id, CqlTimeuuid::from(before), limit),
                    )
                    .await?
            }
        };
        let mut events = events_of(result)?;
        let page_size = usize::from(self.page_size);
        let next = (events.len() > page_size).then(|| events[page_size - 1].id);
        events.truncate(page_size);
        Ok(AuditPage { events, next })
    }

    /// Every event, newest first, older than `before` when given.
    pub async fn activity(&self, before: Option<Uuid>) -> Result<AuditPage, StorageError> {
        self.activity.page(before).await
    }
}
