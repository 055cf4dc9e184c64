//! The wiring, in one place: configuration → the database, connected in the background → the
//! router → serving until SIGTERM or Ctrl-C → stopping gracefully.

use super::config::{Config, MetricsSettings, WebSettings};
use super::operators::SetupCode;
use super::stores::{Database, Stores};
use super::telemetry;
use super::web::assets::{hash_file_beside_binary, site_beside_binary};
use super::web::metrics_endpoint::{metrics_router, METRICS_PATH};
use super::web::router::router;
use crate::app::{shell, App};
use axum::Router;
use leptos::config::get_configuration;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing};
use metrics_exporter_prometheus::PrometheusHandle;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Serves the app at `LEPTOS_SITE_ADDR` until the process is told to stop.
pub async fn run(config: Config) -> Result<(), String> {
    let mut leptos = get_configuration(None)
        .map_err(|e| format!("LEPTOS_SITE_ADDR or the [package.metadata.leptos] settings: {e}"))?
        .leptos_options;
    // cargo-leptos names the bundle's files by their hash, writes the names to hash.txt beside
    // this binary and says so in LEPTOS_HASH_FILES when it starts the server. Started any other
    // way (the binary alone, a service manager), the server finds the file itself.
    if hash_file_beside_binary(&leptos) {
        leptos.hash_files = true;
    }
    // cargo-leptos compiles the bundle's name in; a binary built by cargo alone has none.
    if leptos.output_name.is_empty() {
        leptos.output_name = env!("CARGO_PKG_NAME").into();
    }
    // Unpacked from its release package (`make dist`), the server finds its site beside itself,
    // wherever it was unpacked and whichever folder it was started from.
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
        if let Some(site) = site_beside_binary() {
            leptos.site_root = site.to_string_lossy().as_ref().into();
        }
    }
    let address = leptos.site_addr;
    let settings = config.web_settings();
    let grace = config.shutdown_grace;
    let metrics = config.metrics.clone();
    // Installed before anything is counted; without it, counting costs nothing.
    let recorder = metrics.enabled().then(telemetry::install).transpose()?;

    // The server answers at once; pages say the database is unavailable until it connects.
    let database = connect_in_background(config);
    let setup = SetupCode::generate(address);
    tokio::spawn(announce_setup_code(
        database.clone(),
        setup.clone(),
        address,
    ));
    let app = app_router(leptos, database.clone(), settings, setup);

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("LEPTOS_SITE_ADDR: cannot listen on {address}: {e}"))?;
    tracing::info!("serving on http://{address}");
    let stop = CancellationToken::new();
    let app = match recorder {
        Some(handle) => with_metrics(app, handle, metrics, &database, &stop).await?,
        None => app,
    };
    tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown_signal().await;
            stop.cancel();
        }
    });
    let serving = serve(listener, app, stop.clone().cancelled_owned());
    tokio::pin!(serving);
    // `biased`: once told to stop, always stop gracefully. Serving ends with the same signal (at
    // once when no request is in flight), and a fair choice between the two ready branches
    // returned from here half of the time, skipping the hand-back of imports and reconcile.
    tokio::select! {
        biased;
        _ = stop.cancelled() => {}
        served = &mut serving => return served.map_err(|e| format!("server error: {e}")),
    }
    stop_gracefully(serving, database, grace).await;
    Ok(())
}

/// `/metrics` where the settings ask for it: beside the app's routes (not under their layers:
/// the token is its own gate) and on an address of its own, served until `stop`.
async fn with_metrics(
    app: Router,
    handle: PrometheusHandle,
    settings: MetricsSettings,
    database: &Database,
    stop: &CancellationToken,
) -> Result<Router, String> {
    if let Some(address) = settings.address {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("METRICS_ADDR: cannot listen on {address}: {e}"))?;
        tracing::info!("metrics on http://{address}{METRICS_PATH}");
        let router = metrics_router(handle.clone(), database.clone(), None);
        tokio::spawn(serve(listener, router, stop.clone().cancelled_owned()));
    }
    Ok(match settings.token {
        Some(token) => app.merge(metrics_router(handle, database.clone(), Some(token))),
        None => app,
    })
}

