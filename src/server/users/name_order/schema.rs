//! `users_by_name`: one entry per user, `((bucket, shard), key)` → id, the users in name order;
//! `name_buckets`: the buckets that have entries, in order, with their number of shards (one
//! small partition: at most one row per two-character start of a name), so a page can step from
//! one bucket to the next without trying the empty ones.
//!
//! An entry only points at its user: a page reads each user's row by id and shows it only if its
//! key is still the entry's (see `pages`), so an entry left behind by a crash or by another
//! client's edit is never shown, and is removed when met.

use crate::server::config::Keyspace;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.users_by_name (bucket text, shard int, key text, id uuid, PRIMARY KEY ((bucket, shard), key))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.name_buckets (directory int, bucket text, shards int, PRIMARY KEY (directory, bucket))"),
    ]
}
