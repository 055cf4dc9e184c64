//! The HTTP router: the Leptos app and its server functions, `/healthz`, and the layers that give
//! every request a defined answer (body limit → 413, cross-site posts → 403, sessions and the
//! sign-in gate → 303/401, error statuses), compression, and how long browsers may cache each answer.

use super::auth::{gate, public_paths_without_session, session_layer, Gate, SetupCode};
use super::config::SignInSettings;
use super::{error_body, error_response, Database};
use crate::app::{shell, App};
use crate::error::AppError;
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::path::PathBuf;
use std::sync::OnceLock;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;

/// Request bodies larger than this are refused with 413. A user form is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn router(
    options: LeptosOptions,
    database: Database,
    sign_in: SignInSettings,
    setup: SetupCode,
) -> Router {
    crate::api::register_server_functions();
    let routes = generate_route_list(App);
    let context = {
        let (database, sign_in) = (database.clone(), sign_in.clone());
        move || {
            database.provide();
            leptos::prelude::provide_context(sign_in.clone());
            leptos::prelude::provide_context(setup.clone());
        }
    };
    let gate_state = Gate {
        database: database.clone(),
        settings: sign_in.clone(),
    };
    let health_database = database.clone();
    let cache_policy = CachePolicy::of(&options);
    Router::new()
        .route("/healthz", get(move || health(health_database.clone())))
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(middleware::from_fn_with_state(gate_state, gate))
        .layer(session_layer(&database, &sign_in))
        .layer(middleware::from_fn(public_paths_without_session))
        .layer(middleware::from_fn(super::forms::reject_malformed_forms))
        .layer(middleware::from_fn(status_from_app_error))
        .layer(middleware::from_fn_with_state(cache_policy, cache_control))
        .layer(middleware::from_fn(reject_cross_site_writes))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Pages and JSON, when the client accepts br or gzip. Static files are served already
        // compressed when the release build made .br/.gz copies (cargo leptos build -P), and a
        // response with a Content-Encoding is left alone.
        // Quality 5, not the default (11 for br): every page is compressed as it is sent, and 11
        // costs milliseconds of CPU per page to save a few hundred bytes.
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(5)),
        )
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Whether cargo-leptos wrote the bundle's hashed file names (hash.txt) beside this binary.
pub fn hash_file_beside_binary(options: &LeptosOptions) -> bool {
    hash_file(options).is_some_and(|path| path.is_file())
}

fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// The stylesheet's address: `/pkg/cassandra-users.<hash>.css` when the names are hashed. Found
/// once per process; leptos_meta's `HashedStylesheet` reads hash.txt on every page.
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hashes = options
            .hash_files
            .then(|| std::fs::read_to_string(hash_file(options)?).ok())
            .flatten()
            .unwrap_or_default();
        let name = match hash_of("css", &hashes) {
            Some(hash) => format!("{}.{hash}", options.output_name),
            None => options.output_name.to_string(),
        };
        format!("/{}/{name}.css", options.site_pkg_dir.trim_matches('/'))
    })
}

/// The hash of `file` (`js`, `wasm`, `css`) in the text of hash.txt (`css: <hash>` lines).
fn hash_of<'a>(file: &str, hashes: &'a str) -> Option<&'a str> {
    hashes.lines().find_map(|line| {
        let (name, hash) = line.split_once(':')?;
        (name.trim() == file).then_some(hash.trim())
    })
}

/// How long browsers may keep what the server sends.
#[derive(Clone)]
struct CachePolicy {
    /// `/pkg/`, where the bundle (JS, WebAssembly, CSS) is served.
    bundle_prefix: String,
    /// Whether the bundle's file names carry their content hash.
    hashed: bool,
}

impl CachePolicy {
    fn of(options: &LeptosOptions) -> Self {
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
async fn cache_control(
    axum::extract::State(policy): axum::extract::State<CachePolicy>,
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

/// Serves `app` until `shutdown` completes. Pages are streamed in several writes, so Nagle's
/// algorithm is turned off; with it, a response can wait ~40 ms for the client's delayed ACK.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // The client's address decides whether the setup page may skip its code (see `SetupCode`).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// 200 when a CQL query succeeds right now, 503 otherwise.
async fn health(database: Database) -> Response {
    let answer = match database.stores() {
        Ok(stores) => stores.users.release_version().await.map_err(AppError::from),
        Err(error) => Err(error),
    };
    match answer {
        Ok(version) => (StatusCode::OK, format!("ok: Cassandra {version}\n")).into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable: {error}\n"),
        )
            .into_response(),
    }
}

/// server_fn answers every error with 500. This reads the `AppError` in such a response and sets
/// the status that belongs to it, so scripts can tell a typo (4xx) from an outage (503).
/// The session layers answer a bare 500 when Cassandra cannot load or save a session; that is an
/// outage too, and gets the same 503 answer as any other.
async fn status_from_app_error(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if response.status() == StatusCode::METHOD_NOT_ALLOWED && bare {
        return error_response(&AppError::MethodNotAllowed);
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    if !response.headers().contains_key("serverfnerror") {
        return if bare {
            error_response(&AppError::Unavailable)
        } else {
            response
        };
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES * 4).await else {
        return error_response(&AppError::Internal);
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(error) => {
            parts.status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Response::from_parts(parts, Body::from(error_body(&error)))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// Refuses state-changing requests that a page on another site made the browser send (CSRF).
/// Browsers say where a request comes from in `Origin` (or at least `Referer`); scripts that send
/// neither are not browsers acting for someone else, so they are allowed.
async fn reject_cross_site_writes(request: Request, next: Next) -> Response {
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

    #[test]
    fn the_stylesheet_hash_is_read_from_its_line_of_hash_txt() {
        let hashes = "js: aaa\nwasm: bbb\ncss: Le-SMY_q\n";
        assert_eq!(hash_of("css", hashes), Some("Le-SMY_q"));
        assert_eq!(hash_of("wasm", hashes), Some("bbb"));
        assert_eq!(hash_of("split", hashes), None);
    }
}
