//! An app server SIGKILLed in the middle of a 20,000-row import, and another one started: the job
//! finishes, with every row written once and none lost.

use crate::helpers::TestDb;
use cassandra_users::model::Role;
use futures_util::{stream, StreamExt};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: usize = 20_000;

/// The server binary over the test keyspace, on its own port.
fn server(keyspace: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
        .env("CASSANDRA_KEYSPACE", keyspace)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("LEPTOS_OUTPUT_NAME", "cassandra-users")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server binary")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn status(http: &reqwest::Client, url: &str, token: &str, job: &str) -> Option<Value> {
    let response = http
        .post(format!("{url}/api/imports/status"))
        .bearer_auth(token)
        .form(&[("job", job)])
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

async fn wait_until(http: &reqwest::Client, url: &str, token: &str, job: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + within;
    loop {
        if let Some(preview) = status(http, url, token, job).await {
            if done(&preview["job"]) {
                return preview["job"].clone();
            }
        }
        assert!(Instant::now() < until, "the import did not get there in {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_server_was_killed_is_finished_by_another_with_every_row_once() {
    let db = TestDb::new(50).await;
    let token = db.token(Role::Editor).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut file = String::from("name,email\n");
    for i in 0..ROWS {
        file.push_str(&format!("Person {i},person.{i}@example.com\n"));
    }

    let first_port = free_port();
    let mut first = server(db.keyspace(), first_port);
    let first_url = format!("http://127.0.0.1:{first_port}");
    let until = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{first_url}/healthz")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < until, "the first server did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let form = Form::new()
        .part("file", Part::bytes(file.into_bytes()).file_name("twenty-thousand.csv"))
        .text("mode", "skip");
    let preview: Value = http
        .post(format!("{first_url}/api/imports"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = preview["job"]["id"].as_str().expect("a job").to_owned();
    wait_until(&http, &first_url, &token, &job, Duration::from_secs(120), |job| job["state"] == "previewed").await;
    let started = http
        .post(format!("{first_url}/api/imports/start"))
        .bearer_auth(&token)
        .form(&[("job", job.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let before = wait_until(&http, &first_url, &token, &job, Duration::from_secs(120), |job| job["done"].as_u64() >= Some(3_000)).await;
    first.kill().expect("SIGKILL the first server");
    first.wait().unwrap();
    eprintln!("killed the first server at {} of {ROWS} rows", before["done"]);

    let second_port = free_port();
    let mut second = server(db.keyspace(), second_port);
    let second_url = format!("http://127.0.0.1:{second_port}");
    let finished = wait_until(&http, &second_url, &token, &job, Duration::from_secs(240), |job| job["state"] == "done").await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(finished["created"], ROWS, "{finished}");
    assert_eq!(finished["failed"], 0, "{finished}");

    let users = db.all_users().await;
    assert_eq!(users.len(), ROWS, "every row once, none lost");
    let emails: HashSet<&str> = users.iter().map(|user| user.email.as_str()).collect();
    assert_eq!(emails.len(), ROWS, "no email twice");
    // Written once: each user has exactly one event, its create.
    let audit = db.stores.audit.clone();
    let twice: Vec<String> = stream::iter(users)
        .map(|user| {
            let audit = audit.clone();
            async move {
                let history = audit.history(user.id, None).await.unwrap();
                (history.events.len() != 1).then(|| format!("{}: {:?}", user.email, history.events))
            }
        })
        .buffer_unordered(64)
        .filter_map(|problem| async move { problem })
        .collect()
        .await;
    assert!(twice.is_empty(), "{} users with other than one event, e.g. {:?}", twice.len(), twice.first());
    db.drop().await;
}
