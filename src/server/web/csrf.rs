//! Refuses state-changing requests that a page on another site made the browser send (CSRF).
//! Browsers say where a request comes from in `Origin` (or at least `Referer`); scripts that send
//! neither are not browsers acting for someone else, so they are allowed.

use super::errors::error_response;
use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

pub async fn reject_cross_site_writes(request: Request, next: Next) -> Response {
    let safe_method = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe_method || is_same_site(request.headers()) {
        return next.run(request).await;
    }
    error_response(&AppError::CrossSite)
}

fn is_same_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|value| value.to_str().unwrap_or("invalid"));
    match (source, host) {
        (None, _) => true,
        (Some(source), Some(host)) => {
            authority_of(source).is_some_and(|authority| authority.eq_ignore_ascii_case(host))
        }
        (Some(_), None) => false,
    }
}

/// `http://example.com:3000/path` → `example.com:3000`; `null` and other non-URLs → None.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then_some(authority)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn same_site_rules() {
        let host = (header::HOST, "127.0.0.1:3000");
        assert!(
            is_same_site(&headers(std::slice::from_ref(&host))),
            "no Origin, no Referer: a script"
        );
        assert!(is_same_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:3000")
        ])));
        assert!(is_same_site(&headers(&[
            host.clone(),
            (header::REFERER, "http://127.0.0.1:3000/?after=x")
        ])));
        assert!(!is_same_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://evil.example")
        ])));
        assert!(!is_same_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "null")
        ])));
        assert!(!is_same_site(&headers(&[
            host,
            (header::REFERER, "https://evil.example/127.0.0.1:3000")
        ])));
    }
}
