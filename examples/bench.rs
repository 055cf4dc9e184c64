//! What each correctness guarantee costs, the last part of `make bench` (scripts/bench.sh
//! measures the page, the API and the bundle): a save conditional on the values shown, against a
//! plain UPDATE; creates, email changes and deletes as ordered steps on Cassandra 5 or as one
//! Accord transaction on Cassandra 6 (run it against each, `CASSANDRA_VERSION=6.0-alpha2 make
//! bench`). One request at a time, in a keyspace of its own, dropped at the end. Prints figures;
//! asserts nothing.

use cassandra_users::server::cassandra::schema::drop_keyspace;
use cassandra_users::server::{audit::Actor, config::Config, Stores};
use cassandra_users::validate::validate_user;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAMPLES: usize = 100;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyspace = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let config = Config::from_lookup(|name| match name {
        "CASSANDRA_KEYSPACE" => Some(keyspace.clone()),
        other => std::env::var(other).ok(),
    })?;
    let store = Arc::new(Stores::connect(&config).await?);
    println!(
        "Cassandra {} at {:?}, keyspace {keyspace}",
        store.node.release_version().await?,
        config.contact_points
    );

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
        cassandra_users::server::cassandra::statements::use_accord_levels(&mut plain);
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
