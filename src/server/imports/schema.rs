//! The tables of import jobs. Nothing grows with the size of an import: a job is one row (in a
//! partition per month, newest first), its rows are chunks of `CHUNK_ROWS` (a partition each),
//! its problems are in partitions of `PROBLEM_BUCKET_LINES` lines, and the jobs still to work on
//! are a short list of their own.

use crate::server::config::Keyspace;

/// A job's uploaded rows are kept for a week: long enough to finish, gone by themselves after.
const CHUNKS_KEPT_SECONDS: u32 = 7 * 24 * 3600;
/// Its problems (the errors download) for thirty days.
const PROBLEMS_KEPT_SECONDS: u32 = 30 * 24 * 3600;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        // Every write after the first is a lightweight transaction (state, progress), so two
        // servers can never both move a job on.
        format!("CREATE TABLE IF NOT EXISTS {ks}.import_jobs (month int, job timeuuid, file_name text, mode text, state text, message text, operator text, started_by text, rows int, last_line int, invalid int, chunks int, checked_chunks int, checked int, new_rows int, existing_rows int, refused int, next_chunk int, created int, updated int, skipped int, failed int, uploaded_at timestamp, started_at timestamp, updated_at timestamp, PRIMARY KEY (month, job)) WITH CLUSTERING ORDER BY (job DESC)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.import_unfinished (bucket int, job timeuuid, PRIMARY KEY (bucket, job))"),
        // `rows` is the chunk's rows as CSV; the sets are lines the check or an earlier attempt
        // settled: there already, refused, renamed.
        format!("CREATE TABLE IF NOT EXISTS {ks}.import_chunks (job timeuuid, chunk int, rows text, present set<int>, refused set<int>, updated set<int>, PRIMARY KEY ((job, chunk))) WITH default_time_to_live = {CHUNKS_KEPT_SECONDS}"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.import_problems (job timeuuid, bucket int, line int, email text, message text, PRIMARY KEY ((job, bucket), line)) WITH default_time_to_live = {PROBLEMS_KEPT_SECONDS}"),
        // Who works on a job: a row with a TTL, renewed while they work.
        format!("CREATE TABLE IF NOT EXISTS {ks}.import_leases (job timeuuid PRIMARY KEY, owner uuid)"),
    ]
}
