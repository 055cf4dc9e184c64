//! The audit trail: who changed what, and when.
//!
//! Every event is written twice, newest first: into `audit_by_user` (one partition per user: the
//! History section) and into `audit_by_day` (one partition per UTC day: the Activity page), plus
//! the day into `audit_days`, so that paging back through the activity reads one partition slice
//! at a time and skips days without events. An event that describes a change to a user is written
//! in the same logged batch as the change itself (see `UserStore`), so neither lands without the
//! other.

use super::config::Keyspace;
use super::db::plain;
use super::store::{decode_error, with_retries, StoreError};
use crate::model::{AuditEvent, AuditPage, FieldChange, User};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use scylla::DeserializeRow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Operator(String),
    CommandLine,
}

impl Actor {
    pub fn name(&self) -> &str {
        match self {
            Actor::Operator(username) => username,
            Actor::CommandLine => "cassandra-users CLI",
        }
    }
}

/// Something that happened, before it is given its time and written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub action: &'static str,
    pub user_id: Option<Uuid>,
    pub details: String,
    pub before: BTreeMap<String, String>,
    pub after: BTreeMap<String, String>,
}

fn user_fields(user: &User) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("name".to_owned(), user.name.clone()),
        ("email".to_owned(), user.email.clone()),
    ])
}

impl Event {
    /// An event that is not about one user (sign-ins, operators, tokens).
    pub fn new(action: &'static str, details: impl Into<String>) -> Self {
        Event {
            action,
            user_id: None,
            details: details.into(),
            before: BTreeMap::new(),
            after: BTreeMap::new(),
        }
    }

    pub fn user_created(user: &User) -> Self {
        Event {
            action: "create",
            user_id: Some(user.id),
            details: format!("created {} <{}>", user.name, user.email),
            before: BTreeMap::new(),
            after: user_fields(user),
        }
    }

    pub fn user_updated(before: &User, after: &User) -> Self {
        let id = after.id;
        let (before, after) = (user_fields(before), user_fields(after));
        let changed: Vec<&str> = after
            .iter()
            .filter(|(field, value)| before.get(*field) != Some(value))
            .map(|(field, _)| field.as_str())
            .collect();
        Event {
            action: "update",
            user_id: Some(id),
            details: format!("changed {}", changed.join(" and ")),
            before,
            after,
        }
    }

    /// A row written outside the app was given the claim on its email.
    pub fn email_adopted(user: &User) -> Self {
        Event {
            action: "adopt",
            user_id: Some(user.id),
            details: format!(
                "gave {} its email claim (the row was written outside the app)",
                user.email
            ),
            before: BTreeMap::new(),
            after: user_fields(user),
        }
    }

    /// A save or delete refused because the user changed since the person opened it:
    /// `shown` is what they saw, `attempted` what they asked for (nothing for a delete).
    pub fn conflict(shown: &User, attempted: Option<&User>) -> Self {
        let what = if attempted.is_some() {
            "save"
        } else {
            "delete"
        };
        Event {
            action: "conflict",
            user_id: Some(shown.id),
            details: format!("{what} refused: the user had changed since it was opened"),
            before: user_fields(shown),
            after: attempted.map(user_fields).unwrap_or_default(),
        }
    }

    pub fn user_deleted(user: &User) -> Self {
        Event {
            action: "delete",
            user_id: Some(user.id),
            details: format!("deleted {} <{}>", user.name, user.email),
            before: user_fields(user),
            after: BTreeMap::new(),
        }
    }
}

/// An event with its time: the values of the rows that record it.
pub struct Recorded {
    at: CqlTimeuuid,
    day: Date,
    operator: String,
    event: Event,
}

type ByUserValues<'a> = (
    Uuid,
    CqlTimeuuid,
    &'a str,
    &'a str,
    &'a str,
    &'a BTreeMap<String, String>,
    &'a BTreeMap<String, String>,
);
type ByDayValues<'a> = (
    Date,
    CqlTimeuuid,
    &'a str,
    &'a str,
    Option<Uuid>,
    &'a str,
    &'a BTreeMap<String, String>,
    &'a BTreeMap<String, String>,
);

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

    pub fn by_user(&self) -> ByUserValues<'_> {
        let e = &self.event;
        (
            e.user_id.unwrap_or_default(),
            self.at,
            &self.operator,
            e.action,
            &e.details,
            &e.before,
            &e.after,
        )
    }

    pub fn by_day(&self) -> ByDayValues<'_> {
        let e = &self.event;
        (
            self.day,
            self.at,
            &self.operator,
            e.action,
            e.user_id,
            &e.details,
            &e.before,
            &e.after,
        )
    }

    pub fn day_index(&self) -> (i32, Date) {
        (DAYS_BUCKET, self.day)
    }
}

/// `audit_days` is one small partition: a row per day that has events.
const DAYS_BUCKET: i32 = 0;
/// How many days one read of `audit_days` returns while filling a page.
const DAYS_PER_READ: i32 = 16;

const COLUMNS: &str = "at, operator, action, user_id, details, before, after";

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
        let fields: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
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
    pub async fn record(&self, actor: &Actor, event: Event) -> Result<(), StoreError> {
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

    /// One user's events, newest first, older than `before` when given.
    pub async fn history(
        &self,
        user_id: Uuid,
        before: Option<Uuid>,
    ) -> Result<AuditPage, StoreError> {
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
        Ok(self.page_of(rows_to_events(result)?))
    }

    /// Every event, newest first, older than `before` when given: partition by partition, day
    /// by day, reading only as many rows as the page needs.
    pub async fn activity(&self, before: Option<Uuid>) -> Result<AuditPage, StoreError> {
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
            let result = self
                .session
                .execute_unpaged(
                    &self.statements.days_up_to,
                    (DAYS_BUCKET, up_to, DAYS_PER_READ),
                )
                .await?;
            let days: Vec<Date> = result
                .into_rows_result()
                .map_err(decode_error)?
                .rows::<(Date,)>()
                .map_err(decode_error)?
                .map(|row| row.map(|(day,)| day).map_err(decode_error))
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
                events.extend(rows_to_events(result)?);
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

fn rows_to_events(
    result: scylla::response::query_result::QueryResult,
) -> Result<Vec<AuditEvent>, StoreError> {
    result
        .into_rows_result()
        .map_err(decode_error)?
        .rows::<EventRow>()
        .map_err(decode_error)?
        .map(|row| row.map(AuditEvent::from).map_err(decode_error))
        .collect()
}

/// A version-1 (time-based) UUID for now, as Cassandra's `timeuuid` wants.
pub fn new_timeuuid() -> Uuid {
    static NODE_ID: OnceLock<[u8; 6]> = OnceLock::new();
    Uuid::now_v1(NODE_ID.get_or_init(rand::random))
}

pub(crate) fn time_of(id: Uuid) -> OffsetDateTime {
    let (seconds, nanos) = id
        .get_timestamp()
        .map(|timestamp| timestamp.to_unix())
        .unwrap_or_default();
    OffsetDateTime::from_unix_timestamp(seconds as i64)
        .map(|t| t + time::Duration::nanoseconds(i64::from(nanos)))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The UTC day a timeuuid was made on: its partition in `audit_by_day`.
pub fn day_of(id: Uuid) -> Date {
    time_of(id).date()
}

/// "2026-11-24 08:25:07 UTC"
pub fn format_time(at: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    at.format(&format).unwrap_or_default()
}
