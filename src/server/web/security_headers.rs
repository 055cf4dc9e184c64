//! What every answer tells the browser it may do with it: a Content-Security-Policy whose only
//! scripts are the ones that carry this response's nonce (the hydration scripts Leptos writes)
//! and the bundle they load, never to be framed, no MIME sniffing, no referrer to other sites,
//! and, when the app is served over HTTPS, to use nothing else from now on (HSTS).

use super::client::Client;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

#[derive(Clone, Copy)]
pub struct SecurityPolicy {
    /// The app is served over HTTPS (`SESSION_COOKIE_SECURE=true`): HSTS is sent (also when a
    /// trusted proxy says the client came over HTTPS).
    pub https: bool,
}

/// A year: what browsers' preload lists ask for, and long enough that a visitor who came once
/// over HTTPS is never sent over HTTP again.
const HSTS: &str = "max-age=31536000";

/// The policy of a response whose inline scripts carry `nonce`. `'strict-dynamic'` lets the
/// nonced hydration script load the bundle's module, and `'wasm-unsafe-eval'` lets that compile
/// the WebAssembly; nothing inline runs without the nonce (no `'unsafe-inline'`).
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Gives the request a fresh nonce (for the page's scripts, see `provide_request_nonce`) and
/// sets the headers on whatever answers it.
pub async fn security_headers(
    State(policy): State<SecurityPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let https = policy.https
        || request
            .extensions()
            .get::<Client>()
            .is_some_and(|c| c.https);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A nonce is URL-safe base64, so the policy is always a valid header value.
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// Puts the request's nonce in the page's context, where Leptos' hydration scripts find it.
pub fn provide_request_nonce() {
    let nonce = use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn the_policy_allows_only_nonced_scripts() {
        let policy = content_security_policy("abc");
        assert!(policy.contains("script-src 'nonce-abc' 'strict-dynamic'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
