//! The server binary: without arguments (or with `serve`) it serves the app (`server::startup`);
//! its other subcommands manage operators, API tokens and reconcile (`server::cli`).

use cassandra_users::server::cli::{self, Cli, Command};
use cassandra_users::server::config::{Config, Settings};
use cassandra_users::server::logging;
use cassandra_users::server::operators::passwords;
use cassandra_users::server::startup;

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
    let Cli { command, settings } = Cli::parse_or_exit();
    logging::init(settings.serving.log_format);

    let outcome = match command {
        None | Some(Command::Serve) => serve(settings).await,
        Some(command) => cli::run(command, settings).await,
    };
    if let Err(message) = outcome {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let config = Config::from_settings(settings).map_err(|e| e.to_string())?;
    // The decoy hash that unknown usernames are checked against, computed now so the first of
    // them is not slower than the rest.
    passwords::warm_up().await;
    give_free_memory_back();
    startup::run(config).await
}
