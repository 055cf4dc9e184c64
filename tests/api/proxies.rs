//! `TRUSTED_PROXIES`: behind a proxy it trusts, the app takes the client's address and scheme
//! from `X-Forwarded-For` and `X-Forwarded-Proto`; from anyone else it ignores those headers.

use crate::helpers::{http_client, spawn_app_with_settings, test_config, TestDb};
use cassandra_users::model::Role;
use cassandra_users::server::config::{TrustedProxies, WebSettings};
use cassandra_users::server::Database;

async fn start(db: &TestDb, trusted: &str) -> String {
    let settings = WebSettings {
        trusted_proxies: TrustedProxies::parse(trusted).unwrap(),
        ..test_config(&[]).web_settings()
    };
    spawn_app_with_settings(Database::connected(db.stores.clone()), settings)
        .await
        .url
}

/// Whether the setup page would ask this request for the setup code: a server on loopback asks
/// every client except one on loopback.
async fn setup_asks_for_code(url: &str, token: &str, forwarded_for: Option<&str>) -> bool {
    let mut request = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/auth/setup-needs-code"))
        .header("accept", "application/json")
        .bearer_auth(token);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn hsts(url: &str, token: &str, proto: &str) -> bool {
    let response = http_client()
        .build()
        .unwrap()
        .get(format!("{url}/"))
        .bearer_auth(token)
        .header("x-forwarded-proto", proto)
        .send()
        .await
        .unwrap();
    response.headers().contains_key("strict-transport-security")
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_its_scheme_and_anyone_else_cannot() {
    let db = TestDb::new(50).await;
    let token = db.token(Role::Viewer).await;

    let behind_proxy = start(&db, "127.0.0.1").await;
    assert!(
        !setup_asks_for_code(&behind_proxy, &token, None).await,
        "the proxy's own request is local"
    );
    assert!(
        setup_asks_for_code(&behind_proxy, &token, Some("203.0.113.9")).await,
        "a remote client behind the proxy is not local"
    );
    assert!(
        hsts(&behind_proxy, &token, "https").await,
        "the client came over HTTPS"
    );
    assert!(!hsts(&behind_proxy, &token, "http").await);

    let direct = start(&db, "").await;
    assert!(
        !setup_asks_for_code(&direct, &token, Some("203.0.113.9")).await,
        "an untrusted peer's X-Forwarded-For is ignored"
    );
    assert!(
        !hsts(&direct, &token, "https").await,
        "an untrusted peer's X-Forwarded-Proto is ignored"
    );
    db.drop().await;
}

/// Signs in as `username` with a wrong password, from `forwarded_for` if given, and returns what
/// the audit trail says of the attempt.
async fn failed_sign_in_details(db: &TestDb, url: &str, forwarded_for: Option<&str>) -> String {
    let mut request = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/auth/sign-in"))
        .header("accept", "application/json")
        .form(&[
            ("username", db.username("grace").as_str()),
            ("password", "not her password"),
        ]);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
    let grace = db.username("grace");
    let attempt = db
        .find_activity(|event| event.action == "sign-in failed" && event.operator == grace)
        .await
        .expect("the failed sign-in is in the audit trail");
    attempt.details
}

#[tokio::test]
async fn the_audit_trail_says_where_a_sign_in_came_from_as_the_trusted_proxy_says() {
    let db = TestDb::new(50).await;
    db.operator(&db.username("grace"), Role::Viewer).await;

    let behind_proxy = start(&db, "127.0.0.1").await;
    let details = failed_sign_in_details(&db, &behind_proxy, Some("203.0.113.9")).await;
    assert_eq!(details, "wrong username or password from 203.0.113.9");

    let direct = start(&db, "").await;
    let details = failed_sign_in_details(&db, &direct, Some("203.0.113.9")).await;
    assert_eq!(
        details, "wrong username or password from 127.0.0.1",
        "an untrusted peer cannot put another address in the trail"
    );
    db.drop().await;
}
