//! The Activity page's read: every event, newest first, a page at a time. Days that have events
//! come from `audit_days`, the slots of a day that have events from `audit_slots`, the events from
//! `audit_by_slot`; every read is one partition slice of at most what the page still needs.
//! Events written before slots existed are in `audit_by_day` (one partition per day): each day
//! is read from both and merged, so no event is missed and the order holds.

use super::rows::{slot_of, EventRow, COLUMNS, DAYS_BUCKET};
use super::time::day_of;
use crate::model::{AuditEvent, AuditPage};
use crate::server::cassandra::statements::plain;
use crate::server::cassandra::StorageError;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use std::sync::Arc;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// How many days, and slots of a day, one index read returns while filling a page.
const DAYS_PER_READ: i32 = 16;
const SLOTS_PER_READ: i32 = 64;

pub struct Activity {
    session: Arc<Session>,
    days_up_to: PreparedStatement,
    slots_up_to: PreparedStatement,
    slot_first: PreparedStatement,
    slot_before: PreparedStatement,
    legacy_first: PreparedStatement,
    legacy_before: PreparedStatement,
    page_size: u16,
}

impl Activity {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        Ok(Activity {
            days_up_to: plain(&session, format!("SELECT day FROM {ks}.audit_days WHERE bucket = ? AND day <= ? LIMIT ?")).await?,
            slots_up_to: plain(&session, format!("SELECT slot FROM {ks}.audit_slots WHERE day = ? AND slot <= ? LIMIT ?")).await?,
            slot_first: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_slot WHERE day = ? AND slot = ? LIMIT ?")).await?,
            slot_before: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_slot WHERE day = ? AND slot = ? AND at < ? LIMIT ?")).await?,
            legacy_first: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_day WHERE day = ? LIMIT ?")).await?,
            legacy_before: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.audit_by_day WHERE day = ? AND at < ? LIMIT ?")).await?,
            session,
            page_size,
        })
    }

    /// Every event, newest first, older than `before` when given.
    pub async fn page(&self, before: Option<Uuid>) -> Result<AuditPage, StorageError> {
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
                .execute_unpaged(&self.days_up_to, (DAYS_BUCKET, up_to, DAYS_PER_READ))
                .await?
                .into_rows_result()?
                .rows::<(Date,)>()?
                .map(|row| row.map(|(day,)| day))
                .collect::<Result<_, _>>()?;
            let Some(&oldest) = days.last() else { break };
            for day in days {
                let cursor = before.filter(|cursor| day_of(*cursor) == day);
                events.extend(self.of_day(day, cursor, wanted - events.len()).await?);
                if events.len() >= wanted {
                    break 'days;
                }
            }
            match oldest.previous_day() {
                Some(day) => up_to = day,
                None => break,
            }
        }
        let page_size = usize::from(self.page_size);
        let next = (events.len() > page_size).then(|| events[page_size - 1].id);
        events.truncate(page_size);
        Ok(AuditPage { events, next })
    }

    /// Up to `need` events of `day`, newest first, older than `before` when given: from its
    /// slots, and from the day's partition of before slots existed.
    async fn of_day(
        &self,
        day: Date,
        before: Option<Uuid>,
        need: usize,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        let limit = i32::try_from(need).unwrap_or(i32::MAX);
        let mut events = Vec::new();
        let mut up_to_slot = before.map_or(i32::MAX, slot_of);
        'slots: loop {
            let slots: Vec<i32> = self
                .session
                .execute_unpaged(&self.slots_up_to, (day, up_to_slot, SLOTS_PER_READ))
                .await?
                .into_rows_result()?
                .rows::<(i32,)>()?
                .map(|row| row.map(|(slot,)| slot))
                .collect::<Result<_, _>>()?;
            let Some(&oldest) = slots.last() else { break };
            for slot in slots {
                let still = i32::try_from(need - events.len()).unwrap_or(i32::MAX);
                let result = match before.filter(|cursor| slot_of(*cursor) == slot) {
                    Some(cursor) => {
                        let values = (day, slot, CqlTimeuuid::from(cursor), still);
                        self.session
                            .execute_unpaged(&self.slot_before, values)
                            .await?
                    }
                    None => {
                        self.session
                            .execute_unpaged(&self.slot_first, (day, slot, still))
                            .await?
                    }
                };
                events.extend(events_of(result)?);
                if events.len() >= need {
                    break 'slots;
                }
            }
            if oldest == 0 {
                break;
            }
            up_to_slot = oldest - 1;
        }
        let legacy = match before {
            Some(cursor) => {
                let values = (day, CqlTimeuuid::from(cursor), limit);
                self.session
                    .execute_unpaged(&self.legacy_before, values)
                    .await?
            }
            None => {
                self.session
                    .execute_unpaged(&self.legacy_first, (day, limit))
                    .await?
            }
        };
        events.extend(events_of(legacy)?);
        // Newest first across both layouts (a timeuuid's time, then the id itself).
        events.sort_by_key(|event| std::cmp::Reverse((uuid_time(event.id), event.id)));
        events.truncate(need);
        Ok(events)
    }
}

fn uuid_time(id: Uuid) -> u64 {
    id.get_timestamp().map_or(0, |t| {
        let (seconds, nanos) = t.to_unix();
        seconds * 1_000_000_000 + u64::from(nanos)
    })
}

pub fn events_of(result: QueryResult) -> Result<Vec<AuditEvent>, StorageError> {
    Ok(result
        .into_rows_result()?
        .rows::<EventRow>()?
        .map(|row| row.map(AuditEvent::from))
        .collect::<Result<_, _>>()?)
}
