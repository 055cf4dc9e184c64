//! `GET /metrics` in Prometheus' text format. It is served on a listen address of its own
//! (`METRICS_ADDR`, for a scraper on a private network) and, when `METRICS_TOKEN` is set, on the
//! app's port to that bearer token; never on the public port without credentials.

use crate::server::stores::Database;
use crate::server::telemetry::CASSANDRA_READY;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub const METRICS_PATH: &str = "/metrics";

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    database: Database,
    /// The bearer token a scrape must carry; none on the metrics' own address.
    token: Option<Arc<SecretString>>,
}

/// A router with only `/metrics`, asking for `token` when there is one.
pub fn metrics_router(
    handle: PrometheusHandle,
    database: Database,
    token: Option<SecretString>,
) -> Router {
    let scrape = Scrape {
        handle,
        database,
        token: token.map(Arc::new),
    };
    Router::new()
        .route(METRICS_PATH, get(metrics))
        .with_state(scrape)
}

async fn metrics(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &scrape.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        let matches: bool = given
            .as_bytes()
            .ct_eq(token.expose_secret().as_bytes())
            .into();
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "The metrics need the bearer token set in METRICS_TOKEN.\n",
            )
                .into_response();
        }
    }
    match scrape.database.stores() {
        Ok(stores) => {
            stores.node.record_driver_state();
            metrics::gauge!(CASSANDRA_READY).set(1);
        }
        Err(_) => metrics::gauge!(CASSANDRA_READY).set(0),
    }
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    (
        [(header::CONTENT_TYPE, content_type)],
        scrape.handle.render(),
    )
        .into_response()
}
