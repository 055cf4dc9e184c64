//! The database half of `make bench` (scripts/bench.sh drives it):
//!
//! - `load KEYSPACE N`: fills a bench keyspace with N users, each with its email claim and its
//!   entries in name order and search, as the app would have written them, with a progress bar; prints one JSON line
//!   `{"users":…,"seconds":…}` (seconds 0 when a keyspace already holding N users from an earlier
//!   run is reused as it is; one holding anything else is emptied first). Names come from lists
//!   of first and last names, so a prefix such as `ma` is common, and emails start `u<n>.`, so
//!   `u777.` is one user at any size.
//! - `row-writes KEYSPACE SECONDS`: rows written straight into `users` at concurrency 32, with
//!   their entries in name order and search and without (as before either existed), for SECONDS
//!   each; prints one JSON line of both rates (`with_terms_rps`, `without_terms_rps`): what the
//!   entries cost a write.
//! - `bulk-deletes KEYSPACE URL TOKEN`: 500 new users deleted by one `users/delete-many`, and 500
//!   more by 500 `users/delete` sent one after the other; prints one JSON line of both times.
//! - `creates KEYSPACE CONCURRENCY SECONDS`: creates users through the store for SECONDS, with
//!   CONCURRENCY creates in flight: the prepared statements a create over HTTP runs (the email
//!   index check, the LWT claim, the user and its audit event), minus HTTP. Prints one JSON line:
//!   `{"requests":…,"rps":…,"p50_ms":…,"p99_ms":…}`.
//! - `raw-creates KEYSPACE CONCURRENCY SECONDS`: the same, with the driver doing only the seed's
//!   work (the email claim, a lightweight transaction, then the row): what the app's guarantees
//!   (index check, audit batch, name order and search entries) and HTTP are measured against.

