//! Every integration test, in one crate so the app is linked once: real Cassandra nodes, the real
//! router over HTTP, the binary as scripts run it. `make test` runs the suites against the dev node,
//! again on Cassandra 6 and on the local cluster (selected by module name), and the ignored ones
//! (faults, the cluster's misconfiguration, the fuzz run) each in a step of their own.

mod helpers;

mod adoption;
mod audit;
mod auth;
mod cli;
mod cluster_config;
mod cluster_faults;
mod concurrency;
mod dev_node_faults;
mod fuzz;
mod http;
mod quickstart;
mod startup;
mod store;
