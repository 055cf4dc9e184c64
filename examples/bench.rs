//! Performance figures against the real node (`make bench`): how long the list page takes to
//! render with 10 000 users in the table, and a create's round trip through the HTTP API.
//! Works in a keyspace of its own, which it drops at the end. Prints figures; asserts nothing.

use cassandra_users::server::{
    audit::Actor,
    auth::SetupCode,
    config::Config,
    connect,
    db::drop_keyspace,
    http::{router, serve},
    Database,
};
use cassandra_users::validate::{validate_new_operator, validate_user, Username};
use futures_util::{stream, StreamExt};
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};

const USERS: usize = 10_000;
const SAMPLES: usize = 100;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyspace = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let config = Config::from_lookup(|name| match name {
        "CASSANDRA_KEYSPACE" => Some(keyspace.clone()),
        other => std::env::var(other).ok(),
    })?;
    let store = Arc::new(connect(&config).await?);
    println!(
        "Cassandra {} at {:?}, keyspace {keyspace}",
        store.users.release_version().await?,
        config.contact_points
    );

    let started = Instant::now();
    let created = stream::iter(0..USERS)
        .map(|i| {
            let store = store.clone();
            async move {
                let user =
                    validate_user(&format!("Bench User {i}"), &format!("bench{i}@example.com"))
                        .unwrap();
                store.users.create(&user, &Actor::CommandLine).await
            }
        })
        .buffer_unordered(32)
        .filter(|result| std::future::ready(result.is_ok()))
        .count()
        .await;
    let seeding = started.elapsed();
    println!(
        "seeded {created} users through the store (LWT claim + insert each) in {:.1} s: {:.0} creates/s",
        seeding.as_secs_f64(),
        created as f64 / seeding.as_secs_f64()
    );

    let options = LeptosOptions::builder()
        .output_name("cassandra-users")
        .site_root("target/site")
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let url = format!("http://{address}");
    let app = router(
        options,
        Database::connected(store.clone()),
        config.sign_in.clone(),
        SetupCode::generate(address),
    );
    tokio::spawn(serve(listener, app, std::future::pending()));

    // The bench calls the app as a script does: with an editor's API token.
    let password = "bench password, long enough";
    let editor = validate_new_operator("bench", "editor", password, password).unwrap();
    store.operators.add(&editor, &Actor::CommandLine).await?;
    let token = store
        .operators
        .create_token(&Username::parse("bench")?, "bench", &Actor::CommandLine)
        .await?
        .secret;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;

    let second_page = store
        .users
        .list(None)
        .await?
        .next
        .expect("more than one page");
    for (label, path) in [
        ("list page 1 (SSR, 50 rows)", "/".to_owned()),
        (
            "list page 2 (SSR, 50 rows)",
            format!("/?after={second_page}"),
        ),
    ] {
        let times = sample(|| async {
            let html = client
                .get(format!("{url}{path}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(html.contains("Bench User"), "the page lists users");
        })
        .await;
        report(label, &times);
    }

    let mut next = 0;
    let times = sample(|| {
        next += 1;
        let request = client
            .post(format!("{url}/api/users/create"))
            .header("accept", "application/json")
            .form(&[
                ("name", "Round Trip".to_owned()),
                ("email", format!("trip{next}@example.com")),
            ]);
        async move { assert!(request.send().await.unwrap().status().is_success()) }
    })
    .await;
    report("create via POST /api/users/create", &times);

    drop_keyspace(store.users.session(), &config.keyspace).await?;
    Ok(())
}

async fn sample<F, Fut>(mut run: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    run().await; // warm-up
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        run().await;
        times.push(started.elapsed());
    }
    times.sort();
    times
}

fn report(label: &str, sorted: &[Duration]) {
    let at =
        |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "{label}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} samples)",
        at(0.5),
        at(0.95),
        at(1.0),
        sorted.len()
    );
}