use cassandra_users::model::User;
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
        ["bulk-deletes", keyspace, url, token] => bulk_deletes(keyspace, url, token).await,
        ["row-writes", keyspace, seconds] => row_writes(keyspace, seconds.parse()?).await,
        ["creates", keyspace, concurrency, seconds] => {
            creates(keyspace, concurrency.parse()?, seconds.parse()?).await
        }
        ["raw-creates", keyspace, concurrency, seconds] => {
            raw_creates(keyspace, concurrency.parse()?, seconds.parse()?).await
        }
        _ => Err("usage: bench_data load KEYSPACE N | creates|raw-creates KEYSPACE CONCURRENCY SECONDS | bulk-deletes KEYSPACE URL TOKEN".into()),
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
            format!("SELECT users FROM {keyspace}.bench_dataset WHERE name = '{DATASET}'"),
            (),
        )
        .await?
        .into_rows_result()?
        .maybe_first_row()?;
    if loaded.is_some_and(|(count,)| count as u64 == users) {
        eprintln!("{keyspace}: {users} users already loaded, reused");
        println!("{}", serde_json::json!({ "users": users, "seconds": 0 }));
        return Ok(());
    }

    // A keyspace loaded by an older dataset (or a load that stopped) starts empty, so it holds
    // exactly `users` rows afterwards, not those plus the earlier ones.
    for table in [
        "users",
        "users_by_email",
        "ordered_names",
        "ordered_terms",
        "entry_ranges",
        "entry_range_sizes",
        "bench_dataset",
    ] {
        session
            .query_unpaged(format!("TRUNCATE {keyspace}.{table}"), ())
            .await?;
    }
    let insert_user: PreparedStatement = session
        .prepare(format!(
            "INSERT INTO {keyspace}.users (id, name, email) VALUES (?, ?, ?)"
        ))
        .await?;
    let stores = Arc::new(stores);
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
            let (session, insert_user, insert_claim, stores) = (
                session.clone(),
                insert_user.clone(),
                insert_claim.clone(),
                stores.clone(),
            );
            async move {
                let id = uuid::Uuid::new_v4();
                let (name, email) = person(i);
                let user = User { id, name, email };
                let mut attempt = 1;
                loop {
                    let written = async {
                        session
                            .execute_unpaged(&insert_claim, (&user.email, id))
                            .await
                            .map_err(|e| e.to_string())?;
                        session
                            .execute_unpaged(&insert_user, (id, &user.name, &user.email))
                            .await
                            .map_err(|e| e.to_string())?;
                        stores
                            .users
                            .entries()
                            .place(&user)
                            .await
                            .map_err(|e| e.to_string())
                    };
                    match written.await {
                        Ok(_) => return Ok(()),
                        Err(error) if attempt >= LOAD_ATTEMPTS => return Err(error),
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
            format!("INSERT INTO {keyspace}.bench_dataset (name, users) VALUES ('{DATASET}', ?)"),
            (users as i64,),
        )
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{keyspace}: loaded {users} users in {seconds:.0} s");
    println!(
        "{}",
        serde_json::json!({ "users": users, "seconds": seconds })
    );
    Ok(())
}

/// What a loaded dataset is called in `bench_dataset`: a keyspace from before the entries in name
/// order and search existed is loaded again.
const DATASET: &str = "users-with-entries-by-key-and-id-1";

const FIRST_NAMES: [&str; 24] = [
    "Ana", "María", "Martin", "Zoë", "Åsa", "Jean-Luc", "Marco", "Sofia", "Liam", "Noah", "Emma",
    "Olivia", "Mateo", "Chloé", "Ingrid", "Hiroshi", "Fatima", "Omar", "Priya", "Lars", "Nadia",
    "Björn", "Élodie", "Tomás",
];
const LAST_NAMES: [&str; 20] = [
    "Martínez",
    "García",
    "Müller",
    "Smith",
    "Johansson",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Nguyen",
    "Yamamoto",
    "O'Neil",
    "Lee",
    "Silva",
    "Novak",
    "Haddad",
    "Patel",
    "Andersen",
    "Costa",
    "Fischer",
    "López",
];

/// The `i`-th bench user: a first and a last name from the lists, and an email that starts
/// with `u<i>.`.
fn person(i: u64) -> (String, String) {
    let first = FIRST_NAMES[(i % 24) as usize];
    let last = LAST_NAMES[((i / 24) % 20) as usize];
    let name = format!("{first} {last}");
    let local: String = format!("{first}.{last}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect::<String>()
        .to_lowercase();
    (name, format!("u{i}.{local}@bench.example.com"))
}

/// Row writes a second, with their entries and without, one after the other.
async fn row_writes(keyspace: &str, seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let stores = stores(keyspace).await?;
    let session = stores.users.session().clone();
    let stores = Arc::new(stores);
    let without_terms = session
        .prepare(format!(
            "INSERT INTO {keyspace}.users (id, name, email) VALUES (?, ?, ?)"
        ))
        .await?;
    let rate = |terms_too: bool| {
        let (session, stores, without_terms) =
            (session.clone(), stores.clone(), without_terms.clone());
        async move {
            let deadline = Instant::now() + Duration::from_secs(seconds);
            let started = Instant::now();
            let written = stream::iter(0u64..)
                .take_while(|_| std::future::ready(Instant::now() < deadline))
                .map(|i| {
                    let (session, stores, without_terms) =
                        (session.clone(), stores.clone(), without_terms.clone());
                    async move {
                        let (name, email) = person(i);
                        let id = uuid::Uuid::new_v4();
                        let row = session
                            .execute_unpaged(&without_terms, (id, &name, &email))
                            .await
                            .map_err(|e| e.to_string())?;
                        if terms_too {
                            let user = User { id, name, email };
                            stores
                                .users
                                .entries()
                                .place(&user)
                                .await
                                .map_err(|e| e.to_string())?;
                        }
                        Ok::<_, String>(row)
                    }
                })
                .buffer_unordered(32)
                .filter(|outcome| std::future::ready(outcome.is_ok()))
                .count()
                .await;
            written as f64 / started.elapsed().as_secs_f64()
        }
    };
    let without = rate(false).await;
    let with = rate(true).await;
    println!(
        "{}",
        serde_json::json!({ "with_terms_rps": with, "without_terms_rps": without })
    );
    Ok(())
}

/// 500 users deleted by one bulk delete, against 500 deleted by 500 requests one after the
/// other, over HTTP with an editor's token.
async fn bulk_deletes(
    keyspace: &str,
    url: &str,
    token: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    const USERS: usize = 500;
    let stores = Arc::new(stores(keyspace).await?);
    let client = reqwest::Client::new();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let make = |label: &'static str| {
        let (stores, run) = (stores.clone(), run.clone());
        async move {
            stream::iter(0..USERS)
                .map(|i| {
                    let (stores, run) = (stores.clone(), run.clone());
                    async move {
                        let user =
                            validate_user("Bulk Delete", &format!("{label}-{run}-{i}@example.com"))
                                .expect("a valid user");
                        stores.users.create(&user, &Actor::CommandLine).await
                    }
                })
                .buffer_unordered(32)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
        }
    };
    let fields = |users: &[cassandra_users::model::User]| -> Vec<(String, String)> {
        users
            .iter()
            .flat_map(|u| {
                [
                    ("id".to_owned(), u.id.to_string()),
                    ("expected_name".to_owned(), u.name.clone()),
                    ("expected_email".to_owned(), u.email.clone()),
                ]
            })
            .collect()
    };

    let many = make("many").await?;
    let started = Instant::now();
    let answer = client
        .post(format!("{url}/api/users/delete-many"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .form(&fields(&many))
        .send()
        .await?;
    let bulk = started.elapsed().as_secs_f64();
    let body: serde_json::Value = answer.json().await?;
    let deleted = body["results"].as_array().map_or(0, |results| {
        results.iter().filter(|r| r["outcome"] == "deleted").count()
    });

    let single = make("single").await?;
    let started = Instant::now();
    for user in &single {
        let answer = client
            .post(format!("{url}/api/users/delete"))
            .bearer_auth(token)
            .header("accept", "application/json")
            .form(&fields(std::slice::from_ref(user)))
            .send()
            .await?;
        if !answer.status().is_success() {
            return Err(format!("a single delete answered {}", answer.status()).into());
        }
    }
    let one_by_one = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({ "users": USERS, "bulk_seconds": bulk, "bulk_deleted": deleted, "single_seconds": one_by_one })
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
    measure(concurrency, seconds, |i| {
        let (stores, run) = (stores.clone(), run.clone());
        async move {
            let user = validate_user("Driver Create", &format!("driver-{run}-{i}@example.com"))
                .expect("a valid user");
            stores
                .users
                .create(&user, &Actor::CommandLine)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
    .await
}

/// Creates as the seed script makes them: the claim (`IF NOT EXISTS`), then the row.
async fn raw_creates(
    keyspace: &str,
    concurrency: usize,
    seconds: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let stores = stores(keyspace).await?;
    let session = stores.users.session().clone();
    let claim = session
        .prepare(format!(
            "INSERT INTO {keyspace}.users_by_email (email, id) VALUES (?, ?) IF NOT EXISTS"
        ))
        .await?;
    let insert = session
        .prepare(format!(
            "INSERT INTO {keyspace}.users (id, name, email) VALUES (?, ?, ?)"
        ))
        .await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    measure(concurrency, seconds, |i| {
        let (session, claim, insert, run) =
            (session.clone(), claim.clone(), insert.clone(), run.clone());
        async move {
            let (id, email) = (uuid::Uuid::new_v4(), format!("raw-{run}-{i}@example.com"));
            session
                .execute_unpaged(&claim, (&email, id))
                .await
                .map_err(|e| e.to_string())?;
            session
                .execute_unpaged(&insert, (id, "Driver Create", &email))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
    .await
}

/// Runs `create(i)` for i = 0, 1, … with `concurrency` at once for `seconds`; prints one JSON
/// line of the rate and latencies of those that succeeded.
async fn measure<Create, Done>(
    concurrency: usize,
    seconds: u64,
    create: Create,
) -> Result<(), Box<dyn std::error::Error>>
where
    Create: Fn(u64) -> Done,
    Done: std::future::Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = stream::iter(0u64..)
        .take_while(|_| std::future::ready(Instant::now() < deadline))
        .map(|i| {
            let start = Instant::now();
            let done = create(i);
            async move { done.await.map(|()| start.elapsed()) }
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
