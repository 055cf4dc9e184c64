//! Shared by the import and export tests: uploading a file, following its job, and the export.

use crate::helpers::http_client;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Uploads `bytes` as `name` to `POST /api/imports` as a script would (JSON answer).
pub async fn upload(
    url: &str,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    mode: &str,
) -> (StatusCode, Value) {
    let form = Form::new()
        .part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("text/csv")
                .unwrap(),
        )
        .text("mode", mode.to_owned());
    let response = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/imports"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Posts `job` to an import endpoint (`start`, `cancel`, `status`).
pub async fn post_job(url: &str, token: &str, endpoint: &str, job: &str) -> (StatusCode, Value) {
    let response = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/imports/{endpoint}"))
        .bearer_auth(token)
        .form(&[("job", job)])
        .send()
        .await
        .expect("post to an import endpoint");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The job's status until `done` says so (or two minutes pass: a failure).
pub async fn wait_for(url: &str, token: &str, job: &str, done: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, preview) = post_job(url, token, "status", job).await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        if done(&preview) {
            return preview;
        }
        assert!(
            Instant::now() < until,
            "the import did not get there: {preview}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Uploads, waits for the preview, starts, and waits until the job is over: its last status.
pub async fn import(url: &str, token: &str, bytes: Vec<u8>, mode: &str) -> Value {
    let (status, preview) = upload(url, token, "users.csv", bytes, mode).await;
    assert_eq!(status, StatusCode::CREATED, "{preview}");
    let job = preview["job"]["id"].as_str().unwrap().to_owned();
    wait_for(url, token, &job, |p| p["job"]["state"] == "previewed").await;
    let (status, started) = post_job(url, token, "start", &job).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    wait_for(url, token, &job, |p| is_over(&p["job"]["state"])).await
}

pub fn is_over(state: &Value) -> bool {
    ["done", "cancelled", "failed"].iter().any(|s| state == s)
}

/// `GET /api/users/export.csv`: the response's headers and its body, taken gzipped as a browser
/// takes it (the compression layer reads the stream to its end and past it).
pub async fn export(url: &str, token: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = http_client()
        .gzip(true)
        .build()
        .unwrap()
        .get(format!("{url}/api/users/export.csv"))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    (
        headers,
        response.bytes().await.expect("the whole export").to_vec(),
    )
}

/// A CSV file from rows of cells, quoted as RFC 4180 says.
pub fn csv_file(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}
