//! `ordered_names`: one entry per user, clustered by `(key, id)` (see `key`), the users in name
//! order; `ordered_terms`: one entry per word of a user's name and for its email, the same shape,
//! keyed by the word and then the user's key in name order, so the users a typed word starts are
//! one slice of keys. An entry's one regular cell, `placed`, is there for its write time (when the
//! entry was written: see `read_entries::Entry::settled`);
//! `entry_ranges`: how each table's keys are cut into ranges, each range in a partition of its
//! own (`part`), with a split in progress if there is one (one small partition per table,
//! directory 2 for names and 3 for terms; see `ranges`);
//! `entry_range_sizes`: about how many entries each range holds (a counter, sampled), which says
//! when to split it (`splits`).
//!
//! An entry only points at its user: a page reads each user's row by id and shows it only if its
//! key is still the entry's (see `pages`), so an entry left behind by a crash or by another
//! client's edit is never shown, and is removed when met.
//!
//! (Earlier entries were in `name_entries` and `term_entries` (directories 0 and 1), with the id
//! as text at the end of the key and again in a column, about twice the bytes; before that in
//! `users_by_name` and `users_by_term`, with `name_buckets` and `name_bucket_sizes`. Nothing reads
//! or writes those any more: a keyspace from then gets its entries again through reconcile, and
//! `DROP TABLE` gives their disk back.)

use crate::server::config::Keyspace;

/// Every page reads a slice of entries, and a range's entries are written over its whole life:
/// leveled compaction keeps a partition in about one SSTable, where size-tiered compaction left
/// it in three or four at 10^6 users (each read then merges them all).
const READ_MOSTLY: &str = "WITH compaction = {'class': 'LeveledCompactionStrategy'}";

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.ordered_names (part uuid, key text, id uuid, placed boolean, PRIMARY KEY (part, key, id)) {READ_MOSTLY}"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.ordered_terms (part uuid, key text, id uuid, placed boolean, PRIMARY KEY (part, key, id)) {READ_MOSTLY}"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.entry_ranges (directory int, start text, part uuid, split_at text, split_part uuid, split_since timestamp, PRIMARY KEY (directory, start))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.entry_range_sizes (directory int, start text, held counter, PRIMARY KEY ((directory, start)))"),
    ]
}

/// The tables of keys, each with its directory in `entry_ranges`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTable {
    /// `ordered_names`, directory 2.
    Names,
    /// `ordered_terms`, directory 3.
    Terms,
}

impl KeyTable {
    pub fn name(self) -> &'static str {
        match self {
            KeyTable::Names => "ordered_names",
            KeyTable::Terms => "ordered_terms",
        }
    }

    pub fn directory(self) -> i32 {
        match self {
            KeyTable::Names => 2,
            KeyTable::Terms => 3,
        }
    }
}
