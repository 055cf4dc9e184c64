//! Performance figures against the real node (`make bench`): how long the list page takes to
//! render with 10 000 users in the table, a create's round trip through the HTTP API, and what
//! each correctness guarantee costs (a save conditional on the values shown, against a plain
//! UPDATE; creates, email changes and deletes as ordered steps on Cassandra 5 or as one Accord
//! transaction on Cassandra 6: run it against each, `CASSANDRA_VERSION=6.0-alpha2 make bench`).
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

    guarantee_costs(&store, &config).await?;

    if store.users.uses_transactions() {
        // Cassandra 6.0-alpha2 refuses to drop a keyspace that holds Accord tables.
        println!("(keyspace {keyspace} left in place: it holds Accord tables)");
    } else {
        drop_keyspace(store.users.session(), &config.keyspace).await?;
    }
    Ok(())
}

/// One request at a time through the store, so the figures are latencies, not throughput.
async fn guarantee_costs(
    store: &Arc<cassandra_users::server::Stores>,
    config: &Config,
) -> Result<(), Box<dyn std::error::Error>> {
    let users = &store.users;
    let cli = Actor::CommandLine;
    println!(
        "changes to users run as {}",
        if users.uses_transactions() {
            "one Accord transaction each (users + users_by_email)"
        } else {
            "ordered steps (LWT claim, then the row)"
        }
    );
    let typed = |name: String, email: String| validate_user(&name, &email).unwrap();
    let mut shown = users
        .create(&typed("Cost".into(), "cost@example.com".into()), &cli)
        .await?;

    let mut times = Vec::new();
    for n in 0..SAMPLES {
        let wanted = typed(format!("Cost {n}"), shown.email.clone());
        let started = Instant::now();
        shown = users.update(shown.id, Some(&shown), &wanted, &cli).await?;
        times.push(started.elapsed());
    }
    report(
        "save a name, conditional on the values shown (LWT)",
        &sorted(times),
    );

    let mut plain = users
        .session()
        .prepare(format!(
            "UPDATE {}.users SET name = ? WHERE id = ?",
            config.keyspace.as_str()
        ))
        .await?;
    if users.uses_transactions() {
        cassandra_users::server::transactions::use_accord_levels(&mut plain);
    }
    let mut times = Vec::new();
    for n in 0..SAMPLES {
        let started = Instant::now();
        users
            .session()
            .execute_unpaged(&plain, (format!("Plain {n}"), shown.id))
            .await?;
        times.push(started.elapsed());
    }
    report(
        "save a name, unconditional (plain UPDATE, raw driver)",
        &sorted(times),
    );

    let mut shown = users.get(shown.id).await?;
    let mut times = Vec::new();
    for n in 0..SAMPLES {
        let wanted = typed(shown.name.clone(), format!("cost{n}@example.com"));
        let started = Instant::now();
        shown = users.update(shown.id, Some(&shown), &wanted, &cli).await?;
        times.push(started.elapsed());
    }
    report(
        "change an email (claim the new, save, release the old)",
        &sorted(times),
    );

    let mut created = Vec::new();
    let mut times = Vec::new();
    for n in 0..SAMPLES {
        let wanted = typed("Created".into(), format!("created{n}@example.com"));
        let started = Instant::now();
        created.push(users.create(&wanted, &cli).await?);
        times.push(started.elapsed());
    }
    report("create (index check, claim and row)", &sorted(times));

    let mut times = Vec::new();
    for user in &created {
        let started = Instant::now();
        users.delete(user.id, Some(user), &cli).await?;
        times.push(started.elapsed());
    }
    report(
        "delete, conditional on the values shown (row and claim)",
        &sorted(times),
    );
    Ok(())
}

fn sorted(mut times: Vec<Duration>) -> Vec<Duration> {
    times.sort();
    times
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
