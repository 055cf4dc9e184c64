//! Reconcile's tables: runs (newest first, with their position for resuming), the rows each
//! run found sharing an email or breaking the rules, and the lease of the server running it.

use crate::server::config::Keyspace;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.reconcile_runs (bucket int, run timeuuid, next_token bigint, scanned bigint, claimed bigint, duplicate_emails bigint, not_emails bigint, finished boolean, PRIMARY KEY (bucket, run)) WITH CLUSTERING ORDER BY (run DESC)"),
        // The first `RULE_BREAKERS_KEPT` rows of a run that break the rules for names and emails.
        format!("CREATE TABLE IF NOT EXISTS {ks}.reconcile_rule_breakers (run timeuuid, id uuid, name text, email text, problem text, PRIMARY KEY (run, id))"),
        // Which server runs reconcile now (one at a time among them): a lease, renewed.
        format!("CREATE TABLE IF NOT EXISTS {ks}.reconcile_leases (bucket int PRIMARY KEY, owner uuid)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.reconcile_duplicates (run timeuuid, email text, id uuid, name text, stored_email text, age_rank int, PRIMARY KEY (run, email, id))"),
    ]
}

/// Columns added to tables that an earlier version created: (table, column, CQL type).
pub const ADDED_COLUMNS: [(&str, &str, &str); 2] = [
    ("reconcile_runs", "searchable", "bigint"),
    ("reconcile_runs", "breaking_rules", "bigint"),
];
