//! The audit trail in Cassandra: who changed what, and when.
//!
//! Every event is written twice, newest first: into `audit_by_user` (one partition per user: the
//! History section) and into `audit_by_day` (one partition per UTC day: the Activity page), plus
//! the day into `audit_days`, so that paging back through the activity reads one partition slice
//! at a time and skips days without events. An event that describes a new user is written in the
//! same logged batch as the user itself (`batch_with`), so neither lands without the other.

use super::event::{Actor, Event};
use super::time::{day_of, format_time, new_timeuuid, time_of};
use crate::model::{AuditEvent, AuditPage, FieldChange};
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::cassandra::StorageError;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::response::query_result::QueryResult;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use scylla::{DeserializeRow, SerializeRow};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// `audit_days` is one small partition: a row per day that has events.
const DAYS_BUCKET: i32 = 0;
/// How many days one read of `audit_days` returns while filling a page.
const DAYS_PER_READ: i32 = 16;

const COLUMNS: &str = "at, operator, action, user_id, details, before, after";

/// An event with its time: the values of the rows that record it.
pub struct Recorded {
    at: CqlTimeuuid,
    day: Date,
    operator: String,
    event: Event,
}

#[derive(SerializeRow)]
pub struct ByUserRow<'a> {
    user_id: Uuid,
    at: CqlTimeuuid,
    operator: &'a str,
    action: &'a str,
    details: &'a str,
    before: &'a BTreeMap<String, String>,
    after: &'a BTreeMap<String, String>,
}

#[derive(SerializeRow)]
pub struct ByDayRow<'a> {
    day: Date,
    at: CqlTimeuuid,
    operator: &'a str,
    action: &'a str,
    user_id: Option<Uuid>,
    details: &'a str,
    before: &'a BTreeMap<String, String>,
    after: &'a BTreeMap<String, String>,
}

#[derive(SerializeRow)]
pub struct DayRow {
    bucket: i32,
    day: Date,
}

impl Recorded {
    pub fn now(actor: &Actor, event: Event) -> Self {
        let id = new_timeuuid();
        Recorded {
            at: CqlTimeuuid::from(id),
            day: day_of(id),
            operator: actor.name().to_owned(),
            event,
        }
    }

    pub fn by_user(&self) -> ByUserRow<'_> {
        let e = &self.event;
        ByUserRow {
            user_id: e.user_id.unwrap_or_default(),
            at: self.at,
            operator: &self.operator,
            action: e.action.as_str(),
            details: &e.details,
            before: &e.before,
            after: &e.after,
        }
    }

    pub fn by_day(&self) -> ByDayRow<'_> {
        let e = &self.event;
        ByDayRow {
            day: self.day,
            at: self.at,
            operator: &self.operator,
            action: e.action.as_str(),
            user_id: e.user_id,
            details: &e.details,
            before: &e.before,
            after: &e.after,
        }
    }

    pub fn day_index(&self) -> DayRow {
        DayRow {
            bucket: DAYS_BUCKET,
            day: self.day,
        }
    }
}

#[derive(DeserializeRow)]
struct EventRow {
    at: CqlTimeuuid,
    operator: Option<String>,
    action: Option<String>,
    user_id: Option<Uuid>,
    details: Option<String>,
    before: Option<BTreeMap<String, String>>,
    after: Option<BTreeMap<String, String>>,
}

impl From<EventRow> for AuditEvent {
    fn from(row: EventRow) -> Self {
        let id = Uuid::from(row.at);
        let (before, after) = (
            row.before.unwrap_or_default(),
            row.after.unwrap_or_default(),
        );
        let fields: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        let changes = fields
            .into_iter()
            .map(|field| FieldChange {
                field: field.clone(),
                before: before.get(field).cloned(),
                after: after.get(field).cloned(),
            })
            .collect();
        AuditEvent {
            id,
            at: format_time(time_of(id)),
            operator: row.operator.unwrap_or_default(),
            action: row.action.unwrap_or_default(),
            user_id: row.user_id.filter(|id| !id.is_nil()),
            details: row.details.unwrap_or_default(),
            changes,
        }
    }
}

struct Statements {
    by_user: PreparedStatement,
    by_day: PreparedStatement,
    day_index: PreparedStatement,
    history_first: PreparedStatement,
    history_before: PreparedStatement,
    days_up_to: PreparedStatement,
    day_first: PreparedStatement,
    day_before: PreparedStatement,
}

