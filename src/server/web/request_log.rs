//! Every request gets an id and one line in the log. The id is the one a proxy sent in
//! `X-Request-Id` when it is a plausible id, or a new one; the answer carries it back in
//! `X-Request-Id`, every log line the request causes carries it (the request's span), and error
//! answers quote it as their `reference`, so a person can quote it and an operator find it.
//! The answers are counted here too (`http_requests_total`, `http_request_duration_seconds`).

use super::assets::is_asset_or_health_check;
use super::client::Client;
use crate::error::REQUEST_REFERENCE;
use crate::server::telemetry::{HTTP_DURATION, HTTP_REQUESTS};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being answered, where one is: error answers are built deep inside
/// handlers, server functions and middleware that were never handed the request, so the id
/// travels with the task that answers it (`REQUEST_REFERENCE`), as the request's span does for
/// the log.
pub fn current_request_id() -> Option<String> {
    REQUEST_REFERENCE.try_with(String::clone).ok()
}

/// The id a proxy or client sent, if it is a plausible one: 1 to 64 of `A-Z a-z 0-9 . _ -`.
/// Anything else would let a client write what it likes into the logs, so it gets a new id.
fn kept_from_client(value: Option<&HeaderValue>) -> Option<String> {
    let id = value?.to_str().ok()?;
    let plausible = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    plausible.then(|| id.to_owned())
}

/// Names the request, answers it inside its span and logs the answer: method, route (the
/// template, not the path with its ids), status, latency, the client's address (as
/// `TRUSTED_PROXIES` decides it) and the operator it was answered for (empty before sign-in; the
/// gate says who with `answered_for`).
pub async fn identify_and_log(request: Request, next: Next) -> Response {
    let id = kept_from_client(request.headers().get(&REQUEST_ID))
        .unwrap_or_else(|| Uuid::new_v4().simple().to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let client = request
        .extensions()
        .get::<Client>()
        .map(|client| client.address.to_string())
        .unwrap_or_default();
    let span = tracing::info_span!("request", id = %id);
    let started = Instant::now();
    let mut response = REQUEST_REFERENCE
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let _entered = span.enter();
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let operator = response
        .extensions()
        .get::<AnsweredFor>()
        .map(|answered| answered.0.clone())
        .unwrap_or_default();
    count(
        &method,
        route.as_deref(),
        &path,
        status,
        started.elapsed().as_secs_f64(),
    );
    let route = route.as_deref().unwrap_or(&path);
    if status >= 500 {
        tracing::warn!(%method, route, status, latency_ms, client, operator, "answered");
    } else if is_asset_or_health_check(&path) {
        // Asked for all the time; they say nothing about what people did.
        tracing::debug!(%method, route, status, latency_ms, client, operator, "answered");
    } else {
        tracing::info!(%method, route, status, latency_ms, client, operator, "answered");
    }
    response
}

/// Counts the answer by its route's template (a path outside every route, which anyone can
/// make up, is counted as one "unmatched" route, so the series stay few).
fn count(method: &Method, route: Option<&str>, path: &str, status: u16, seconds: f64) {
    let route = match route {
        Some(route) => route.to_owned(),
        None if path.starts_with("/pkg/") => "/pkg/{file}".to_owned(),
        None => "unmatched".to_owned(),
    };
    let method = method.to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route).record(seconds);
}

/// Who a request was answered for, as the gate found them: said on the request's log line.
#[derive(Clone)]
struct AnsweredFor(String);

/// Marks `response` as answered for the operator `username` (the gate does, once it knows).
pub fn answered_for(response: &mut Response, username: String) {
    response.extensions_mut().insert(AnsweredFor(username));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_id_is_kept_only_when_it_cannot_forge_a_log_line() {
        let keep = |raw: &str| kept_from_client(Some(&HeaderValue::from_str(raw).unwrap()));
        assert_eq!(keep("3f2c-19.a_b").as_deref(), Some("3f2c-19.a_b"));
        assert_eq!(keep(""), None);
        assert_eq!(keep("two words"), None);
        assert_eq!(keep("a\"b"), None);
        assert_eq!(keep(&"x".repeat(65)), None);
        assert_eq!(keep(&"x".repeat(64)).map(|id| id.len()), Some(64));
        assert_eq!(kept_from_client(None), None);
    }
}
