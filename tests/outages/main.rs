//! The tests that take Cassandra or the app away, or point the app at Cassandra wrongly: the dev
//! node SIGKILLed under load, a node of the local cluster SIGKILLed under load, an app server
//! SIGKILLed in the middle of an import, the app misconfigured against the cluster. They cannot run beside other tests, so `cargo test` leaves them out (`test = false` in
//! Cargo.toml) and `make test` runs each in a step of its own, after the suites it would disturb:
//! `cargo test --features ssr --test outages -- dev_node_killed::`.

// The helpers of tests/api; these tests need only some of them.
#[allow(dead_code, unused_imports)]
#[path = "../api/helpers/mod.rs"]
mod helpers;
#[path = "../api/import_jobs.rs"]
mod import_jobs;
// Only some of its methods here too.
#[allow(dead_code)]
#[path = "../api/server_process.rs"]
mod server_process;

mod cluster_misconfigured;
mod cluster_node_killed;
mod dev_node_killed;
mod import_server_killed;
mod scripts;
