//! The audit trail's tables.

use crate::server::config::Keyspace;

/// Newest first: per user (the History section), per day and ten seconds of it (the Activity
/// page), the slots of a day and the days that have events, so paging back skips empty ones.
/// `audit_by_day` (one partition per day) held the activity before slots existed: it is read,
/// no longer written.
pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.audit_by_user (user_id uuid, at timeuuid, operator text, action text, details text, before map<text, text>, after map<text, text>, PRIMARY KEY (user_id, at)) WITH CLUSTERING ORDER BY (at DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.audit_by_slot (day date, slot int, at timeuuid, operator text, action text, user_id uuid, details text, before map<text, text>, after map<text, text>, PRIMARY KEY ((day, slot), at)) WITH CLUSTERING ORDER BY (at DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.audit_slots (day date, slot int, PRIMARY KEY (day, slot)) WITH CLUSTERING ORDER BY (slot DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.audit_days (bucket int, day date, PRIMARY KEY (bucket, day)) WITH CLUSTERING ORDER BY (day DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.audit_by_day (day date, at timeuuid, operator text, action text, user_id uuid, details text, before map<text, text>, after map<text, text>, PRIMARY KEY (day, at)) WITH CLUSTERING ORDER BY (at DESC)"),
    ]
}
