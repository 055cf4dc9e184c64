//! The wiring, in one place: configuration → the database, connected in the background → the
//! router → serving until SIGTERM or Ctrl-C.

use super::config::Config;
use super::config::WebSettings;
use super::operators::SetupCode;
use super::stores::{Database, Stores};
use super::web::assets::hash_file_beside_binary;
use super::web::router::router;
use crate::app::{shell, App};
use axum::Router;
use leptos::config::get_configuration;
use leptos::prelude::LeptosOptions;
use leptos_axum::generate_route_list;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
    let address = leptos.site_addr;
    let settings = config.web_settings();

    // The server answers at once; pages say the database is unavailable until it connects.
    let database = connect_in_background(config);
    let setup = SetupCode::generate(address);
    tokio::spawn(announce_setup_code(
        database.clone(),
        setup.clone(),
        address,
    ));
    let app = app_router(leptos, database, settings, setup);

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("LEPTOS_SITE_ADDR: cannot listen on {address}: {e}"))?;
    tracing::info!("serving on http://{address}");
    serve(listener, app, shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// The router that serves this app: its pages and server functions.
pub fn app_router(
    options: LeptosOptions,
    database: Database,
    settings: WebSettings,
    setup: SetupCode,
) -> Router {
    router(
        options,
        database,
        settings,
        setup,
        generate_route_list(App),
        shell,
    )
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
    if let Ok(false) = stores.operators.any_exists().await {
        tracing::warn!(
            "no administrator yet: open http://{address}/setup and enter the setup code {} \
             (or run `cassandra-users operator add NAME --role admin`)",
            setup.code()
        );
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
    tracing::info!("shutting down");
}
