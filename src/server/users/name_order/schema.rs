//! `users_by_name`: one entry per user, `((bucket, shard), key)` → id, the users in name order;
//! `users_by_term`: one entry per word of a user's name and for its email, the same shape, keyed
//! by the word and then the name, so the users a typed word starts are one slice of one bucket;
//! `name_buckets`: the buckets that have entries, in order, with their number of shards (one
//! small partition per table, directory 0 for names and 1 for terms: at most one row per
//! two-character start of a word), so a page can step from one bucket to the next without trying
//! the empty ones;
//! `name_bucket_sizes`: how many entries were written to each bucket (a counter, sampled), which
//! says when to split it (`directory`).
//!
//! An entry only points at its user: a page reads each user's row by id and shows it only if its
//! key is still the entry's (see `pages`), so an entry left behind by a crash or by another
//! client's edit is never shown, and is removed when met.

use crate::server::config::Keyspace;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.users_by_name (bucket text, shard int, key text, id uuid, PRIMARY KEY ((bucket, shard), key))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.users_by_term (bucket text, shard int, key text, id uuid, PRIMARY KEY ((bucket, shard), key))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.name_buckets (directory int, bucket text, shards int, PRIMARY KEY (directory, bucket))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.name_bucket_sizes (directory int, bucket text, written counter, PRIMARY KEY ((directory, bucket)))"),
    ]
}

/// The tables of keys, each with its directory in `name_buckets`.
#[derive(Clone, Copy)]
pub enum KeyTable {
    /// `users_by_name`, directory 0.
    Names,
    /// `users_by_term`, directory 1.
    Terms,
}

impl KeyTable {
    pub fn name(self) -> &'static str {
        match self {
            KeyTable::Names => "users_by_name",
            KeyTable::Terms => "users_by_term",
        }
    }

    pub fn directory(self) -> i32 {
        match self {
            KeyTable::Names => 0,
            KeyTable::Terms => 1,
        }
    }
}
