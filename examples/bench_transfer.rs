//! The import and export half of `make bench` (scripts/bench.sh drives it):
//!
//! - `import KEYSPACE URL TOKEN ROWS`: ROWS new users as a CSV file, uploaded to the server
//!   (`POST /api/imports`), previewed and started, timed from Start to done; and ROWS other new
//!   users through the per-row calls the job makes (the user by id, then the create with its claim
//!   and audit event) straight from the driver, as many at once as the job runs, without the job.
//!   Prints one JSON line: `{"rows","job_rps","raw_rps","preview_seconds","concurrency"}`.
//! - `export KEYSPACE URL TOKEN SERVER_PID`: `GET /api/users/export.csv` read to its end (no
//!   compression asked), with the server's RSS sampled every 100 ms; and the driver paging
//!   `SELECT id, name, email FROM users` by 1,000 (the export's page). Prints one JSON line:
//!   `{"rows","export_rps","raw_rps","bytes","rss_rest_kb","rss_peak_kb"}`.

use cassandra_users::server::imports::check::ROWS_AT_ONCE;
use cassandra_users::server::users::UserError;
use cassandra_users::server::{audit::Actor, config::Config, Stores};
use cassandra_users::{model::User, validate::Email};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["import", keyspace, url, token, rows] => import(keyspace, url, token, rows.parse()?).await,
        ["export", keyspace, url, token, pid] => export(keyspace, url, token, pid.parse()?).await,
        _ => Err("usage: bench_transfer import KEYSPACE URL TOKEN ROWS | export KEYSPACE URL TOKEN SERVER_PID".into()),
    }
}

async fn stores(keyspace: &str) -> Result<Stores, Error> {
    let config = Config::from_lookup(|name| match name {
        "CASSANDRA_KEYSPACE" => Some(keyspace.to_owned()),
        other => std::env::var(other).ok(),
    })?;
    Ok(Stores::connect(&config).await?)
}

/// The `i`-th user of a run: its own email, so no row of one run meets a row of another.
fn person(run: &str, side: &str, i: u64) -> (String, String) {
    (
        format!("Imported Person {i}"),
        format!("{side}-{run}-{i}@bench.example.com"),
    )
}

async fn import(keyspace: &str, url: &str, token: &str, rows: u64) -> Result<(), Error> {
    let run = Uuid::new_v4().simple().to_string();
    let client = reqwest::Client::builder().no_gzip().build()?;

    let mut file = csv::Writer::from_writer(Vec::new());
    file.write_record(["name", "email"])?;
    for i in 0..rows {
        let (name, email) = person(&run, "job", i);
        file.write_record([name, email])?;
    }
    let part = reqwest::multipart::Part::bytes(file.into_inner()?)
        .file_name("bench.csv")
        .mime_str("text/csv")?;
    let form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("mode", "skip");
    let uploaded_at = Instant::now();
    let uploaded: Value = client
        .post(format!("{url}/api/imports"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let job = uploaded["job"]["id"]
        .as_str()
        .ok_or("no job in the answer")?
        .to_owned();
    let status = |job: String| {
        let client = client.clone();
        async move {
            let answer: Value = client
                .get(format!("{url}/api/imports/status?job={job}"))
                .bearer_auth(token)
                .header("accept", "application/json")
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            Ok::<_, Error>(answer["job"].clone())
        }
    };
    while status(job.clone()).await?["state"] != "previewed" {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let preview_seconds = uploaded_at.elapsed().as_secs_f64();
    let started = Instant::now();
    client
        .post(format!("{url}/api/imports/start"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .form(&[("job", &job)])
        .send()
        .await?
        .error_for_status()?;
    let finished = loop {
        let now = status(job.clone()).await?;
        if now["state"] != "running" {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let job_seconds = started.elapsed().as_secs_f64();
    if finished["state"] != "done" || finished["created"].as_u64() != Some(rows) {
        return Err(format!("the import ended as {finished}").into());
    }

    let stores = Arc::new(stores(keyspace).await?);
    let started = Instant::now();
    stream::iter(0..rows)
        .map(|i| {
            let (stores, run) = (stores.clone(), run.clone());
            async move {
                let (name, email) = person(&run, "raw", i);
                let user = User {
                    id: Uuid::new_v4(),
                    name,
                    email,
                };
                let parsed = Email::parse(&user.email).map_err(|e| format!("{e:?}"))?;
                match stores.users.get(user.id).await {
                    Err(UserError::NotFound) => {}
                    other => return Err(format!("a new id was found: {other:?}")),
                }
                stores
                    .users
                    .create_as_written(&user, &parsed, &Actor::CommandLine)
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .buffer_unordered(ROWS_AT_ONCE)
        .try_collect::<()>()
        .await?;
    let raw_seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "rows": rows,
            "job_rps": rows as f64 / job_seconds,
            "raw_rps": rows as f64 / raw_seconds,
            "preview_seconds": preview_seconds,
            "concurrency": ROWS_AT_ONCE,
        })
    );
    Ok(())
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn export(keyspace: &str, url: &str, token: &str, pid: u32) -> Result<(), Error> {
    let client = reqwest::Client::builder().no_gzip().build()?;
    let rss_rest_kb = rss_kb(pid);
    let peak = Arc::new(AtomicU64::new(rss_rest_kb));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    let mut body = client
        .get(format!("{url}/api/users/export.csv"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(piece) = body.chunk().await? {
        bytes += piece.len() as u64;
        lines += piece.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let export_seconds = started.elapsed().as_secs_f64();
    sampling.abort();
    let exported = lines.saturating_sub(1); // the header

    let stores = stores(keyspace).await?;
    let session = stores.users.session().clone();
    let mut select =
        scylla::statement::Statement::new(format!("SELECT id, name, email FROM {keyspace}.users"));
    select.set_page_size(1000);
    let started = Instant::now();
    let paged = session
        .query_iter(select, ())
        .await?
        .rows_stream::<(Uuid, Option<String>, Option<String>)>()?
        .try_fold(0u64, |count, _| async move { Ok(count + 1) })
        .await?;
    let raw_seconds = started.elapsed().as_secs_f64();
    if paged != exported {
        return Err(format!("the export had {exported} rows, the table {paged}").into());
    }
    println!(
        "{}",
        serde_json::json!({
            "rows": exported,
            "export_rps": exported as f64 / export_seconds,
            "raw_rps": paged as f64 / raw_seconds,
            "bytes": bytes,
            "rss_rest_kb": rss_rest_kb,
            "rss_peak_kb": peak.load(Ordering::Relaxed),
        })
    );
    Ok(())
}
