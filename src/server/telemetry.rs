//! What the server counts, in Prometheus' terms: the names in one place, the recorder that keeps
//! the counts (`metrics` with `metrics-exporter-prometheus`). The counting itself is done where
//! the thing happens: the request log, the Cassandra error conversion, sign-in, the import
//! worker, reconcile. Without an installed recorder (in-process tests) counting does nothing.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// HTTP requests by `method`, `route` (the template) and `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Seconds from a request's arrival to its answer's headers, by `method` and `route`.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// Requests the driver sent to Cassandra (as the driver counts them).
pub const CASSANDRA_REQUESTS: &str = "cassandra_requests_total";
/// Requests to Cassandra that failed after the driver's retries, by `kind`: `unavailable`,
/// `timeout`, `other`.
pub const CASSANDRA_ERRORS: &str = "cassandra_errors_total";
/// The nodes the driver knows, by `state`: `connected` or `disconnected`.
pub const CASSANDRA_NODES: &str = "cassandra_nodes";
/// 1 once the server has connected to Cassandra and prepared its statements.
pub const CASSANDRA_READY: &str = "cassandra_ready";
/// Sign-in attempts by `outcome`: `succeeded`, `failed`, `locked_out`.
pub const SIGN_INS: &str = "sign_ins_total";
/// Import chunks this server finished, by `step`: `checked` or `imported`.
pub const IMPORT_CHUNKS: &str = "import_chunks_total";
/// Pages of `users` that reconcile runs on this server walked.
pub const RECONCILE_PAGES: &str = "reconcile_pages_total";
/// 1 while this server runs a reconcile.
pub const RECONCILE_RUNNING: &str = "reconcile_running";

/// Latency buckets, in seconds: a page in a few milliseconds up to an export of many seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs this process's recorder; its handle renders what has been counted.
pub fn install() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &DURATION_BUCKETS)
        .and_then(|builder| builder.install_recorder())
        .map_err(|error| format!("metrics: {error}"))?;
    describe();
    // Each kind of error is said from the start, at zero, so a dashboard can tell "none" from
    // "not counted".
    for kind in ["unavailable", "timeout", "other"] {
        metrics::counter!(CASSANDRA_ERRORS, "kind" => kind).absolute(0);
    }
    for outcome in ["succeeded", "failed", "locked_out"] {
        metrics::counter!(SIGN_INS, "outcome" => outcome).absolute(0);
    }
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request"
    );
    describe_counter!(CASSANDRA_REQUESTS, "Requests the driver sent to Cassandra");
    describe_counter!(
        CASSANDRA_ERRORS,
        "Cassandra requests that failed after retries, by kind"
    );
    describe_gauge!(
        CASSANDRA_NODES,
        "Cassandra nodes the driver knows, by connection state"
    );
    describe_gauge!(
        CASSANDRA_READY,
        "1 once connected to Cassandra with the schema ready"
    );
    describe_counter!(SIGN_INS, "Sign-in attempts by outcome");
    describe_counter!(
        IMPORT_CHUNKS,
        "Import chunks finished on this server, by step"
    );
    describe_counter!(
        RECONCILE_PAGES,
        "Pages of users walked by reconcile on this server"
    );
    describe_gauge!(RECONCILE_RUNNING, "1 while this server runs a reconcile");
}
