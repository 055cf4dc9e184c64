//! The HTTP router: the Leptos app and its server functions, `/healthz`, the CSV export and the
//! import's upload, and the layers that give every request a defined answer (body limits → 413,
//! cross-site posts → 403, sessions and the sign-in gate → 303/401, error statuses),
//! compression, how long browsers may cache each answer, the security headers, and the request's
//! id and log line.

use super::assets::stylesheet_href;
use super::auth::backend::session_layer;
use super::auth::gate::{gate, public_paths_without_session, Gate};
use super::auth::sso::provider::SsoProvider;
use super::auth::sso::routes::{self as sso_routes, START_PATH as SSO_START_PATH};
use super::body_limit::{limit_request_bodies, BodyLimits, IMPORT_UPLOAD_PATH};
use super::cache::{cache_control, CachePolicy};
use super::client::find_client;
use super::csrf::reject_cross_site_writes;
use super::errors::status_from_app_error;
use super::export::{export_users, EXPORT_PATH};
use super::form_bodies::reject_malformed_forms;
use super::health::health;
use super::imports::{self, ERRORS_PATH};
use super::request::current_operator;
use super::request_log::identify_and_log;
use super::security_headers::{provide_request_nonce, security_headers, SecurityPolicy};
use crate::context::{Connected, ImportLimit, SignedIn, Stylesheet};
use crate::server::config::{WebSettings, SSO_CALLBACK_PATH};
use crate::server::operators::SetupCode;
use crate::server::stores::Database;
use axum::extract::{DefaultBodyLimit, Extension};
use axum::routing::{get, post};
use axum::{middleware, Router};
use leptos::prelude::{provide_context, IntoView, LeptosOptions};
use leptos_axum::{AxumRouteListing, LeptosRoutes};
use std::sync::Arc;
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The router for the app whose pages are `routes`, each rendered inside `shell`.
pub fn router<Shell, Page>(
    options: LeptosOptions,
    database: Database,
    settings: WebSettings,
    setup: SetupCode,
    routes: Vec<AxumRouteListing>,
    shell: Shell,
) -> Router
where
    Shell: Fn(LeptosOptions) -> Page + Clone + Send + Sync + 'static,
    Page: IntoView + 'static,
{
    let WebSettings {
        sign_in,
        import_max_bytes,
        trusted_proxies,
        sso,
    } = settings;
    // Read from the identity provider in the background from now on.
    let sso = sso.map(SsoProvider::start);
    // Every page (the page not found too) and every server function finds these in its context.
    let context = {
        let (database, sign_in, sso) = (database.clone(), sign_in.clone(), sso.clone());
        let stylesheet = Stylesheet(stylesheet_href(&options));
        move || {
            provide_request_nonce();
            provide_context(stylesheet);
            provide_context(ImportLimit(import_max_bytes));
            provide_context(database.clone());
            provide_context(sign_in.clone());
            provide_context(setup.clone());
            provide_context(sso.clone());
            provide_context(SignedIn(current_operator()));
            let stores = database.stores().ok();
            provide_context(Connected(stores.map(|stores| stores.connected_to())));
        }
    };
    let gate_state = Gate {
        database: database.clone(),
        settings: sign_in.clone(),
    };
    let security = SecurityPolicy {
        https: sign_in.cookie_secure,
    };
    let health_database = database.clone();
    let cache_policy = CachePolicy::of(&options);
    let body_limits = BodyLimits {
        import_bytes: import_max_bytes,
    };
    Router::new()
        .route("/healthz", get(move || health(health_database.clone())))
        // CSV in and out, streamed: plain handlers rather than server functions. The upload's
        // limit is `limit_request_bodies`' (axum's own default of 2 MB is lifted).
        .route(EXPORT_PATH, get(export_users))
        .route(
            IMPORT_UPLOAD_PATH,
            post(imports::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(ERRORS_PATH, get(imports::problems))
        .merge(single_sign_on_routes(sso))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let (options, shell) = (options.clone(), shell.clone());
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        .layer(Extension(database.clone()))
        .layer(middleware::from_fn_with_state(gate_state, gate))
        // Inside the session layer too: it saves a session's changes only with an answer that
        // is not a 5xx, and a refused step (a passkey answer that does not verify) must still
        // use up the state it took out of the session.
        .layer(middleware::from_fn(status_from_app_error))
        .layer(session_layer(&database, &sign_in))
        .layer(middleware::from_fn(public_paths_without_session))
        .layer(middleware::from_fn(reject_malformed_forms))
        .layer(middleware::from_fn(status_from_app_error))
        .layer(middleware::from_fn_with_state(cache_policy, cache_control))
        .layer(middleware::from_fn(reject_cross_site_writes))
        .layer(middleware::from_fn_with_state(
            body_limits,
            limit_request_bodies,
        ))
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
        .layer(middleware::from_fn_with_state(security, security_headers))
        .layer(middleware::from_fn(identify_and_log))
        .layer(middleware::from_fn_with_state(trusted_proxies, find_client))
}

/// The two routes of single sign-on, when it is configured.
fn single_sign_on_routes(sso: Option<Arc<SsoProvider>>) -> Router<LeptosOptions> {
    match sso {
        Some(provider) => Router::new()
            .route(SSO_START_PATH, get(sso_routes::start))
            .route(SSO_CALLBACK_PATH, get(sso_routes::callback))
            .layer(Extension(provider)),
        None => Router::new(),
    }
}
