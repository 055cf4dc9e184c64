//! How long browsers may keep what the server sends: `Cache-Control` on successful GETs.

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::LeptosOptions;

#[derive(Clone)]
pub struct CachePolicy {
    /// `/pkg/`, where the bundle (JS, WebAssembly, CSS) is served.
    bundle_prefix: String,
    /// Whether the bundle's file names carry their content hash.
    hashed: bool,
}

impl CachePolicy {
    pub fn of(options: &LeptosOptions) -> Self {
        CachePolicy {
            bundle_prefix: format!("/{}/", options.site_pkg_dir.trim_matches('/')),
            hashed: options.hash_files,
        }
    }

    /// The `Cache-Control` for a successful GET of `path` that answered `content_type`.
    fn for_response(&self, path: &str, content_type: &str) -> &'static str {
        if path.starts_with(&self.bundle_prefix) {
            if self.hashed {
                // A new build has new names, so a cached file never needs asking about again.
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }
        } else if content_type.starts_with("image/") {
            // The icon keeps its name across builds.
            "public, max-age=86400"
        } else {
            // Pages show who is signed in and the latest data: always asked for again.
            "private, no-cache"
        }
    }
}

/// Sets `Cache-Control` on successful GET answers (see `CachePolicy`).
pub async fn cache_control(
    State(policy): State<CachePolicy>,
    request: Request,
    next: Next,
) -> Response {
    let get_path = (request.method() == Method::GET).then(|| request.uri().path().to_owned());
    let mut response = next.run(request).await;
    if let Some(path) = get_path.filter(|_| response.status().is_success()) {
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let value = policy.for_response(&path, content_type);
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(value),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hashed: bool) -> CachePolicy {
        CachePolicy {
            bundle_prefix: "/pkg/".into(),
            hashed,
        }
    }

    #[test]
    fn hashed_bundle_files_are_kept_for_a_year_and_never_asked_about_again() {
        let answer =
            policy(true).for_response("/pkg/cassandra-users.Xy9_abc.wasm", "application/wasm");
        assert_eq!(answer, "public, max-age=31536000, immutable");
    }

    #[test]
    fn bundle_files_without_hashes_are_checked_on_every_use() {
        let answer = policy(false).for_response("/pkg/cassandra-users.js", "text/javascript");
        assert_eq!(answer, "no-cache");
    }

    #[test]
    fn pages_are_private_and_always_asked_for_again() {
        let answer = policy(true).for_response("/users/1", "text/html; charset=utf-8");
        assert_eq!(answer, "private, no-cache");
        assert_eq!(
            policy(true).for_response("/healthz", "text/plain"),
            "private, no-cache"
        );
    }
}
