//! Event times: version-1 UUIDs (Cassandra's `timeuuid`), their day and their wording.

use std::sync::OnceLock;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A version-1 (time-based) UUID for now, as Cassandra's `timeuuid` wants.
pub fn new_timeuuid() -> Uuid {
    static NODE_ID: OnceLock<[u8; 6]> = OnceLock::new();
    Uuid::now_v1(NODE_ID.get_or_init(rand::random))
}

/// When a timeuuid was made.
pub fn time_of(id: Uuid) -> OffsetDateTime {
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
