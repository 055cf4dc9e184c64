//! What every answer tells the browser: a Content-Security-Policy that lets only this response's
//! nonced scripts run, no framing, no MIME sniffing, no referrer to other sites, HSTS over HTTPS.

use crate::helpers::{http_client, spawn_app_with, TestDb};
use cassandra_users::model::Role;
use cassandra_users::server::config::SignInSettings;
use cassandra_users::server::Database;
use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode};

async fn get(url: &str, token: &str) -> Response {
    http_client()
        .build()
        .unwrap()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).map(|value| value.to_str().unwrap())
}

/// The nonce a Content-Security-Policy allows scripts by.
fn nonce_of(policy: &str) -> &str {
    let start = policy.find("'nonce-").expect("the policy names a nonce") + "'nonce-".len();
    let length = policy[start..].find('\'').unwrap();
    &policy[start..start + length]
}

async fn start(db: &TestDb, https: bool) -> String {
    let sign_in = SignInSettings {
        cookie_secure: https,
        ..db.config.sign_in.clone()
    };
    let database = Database::connected(db.stores.clone());
    spawn_app_with(database, sign_in).await.url
}

#[tokio::test]
async fn a_page_runs_only_the_scripts_that_carry_its_own_nonce() {
    let db = TestDb::new(50).await;
    let url = start(&db, false).await;
    let token = db.token(Role::Viewer).await;

    let mut nonces = Vec::new();
    for _ in 0..2 {
        let response = get(&format!("{url}/"), &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        let policy = header(&headers, header::CONTENT_SECURITY_POLICY)
            .expect("a page has a Content-Security-Policy")
            .to_owned();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(
            header(&headers, header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
        assert_eq!(
            header(&headers, header::REFERRER_POLICY),
            Some("same-origin")
        );
        assert_eq!(header(&headers, header::STRICT_TRANSPORT_SECURITY), None);

        let nonce = nonce_of(&policy).to_owned();
        assert!(nonce.len() >= 16, "a nonce of 128 bits, not {nonce:?}");
        let html = response.text().await.unwrap();
        let scripts: Vec<&str> = html
            .split("<script")
            .skip(1)
            .map(|tag| &tag[..tag.find('>').unwrap()])
            .collect();
        assert!(!scripts.is_empty(), "the page has its hydration scripts");
        for script in scripts {
            assert!(
                script.contains(&format!("nonce=\"{nonce}\"")),
                "every script carries the response's nonce: <script{script}>"
            );
        }
        nonces.push(nonce);
    }
    assert_ne!(
        nonces[0], nonces[1],
        "every response has a nonce of its own"
    );
    db.drop().await;
}

#[tokio::test]
async fn json_answers_and_errors_carry_the_headers_too_and_https_adds_hsts() {
    let db = TestDb::new(50).await;
    let url = start(&db, true).await;
    let token = db.token(Role::Viewer).await;

    let list = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/users/list"))
        .bearer_auth(&token)
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let unauthenticated = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/users/list"))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let page = get(&format!("{url}/"), &token).await;

    for response in [list, unauthenticated, page] {
        let headers = response.headers();
        assert_eq!(
            header(headers, header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff")
        );
        assert!(header(headers, header::CONTENT_SECURITY_POLICY).is_some());
        assert_eq!(
            header(headers, header::STRICT_TRANSPORT_SECURITY),
            Some("max-age=31536000"),
            "served over HTTPS (SESSION_COOKIE_SECURE=true): {}",
            response.url()
        );
    }
    db.drop().await;
}
