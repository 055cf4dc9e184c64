//! The server binary: without arguments (or with `serve`) it serves the app; its other
//! subcommands manage operators and API tokens (`server::cli`).

use cassandra_users::server::auth::{announce_setup_code, SetupCode};
use cassandra_users::server::cli::{self, Cli, Command};
use cassandra_users::server::{config::Config, http, passwords, Database};
use clap::Parser;
use leptos::config::get_configuration;
use tracing_subscriber::EnvFilter;

/// Rendering a page allocates many small, short-lived strings and nodes from every worker thread:
/// glibc's malloc spent about a third of the server's CPU on them and grew the RSS by its
/// per-thread arenas. mimalloc is faster at that; without transparent huge pages (`no_thp` in
/// Cargo.toml) it also keeps the RSS small (29 MB after a create load instead of 45 MB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Argon2 works in 19 MiB, which mimalloc would keep until the server is busy again: at start-up
/// (the decoy hash) that doubled the RSS of a server at rest.
fn give_free_memory_back() {
    // SAFETY: `mi_collect` only walks mimalloc's own bookkeeping; it may be called at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // The driver's own messages repeat on every connection attempt; the app logs one line per
    // problem (`Database::connect_in_background`). RUST_LOG=info,scylla=warn shows them.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,scylla=off")),
        )
        .with_writer(std::io::stderr)
        .init();

    let outcome = match cli.command {
        None | Some(Command::Serve) => serve().await,
        Some(command) => cli::run(command).await,
    };
    if let Err(message) = outcome {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

/// Configuration → background connection to Cassandra → router → serve until Ctrl-C.
async fn serve() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let mut leptos = get_configuration(None)
        .map_err(|e| format!("LEPTOS_SITE_ADDR or the [package.metadata.leptos] settings: {e}"))?
        .leptos_options;
    // cargo-leptos names the bundle's files by their hash, writes the names to hash.txt beside
    // this binary and says so in LEPTOS_HASH_FILES when it starts the server. Started any other
    // way (the binary alone, a service manager), the server finds the file itself.
    if http::hash_file_beside_binary(&leptos) {
        leptos.hash_files = true;
    }
    let address = leptos.site_addr;
    let sign_in = config.sign_in.clone();
    passwords::warm_up().await;
    give_free_memory_back();

    // The server answers at once; pages say the database is unavailable until it connects.
    let database = Database::connect_in_background(config);
    let setup = SetupCode::generate(address);
    tokio::spawn(announce_setup_code(
        database.clone(),
        setup.clone(),
        address,
    ));
    let app = http::router(leptos, database, sign_in, setup);

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("LEPTOS_SITE_ADDR: cannot listen on {address}: {e}"))?;
    tracing::info!("serving on http://{address}");
    http::serve(listener, app, shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
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
