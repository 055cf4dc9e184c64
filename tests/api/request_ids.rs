//! Every answer names its request (`X-Request-Id`, kept from a proxy when it is plausible), error
//! answers quote that id as their reference, and with `LOG_FORMAT=json` the server logs each
//! request as one JSON line under the same id, with who asked.

use crate::helpers::{http_client, spawn_app, TestDb};
use crate::server_process::ServerProcess;
use cassandra_users::model::Role;
use cassandra_users::server::Database;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .expect("every answer has an X-Request-Id")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_answer_names_its_request_and_keeps_a_proxys_plausible_id() {
    let db = TestDb::new(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Viewer).await;
    let http = http_client().build().unwrap();
    let page = |id: Option<&str>| {
        let mut request = http.get(format!("{url}/")).bearer_auth(&token);
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };

    let (first, second) = (page(None).await.unwrap(), page(None).await.unwrap());
    assert_eq!(first.status(), StatusCode::OK);
    let (first, second) = (request_id(&first), request_id(&second));
    assert_eq!(first.len(), 32, "{first}");
    assert_ne!(first, second, "each request has an id of its own");

    let from_proxy = page(Some("edge-7f3a.42")).await.unwrap();
    assert_eq!(request_id(&from_proxy), "edge-7f3a.42");
    let forged = page(Some("x\" status=200")).await.unwrap();
    let replaced = request_id(&forged);
    assert_ne!(replaced, "x\" status=200");
    assert_eq!(replaced.len(), 32, "{replaced}");
    db.drop().await;
}

#[tokio::test]
async fn an_error_answer_quotes_its_request_id_as_the_reference() {
    let db = TestDb::new(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Viewer).await;
    let http = http_client().build().unwrap();

    let too_short = http
        .post(format!("{url}/api/users/search"))
        .bearer_auth(&token)
        .form(&[("q", "a")])
        .send()
        .await
        .unwrap();
    assert_eq!(too_short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let id = request_id(&too_short);
    let body: Value = too_short.json().await.unwrap();
    assert_eq!(body["reference"], id.as_str(), "{body}");

    let anonymous = http
        .post(format!("{url}/api/users/list"))
        .header("x-request-id", "script-run-9")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["reference"], "script-run-9", "{body}");
    db.drop().await;
}

#[tokio::test]
async fn with_log_format_json_each_request_is_one_json_line_with_its_id_route_status_and_operator()
{
    let db = TestDb::new(50).await;
    let token = db.token(Role::Editor).await;
    let server = ServerProcess::start(db.keyspace(), &[("LOG_FORMAT", "json")]);
    let http = http_client().build().unwrap();
    server.connected().await;

    let user = http
        .get(format!(
            "{}/users/00000000-0000-0000-0000-000000000000",
            server.url
        ))
        .bearer_auth(&token)
        .header("x-request-id", "json-log-check-1")
        .send()
        .await
        .unwrap();
    assert_eq!(request_id(&user), "json-log-check-1");
    let status = user.status().as_u16();

    let line = server
        .line(Duration::from_secs(10), |l| {
            l.contains("json-log-check-1") && l.contains("\"answered\"")
        })
        .await
        .expect("the request was logged");
    let logged: Value = serde_json::from_str(&line).expect("the log line is one JSON object");
    assert_eq!(logged["span"]["id"], "json-log-check-1", "{logged}");
    assert_eq!(logged["method"], "GET", "{logged}");
    assert_eq!(
        logged["route"], "/users/{id}",
        "the route's template, not its path: {logged}"
    );
    assert_eq!(logged["status"], status, "{logged}");
    assert!(logged["latency_ms"].as_f64().is_some(), "{logged}");
    assert_eq!(
        logged["client"], "127.0.0.1",
        "where it came from: {logged}"
    );
    let username = logged["operator"].as_str().unwrap_or_default();
    assert!(username.starts_with("editor-"), "who asked: {logged}");
    assert_eq!(logged["level"], "INFO", "{logged}");

    for line in server.log() {
        assert!(
            serde_json::from_str::<Value>(&line).is_ok(),
            "every line of the log is JSON: {line}"
        );
    }
    drop(server);
    db.drop().await;
}
