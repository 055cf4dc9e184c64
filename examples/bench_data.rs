//! The database half of `make bench` (scripts/bench.sh drives it):
//!
//! - `load KEYSPACE N`: fills a bench keyspace with N users, each with its email claim, as the
//!   app would have written them, with a progress bar. A keyspace already holding N users from an
//!   earlier run is reused as it is.
//! - `creates KEYSPACE CONCURRENCY SECONDS`: creates users through the store for SECONDS, with
//!   CONCURRENCY creates in flight: the prepared statements a create over HTTP runs (the email
//!   index check, the LWT claim, the user and its audit event), minus HTTP. Prints one JSON line:
//!   `{"requests":…,"rps":…,"p50_ms":…,"p99_ms":…}`.

use cassandra_users::server::{audit::Actor, config::Config, Stores};
use cassandra_users::validate::validate_user;
use futures_util::{stream, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use scylla::statement::prepared::PreparedStatement;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows written at once by the bulk load: enough to keep a local node busy, few enough that its
/// write path does not time out.
const LOAD_CONCURRENCY: usize = 64;
/// A write that times out under the bulk load is tried again this many times (the inserts are
/// idempotent).
const LOAD_ATTEMPTS: u32 = 8;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["load", keyspace, users] => load(keyspace, users.parse()?).await,
        ["creates", keyspace, concurrency, seconds] => {
            creates(keyspace, concurrency.parse()?, seconds.parse()?).await
        }
        _ => Err("usage: bench_data load KEYSPACE N | creates KEYSPACE CONCURRENCY SECONDS".into()),
    }
}

async fn stores(keyspace: &str) -> Result<Stores, Box<dyn std::error::Error>> {
    let config = Config::from_lookup(|name| match name {
        "CASSANDRA_KEYSPACE" => Some(keyspace.to_owned()),
        other => std::env::var(other).ok(),
    })?;
    Ok(Stores::connect(&config).await?)
}

async fn load(keyspace: &str, users: u64) -> Result<(), Box<dyn std::error::Error>> {
    let stores = stores(keyspace).await?;
    let session = stores.users.session().clone();
    session
        .query_unpaged(
            format!("CREATE TABLE IF NOT EXISTS {keyspace}.bench_dataset (name text PRIMARY KEY, users bigint)"),
            (),
        )
        .await?;
    let loaded: Option<(i64,)> = session
        .query_unpaged(
            format!("SELECT users FROM {keyspace}.bench_dataset WHERE name = 'users'"),
            (),
        )
        .await?
        .into_rows_result()?
        .maybe_first_row()?;
    if loaded.is_some_and(|(count,)| count as u64 == users) {
        eprintln!("{keyspace}: {users} users already loaded, reused");
        return Ok(());
    }

    let insert_user: PreparedStatement = session
        .prepare(format!(
            "INSERT INTO {keyspace}.users (id, name, email) VALUES (?, ?, ?)"
        ))
        .await?;
    let insert_claim: PreparedStatement = session
        .prepare(format!(
            "INSERT INTO {keyspace}.users_by_email (email, id) VALUES (?, ?)"
        ))
        .await?;
    let progress = ProgressBar::new(users).with_style(ProgressStyle::with_template(
        "{prefix} [{bar:40}] {human_pos}/{human_len} users, {per_sec}, {eta} left",
    )?);
    progress.set_prefix(format!("loading {keyspace}"));
    let started = Instant::now();
    let failures = stream::iter(0..users)
        .map(|i| {
            let (session, insert_user, insert_claim) =
                (session.clone(), insert_user.clone(), insert_claim.clone());
            async move {
                let id = uuid::Uuid::new_v4();
                let email = format!("user{i}@bench.example.com");
                let name = format!("Bench User {i}");
                let mut attempt = 1;
                loop {
                    let written = async {
                        session.execute_unpaged(&insert_claim, (&email, id)).await?;
                        session
                            .execute_unpaged(&insert_user, (id, &name, &email))
                            .await
                    };
                    match written.await {
                        Ok(_) => return Ok(()),
                        Err(error) if attempt >= LOAD_ATTEMPTS => return Err(error.to_string()),
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(100 << attempt.min(5))).await;
                            attempt += 1;
                        }
                    }
                }
            }
        })
        .buffer_unordered(LOAD_CONCURRENCY)
        .fold(
            (0u64, None),
            |(failures, first), outcome: Result<(), String>| {
                progress.inc(1);
                let failed = outcome.is_err();
                std::future::ready((failures + u64::from(failed), first.or(outcome.err())))
            },
        )
        .await;
    progress.finish();
    if let (failures @ 1.., Some(first)) = failures {
        return Err(
            format!("{failures} of {users} rows failed to load ({first}); run again").into(),
        );
    }
    session
        .query_unpaged(
            format!("INSERT INTO {keyspace}.bench_dataset (name, users) VALUES ('users', ?)"),
            (users as i64,),
        )
        .await?;
    eprintln!(
        "{keyspace}: loaded {users} users in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn creates(
    keyspace: &str,
    concurrency: usize,
    seconds: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let stores = Arc::new(stores(keyspace).await?);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = stream::iter(0..)
        .take_while(|_| std::future::ready(Instant::now() < deadline))
        .map(|i| {
            let (stores, run) = (stores.clone(), run.clone());
            async move {
                let user = validate_user("Driver Create", &format!("driver-{run}-{i}@example.com"))
                    .expect("a valid user");
                let start = Instant::now();
                stores
                    .users
                    .create(&user, &Actor::CommandLine)
                    .await
                    .map(|_| start.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .filter_map(|outcome| std::future::ready(outcome.ok()))
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "requests": latencies.len(),
            "rps": latencies.len() as f64 / elapsed,
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
        })
    );
    Ok(())
}
