//! The rows that record an event, and an event as read back.
//!
//! An event is written into `audit_by_user` (the user's History), into `audit_by_slot` (the
//! Activity page: one partition per UTC day and `SLOT_SECONDS` of it, so no partition grows with
//! the size of the work, an import of 10^6 users included), and the slot and the day into
//! `audit_slots` and `audit_days`, so paging back skips what has no events.

use super::event::{Actor, Event};
use super::time::{day_of, format_time, new_timeuuid, time_of};
use crate::model::{AuditEvent, FieldChange};
use scylla::value::CqlTimeuuid;
use scylla::{DeserializeRow, SerializeRow};
use std::collections::{BTreeMap, BTreeSet};
use time::Date;
use uuid::Uuid;

/// One partition of the activity holds this many seconds of a day: at the app's highest write
/// rate (a few thousand events a second) some tens of thousands of rows.
pub const SLOT_SECONDS: i32 = 10;
/// `audit_days` is one small partition: a row per day that has events.
pub const DAYS_BUCKET: i32 = 0;

/// The slot of a day that a time-based id falls in.
pub fn slot_of(id: Uuid) -> i32 {
    let at = time_of(id);
    let seconds =
        i32::from(at.hour()) * 3600 + i32::from(at.minute()) * 60 + i32::from(at.second());
    seconds / SLOT_SECONDS
}

/// An event with its time: the values of the rows that record it.
pub struct Recorded {
    at: CqlTimeuuid,
    day: Date,
    slot: i32,
    operator: String,
    pub(super) event: Event,
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
pub struct BySlotRow<'a> {
    day: Date,
    slot: i32,
    at: CqlTimeuuid,
    operator: &'a str,
    action: &'a str,
    user_id: Option<Uuid>,
    details: &'a str,
    before: &'a BTreeMap<String, String>,
    after: &'a BTreeMap<String, String>,
}

#[derive(SerializeRow)]
pub struct SlotRow {
    day: Date,
    slot: i32,
}

#[derive(SerializeRow)]
pub struct DayRow {
    bucket: i32,
    day: Date,
}

/// The rows of an event in the activity: its slot, the slot's index entry, the day's.
pub type ActivityRows<'a> = (BySlotRow<'a>, SlotRow, DayRow);

impl Recorded {
    pub fn now(actor: &Actor, event: Event) -> Self {
        let id = new_timeuuid();
        Recorded {
            at: CqlTimeuuid::from(id),
            day: day_of(id),
            slot: slot_of(id),
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

    pub fn activity(&self) -> ActivityRows<'_> {
        let e = &self.event;
        let by_slot = BySlotRow {
            day: self.day,
            slot: self.slot,
            at: self.at,
            operator: &self.operator,
            action: e.action.as_str(),
            user_id: e.user_id,
            details: &e.details,
            before: &e.before,
            after: &e.after,
        };
        let slot = SlotRow {
            day: self.day,
            slot: self.slot,
        };
        let day = DayRow {
            bucket: DAYS_BUCKET,
            day: self.day,
        };
        (by_slot, slot, day)
    }
}

/// An event as read from `audit_by_user`, `audit_by_slot` or (written before slots existed)
/// `audit_by_day`.
#[derive(DeserializeRow)]
pub struct EventRow {
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

/// The columns an `EventRow` reads.
pub const COLUMNS: &str = "at, operator, action, user_id, details, before, after";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_has_8640_slots_of_ten_seconds() {
        let id = new_timeuuid();
        assert!((0..8640).contains(&slot_of(id)));
    }
}