pub struct AuditLog {
    session: Arc<Session>,
    statements: Statements,
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
            by_day: plain(&session, format!("INSERT INTO {ks}.audit_by_day (day, {COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")).await?,
            day_index: plain(&session, format!("INSERT INTO {ks}.audit_days (bucket, day) VALUES (?, ?)")).await?,
            history_first: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_user WHERE user_id = ? LIMIT ?")).await?,
            history_before: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_user WHERE user_id = ? AND at < ? LIMIT ?")).await?,
            days_up_to: plain(&session, format!("SELECT day FROM {ks}.audit_days WHERE bucket = ? AND day <= ? LIMIT ?")).await?,
            day_first: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_day WHERE day = ? LIMIT ?")).await?,
            day_before: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_day WHERE day = ? AND at < ? LIMIT ?")).await?,
        };
        Ok(AuditLog {
            session,
            statements,
            page_size,
        })
    }

    /// A logged batch of `change` followed by the rows that record an event about a user.
    /// Its values are `(change values, recorded.by_user(), recorded.by_day(), recorded.day_index())`.
    pub fn batch_with(&self, change: &PreparedStatement) -> Batch {
        let mut batch = Batch::new(BatchType::Logged);
        batch.append_statement(change.clone());
        batch.append_statement(self.statements.by_user.clone());
        batch.append_statement(self.statements.by_day.clone());
        batch.append_statement(self.statements.day_index.clone());
        batch.set_is_idempotent(true);
        batch
    }

    /// Writes an event on its own (sign-ins, operators, tokens, and user changes that are a
    /// conditional write, which cannot share a batch with other tables). The rows carry a fixed
    /// event time, so a retry after a timeout writes the same rows again.
    pub async fn record(&self, actor: &Actor, event: Event) -> Result<(), StorageError> {
        let recorded = Recorded::now(actor, event);
        let mut batch = Batch::new(BatchType::Logged);
        batch.set_is_idempotent(true);
        if recorded.event.user_id.is_some() {
            batch.append_statement(self.statements.by_user.clone());
            batch.append_statement(self.statements.by_day.clone());
            batch.append_statement(self.statements.day_index.clone());
            let values = (recorded.by_user(), recorded.by_day(), recorded.day_index());
            with_retries(|| self.session.batch(&batch, &values)).await?;
        } else {
            batch.append_statement(self.statements.by_day.clone());
            batch.append_statement(self.statements.day_index.clone());
            let values = (recorded.by_day(), recorded.day_index());
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
        Ok(self.page_of(events_of(result)?))
    }

    /// Every event, newest first, older than `before` when given: partition by partition, day
    /// by day, reading only as many rows as the page needs.
    pub async fn activity(&self, before: Option<Uuid>) -> Result<AuditPage, StorageError> {
        let wanted = usize::from(self.page_size) + 1;
        // A server whose clock runs a little ahead may have written tomorrow's partition.
        let mut up_to = match before {
            Some(cursor) => day_of(cursor),
            None => OffsetDateTime::now_utc()
                .date()
                .next_day()
                .unwrap_or(Date::MAX),
        };
        let mut events = Vec::new();
        'days: loop {
            let days: Vec<Date> = self
                .session
                .execute_unpaged(
                    &self.statements.days_up_to,
                    (DAYS_BUCKET, up_to, DAYS_PER_READ),
                )
                .await?
                .into_rows_result()?
                .rows::<(Date,)>()?
                .map(|row| row.map(|(day,)| day))
                .collect::<Result<_, _>>()?;
            let Some(&oldest) = days.last() else { break };
            for day in days {
                let need = i32::try_from(wanted - events.len()).unwrap_or(i32::MAX);
                let result = match before.filter(|cursor| day_of(*cursor) == day) {
                    Some(cursor) => {
                        self.session
                            .execute_unpaged(
                                &self.statements.day_before,
                                (day, CqlTimeuuid::from(cursor), need),
                            )
                            .await?
                    }
                    None => {
                        self.session
                            .execute_unpaged(&self.statements.day_first, (day, need))
                            .await?
                    }
                };
                events.extend(events_of(result)?);
                if events.len() >= wanted {
                    break 'days;
                }
            }
            match oldest.previous_day() {
                Some(day) => up_to = day,
                None => break,
            }
        }
        Ok(self.page_of(events))
    }

    fn page_of(&self, mut events: Vec<AuditEvent>) -> AuditPage {
        let next = if events.len() > usize::from(self.page_size) {
            events.truncate(usize::from(self.page_size));
            events.last().map(|event| event.id)
        } else {
            None
        };
        AuditPage { events, next }
    }
}

fn events_of(result: QueryResult) -> Result<Vec<AuditEvent>, StorageError> {
    Ok(result
        .into_rows_result()?
        .rows::<EventRow>()?
        .map(|row| row.map(AuditEvent::from))
        .collect::<Result<_, _>>()?)
}