/// Once told to stop, the server takes no new connections (the listener is closed), lets the
/// requests in flight finish and hands its background work back, all within `grace`; then it
/// drops its Cassandra session. Whatever is still running after `grace` is cut off, and said so.
async fn stop_gracefully(
    serving: impl Future<Output = std::io::Result<()>>,
    database: Database,
    grace: Duration,
) {
    tracing::info!(
        "stopping: no new connections; waiting up to {}s for the requests in flight",
        grace.as_secs()
    );
    // Half the grace to finish the step under way; the rest to record it and give leases back.
    let background = async {
        if let Ok(stores) = database.stores() {
            stores.stop_background_work(grace / 2).await;
        }
    };
    match tokio::time::timeout(grace, async { tokio::join!(serving, background) }).await {
        Ok((Ok(()), ())) => tracing::info!("stopped: every request was answered"),
        Ok((Err(error), ())) => tracing::warn!("stopped after a server error: {error}"),
        Err(_) => tracing::warn!(
            "stopped: requests or background work still running after SHUTDOWN_GRACE ({}s) were cut off",
            grace.as_secs()
        ),
    }
    // This server's handle on the stores and the driver's session; the tasks that hold the rest
    // end with the runtime as `main` returns, and the connections close with them.
    drop(database);
}

/// The router that serves this app: its pages and server functions.
pub fn app_router(
    options: LeptosOptions,
    database: Database,
    settings: WebSettings,
    setup: SetupCode,
) -> Router {
    router(options, database, settings, setup, app_routes(), shell)
}

/// The app's routes, listed once per process. Listing them renders the app once, and while it
/// does Leptos holds back the data loading of every page rendered in the process at that moment,
/// for good (leptos#4773): a page asked for while a second router was being built never
/// answered. Every router after the first reuses the list.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Starts connecting in the background, retrying with backoff until it succeeds.
pub fn connect_in_background(config: Config) -> Database {
    let database = Database::default();
    let slot = database.clone();
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(500);
        // One line per problem, not one per attempt: the same problem is said again only
        // when it changes.
        let mut last_problem = String::new();
        loop {
            match Stores::connect(&config).await {
                Ok(stores) => {
                    tracing::info!(
                        "connected to Cassandra; schema ready in keyspace {}",
                        config.keyspace.as_str()
                    );
                    // Import jobs that a server left unfinished go on here too.
                    stores.imports.wake();
                    slot.fill(Arc::new(stores));
                    return;
                }
                Err(error) => {
                    let problem = error.explain(&config);
                    if problem != last_problem {
                        tracing::warn!("{problem}; retrying until it works");
                        last_problem = problem;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    });
    database
}

/// Once Cassandra answers, says in the log how to create the first administrator, if none exists.
async fn announce_setup_code(database: Database, setup: SetupCode, address: SocketAddr) {
    let stores = loop {
        match database.stores() {
            Ok(stores) => break stores,
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    // A failed look (a timeout on a busy node) is tried again: without the code in the log
    // nobody can create the first administrator from a browser.
    loop {
        match stores.operators.any_exists().await {
            Ok(true) => return,
            Ok(false) => {
                tracing::warn!(
                    "no administrator yet: open http://{address}/setup and enter the setup code {} \
                     (or run `cassandra-users operator add NAME --role admin`)",
                    setup.code()
                );
                return;
            }
            Err(error) => {
                tracing::warn!(
                    "could not tell whether an administrator exists ({error}); asking again"
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Serves `app` until `shutdown` completes. Pages are streamed in several writes, so Nagle's
/// algorithm is turned off; with it, a response can wait ~40 ms for the client's delayed ACK.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // The client's address decides whether the setup page may skip its code (see `SetupCode`).
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
