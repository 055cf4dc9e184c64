//! Two app servers over one keyspace, as behind a load balancer: a session signed in on one is
//! good on the other, a lockout on one holds on the other, an operator disabled on one is refused
//! by the other at once, and reconcile started on both at once runs once.

use crate::helpers::{http_client, TestDb, PASSWORD};
use crate::server_process::ServerProcess;
use cassandra_users::model::Role;
use futures_util::{stream, StreamExt};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Rows other clients wrote: enough for a reconcile run to take a few seconds.
const ROWS_ELSEWHERE: usize = 2_000;

async fn post(
    http: &Client,
    url: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = http
        .post(url)
        .header(header::ACCEPT, "application/json")
        .form(form);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Signs in on `url` and answers the session cookie (`name=value`).
async fn sign_in(http: &Client, url: &str, username: &str) -> String {
    let response = http
        .post(format!("{url}/api/auth/sign-in"))
        .header(header::ACCEPT, "application/json")
        .form(&[("username", username), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{username} signs in");
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn who(http: &Client, url: &str, cookie: &str) -> Value {
    post(http, &format!("{url}/api/auth/me"), Some(cookie), &[])
        .await
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_sessions_lockouts_disabled_operators_and_run_reconcile_once() {
    let db = TestDb::alone(50).await;
    for (name, role) in [
        ("ada", Role::Admin),
        ("bob", Role::Editor),
        ("eve", Role::Viewer),
    ] {
        db.operator(name, role).await;
    }
    stream::iter(0..ROWS_ELSEWHERE)
        .for_each_concurrent(16, |i| {
            let db = &db;
            async move {
                db.insert_elsewhere(
                    &format!("Row {i}"),
                    &format!("row.{i}@example.com"),
                    Duration::ZERO,
                )
                .await;
            }
        })
        .await;
    let (a, b) = (
        ServerProcess::start(db.keyspace(), &[]),
        ServerProcess::start(db.keyspace(), &[]),
    );
    a.connected().await;
    b.connected().await;
    let http = http_client().build().unwrap();

    // Signed in on A, known on B.
    let ada = sign_in(&http, &a.url, "ada").await;
    assert_eq!(who(&http, &b.url, &ada).await["username"], "ada");

    // Five wrong passwords on A lock bob out on B, the right password too.
    for _ in 0..5 {
        let form = [("username", "bob"), ("password", "not bob's password")];
        post(&http, &format!("{}/api/auth/sign-in", a.url), None, &form).await;
    }
    let form = [("username", "bob"), ("password", PASSWORD)];
    let (status, body) = post(&http, &format!("{}/api/auth/sign-in", b.url), None, &form).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "locked_out", "{body}");

    // Eve, signed in on B, is disabled on A: B refuses her next request.
    let eve = sign_in(&http, &b.url, "eve").await;
    assert_eq!(who(&http, &b.url, &eve).await["username"], "eve");
    let form = [("username", "eve"), ("disabled", "true")];
    let (status, body) = post(
        &http,
        &format!("{}/api/operators/set-disabled", a.url),
        Some(&ada),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = post(&http, &format!("{}/api/users/list", b.url), Some(&eve), &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled operator's session is over on B at once"
    );

    // Reconcile started on both at the same moment: one run, every row walked once.
    let (start_a, start_b) = (
        format!("{}/api/reconcile/start", a.url),
        format!("{}/api/reconcile/start", b.url),
    );
    let ((on_a, _), (on_b, _)) = tokio::join!(
        post(&http, &start_a, Some(&ada), &[]),
        post(&http, &start_b, Some(&ada), &[])
    );
    assert_eq!((on_a, on_b), (StatusCode::OK, StatusCode::OK));
    let until = Instant::now() + Duration::from_secs(240);
    let status = loop {
        let (_, status) = post(
            &http,
            &format!("{}/api/reconcile/status", b.url),
            Some(&ada),
            &[],
        )
        .await;
        if status["running"] == false && status["run"]["finished"] == true {
            break status;
        }
        assert!(Instant::now() < until, "reconcile did not finish: {status}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let runs = db
        .session()
        .query_unpaged(
            format!(
                "SELECT run FROM {}.reconcile_runs WHERE bucket = 0",
                db.keyspace()
            ),
            (),
        )
        .await
        .unwrap()
        .into_rows_result()
        .unwrap()
        .rows_num();
    assert_eq!(runs, 1, "one run, not one per server");
    assert_eq!(
        status["run"]["scanned"], ROWS_ELSEWHERE,
        "each row walked once: {status}"
    );
    assert_eq!(status["run"]["claimed"], ROWS_ELSEWHERE, "{status}");
    drop((a, b));
    db.drop().await;
}
