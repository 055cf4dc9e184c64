//! An import job driven as a script drives it, over HTTP: upload a file, start it, watch it.

use reqwest::multipart::{Form, Part};
use reqwest::Client;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A CSV file of `rows` people with distinct emails.
pub fn people(rows: usize) -> String {
    let mut file = String::from("name,email\n");
    for i in 0..rows {
        file.push_str(&format!("Person {i},person.{i}@example.com\n"));
    }
    file
}

/// Uploads `file` to the server at `url` (mode skip) and answers the new job's id.
pub async fn upload(http: &Client, url: &str, token: &str, file: String) -> String {
    let form = Form::new()
        .part(
            "file",
            Part::bytes(file.into_bytes()).file_name("people.csv"),
        )
        .text("mode", "skip");
    let preview: Value = http
        .post(format!("{url}/api/imports"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    preview["job"]["id"].as_str().expect("a job").to_owned()
}

/// Starts a previewed job.
pub async fn start(http: &Client, url: &str, token: &str, job: &str) {
    let started = http
        .post(format!("{url}/api/imports/start"))
        .bearer_auth(token)
        .form(&[("job", job)])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
}

/// The job as the server reports it, or `None` while the server does not answer.
async fn status(http: &Client, url: &str, token: &str, job: &str) -> Option<Value> {
    let response = http
        .post(format!("{url}/api/imports/status"))
        .bearer_auth(token)
        .form(&[("job", job)])
        .send()
        .await
        .ok()?;
    let status: Value = response.json().await.ok()?;
    Some(status["job"].clone())
}

/// The job once `done` says it has got there, asking every 200 ms for up to `within`.
pub async fn wait_until(
    http: &Client,
    url: &str,
    token: &str,
    job: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let until = Instant::now() + within;
    loop {
        if let Some(job) = status(http, url, token, job).await {
            if done(&job) {
                return job;
            }
        }
        assert!(
            Instant::now() < until,
            "the import did not get there in {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
