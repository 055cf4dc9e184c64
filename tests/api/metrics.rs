//! `/metrics` in Prometheus' format: requests by route and status with their latency, Cassandra's
//! requests, errors and nodes, sign-ins by outcome. Served on its own address, and on the app's
//! port only to the scrape token; not at all when neither is set.

use crate::helpers::{http_client, spawn_app, TestDb};
use crate::server_process::ServerProcess;
use cassandra_users::model::Role;
use cassandra_users::server::Database;
use reqwest::StatusCode;

const SCRAPE_TOKEN: &str = "scrape-token-0123456789";

/// The value of the first sample of `family` whose labels include every one of `labels`.
fn sample(text: &str, family: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(family)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_cassandra_and_sign_ins_for_the_token_or_on_their_own_address() {
    let db = TestDb::new(50).await;
    let token = db.token(Role::Editor).await;
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_address = format!("127.0.0.1:{metrics_port}");
    let server = ServerProcess::start(
        db.keyspace(),
        &[
            ("METRICS_TOKEN", SCRAPE_TOKEN),
            ("METRICS_ADDR", metrics_address.as_str()),
        ],
    );
    server.connected().await;
    let http = http_client().build().unwrap();

    let created = http
        .post(format!("{}/api/users/create", server.url))
        .bearer_auth(&token)
        .form(&[
            ("name", "Counted Once"),
            ("email", &db.email("counted.once")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);
    let failed = http
        .post(format!("{}/api/auth/sign-in", server.url))
        .header("accept", "application/json")
        .form(&[
            ("username", db.username("nobody-here").as_str()),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);

    let public = format!("{}/metrics", server.url);
    let anonymous = http.get(&public).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let operator = http.get(&public).bearer_auth(&token).send().await.unwrap();
    assert_eq!(
        operator.status(),
        StatusCode::UNAUTHORIZED,
        "an operator's token is not the scrape token"
    );
    let scraped = http
        .get(&public)
        .bearer_auth(SCRAPE_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = scraped.text().await.unwrap();

    let creates = sample(
        &text,
        "http_requests_total",
        &[
            r#"route="/api/users/create""#,
            r#"status="200""#,
            r#"method="POST""#,
        ],
    );
    assert_eq!(creates, Some(1.0), "{text}");
    let timed = sample(
        &text,
        "http_request_duration_seconds_count",
        &[r#"route="/api/users/create""#],
    );
    assert_eq!(timed, Some(1.0), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "a histogram: {text}"
    );
    assert!(
        sample(&text, "cassandra_requests_total", &[]).unwrap_or_default() > 0.0,
        "{text}"
    );
    assert!(
        sample(&text, "cassandra_nodes", &[r#"state="connected""#]).unwrap_or_default() >= 1.0,
        "{text}"
    );
    assert_eq!(sample(&text, "cassandra_ready", &[]), Some(1.0), "{text}");
    for kind in ["unavailable", "timeout", "other"] {
        let label = format!(r#"kind="{kind}""#);
        assert!(
            sample(&text, "cassandra_errors_total", &[&label]).is_some(),
            "{kind}: {text}"
        );
    }
    assert_eq!(
        sample(&text, "sign_ins_total", &[r#"outcome="failed""#]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "sign_ins_total", &[r#"outcome="succeeded""#]),
        Some(0.0),
        "{text}"
    );

    let own = http
        .get(format!("http://{metrics_address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::OK,
        "no token on the metrics' own address"
    );
    let text = own.text().await.unwrap();
    assert!(
        sample(
            &text,
            "http_requests_total",
            &[r#"route="/api/users/create""#]
        )
        .is_some(),
        "{text}"
    );
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn without_metrics_settings_there_are_no_metrics_on_the_public_port() {
    let db = TestDb::new(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Admin).await;
    let response = http_client()
        .build()
        .unwrap()
        .get(format!("{url}/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response
        .text()
        .await
        .unwrap()
        .contains("http_requests_total"));
    db.drop().await;
}
