//! The integration tests, in one crate so the app is linked once: real Cassandra nodes, the real
//! router over HTTP, the binary as scripts run it. Each runs against whichever node or cluster the
//! environment names; `make test` runs them on the dev node, and some suites (chosen by module
//! name) again on Cassandra 6 and on the local cluster. The tests that kill nodes are in
//! `tests/outages`.

mod helpers;

mod adoption;
mod audit;
mod auth;
mod backup;
mod bulk;
mod cli;
mod concurrency;
mod constraints;
mod count;
mod fuzz;
mod graceful_shutdown;
mod http;
mod import_jobs;
mod imports;
mod metrics;
mod name_order;
mod passkeys;
mod proxies;
mod quickstart;
mod request_ids;
mod search;
mod search_at_scale;
mod second_factor;
mod security_headers;
mod server_process;
mod single_sign_on;
mod startup;
mod store;
mod transfer;
mod two_servers;
