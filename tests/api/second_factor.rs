//! Second factors over HTTP against the real node: an authenticator app added and asked for at
//! every password sign-in, a code accepted once, recovery codes, wrong codes locking the
//! username, `REQUIRE_MFA`, API tokens made only by a sign-in that passed one, and a server
//! without a key to seal secrets with.

use crate::helpers::{
    browser, http_client, post_form, serve_db as start, spawn_app_with, with_authenticator, Phone,
    Served, TestDb, PASSWORD,
};
use cassandra_users::model::Role;
use cassandra_users::server::Database;
use reqwest::{header, Client, StatusCode};
use serde_json::Value;

async fn post(
    client: &Client,
    app: &Served,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    post_form(client, &format!("{}{path}", app.url), form).await
}

async fn sign_in(client: &Client, app: &Served, username: &str) -> (StatusCode, Value) {
    let form = [("username", username), ("password", PASSWORD)];
    post(client, app, "/api/auth/sign-in", &form).await
}

async fn verify(client: &Client, app: &Served, code: &str) -> (StatusCode, Value) {
    post(client, app, "/api/auth/second-factor", &[("code", code)]).await
}

async fn page_status(client: &Client, app: &Served, path: &str) -> (StatusCode, String) {
    let response = client
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

#[tokio::test]
async fn an_authenticator_app_is_asked_for_after_the_password_and_each_code_works_once() {
    let db = TestDb::new(50).await;
    let username = db.username("totp");
    db.operator(&username, Role::Editor).await;
    let app = start(&db).await;
    let client = browser();
    let mut phone = with_authenticator(&client, &app, &username).await;
    let (_, status) = post(&client, &app, "/api/security/status", &[]).await;
    assert!(status["authenticator_added"].is_string(), "{status}");

    post(&client, &app, "/api/auth/sign-out", &[]).await;
    let (status, next) = sign_in(&client, &app, &username).await;
    assert_eq!(
        (status, next),
        (StatusCode::OK, Value::from("/sign-in/code?next=%2F"))
    );
    assert_eq!(
        page_status(&client, &app, "/").await.0,
        StatusCode::SEE_OTHER,
        "not signed in before the code"
    );
    let (status, answer) = verify(&client, &app, &phone.wrong_code()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("not right"), "{answer}");
    let code = phone.fresh_code();
    assert_eq!(
        verify(&client, &app, &code).await,
        (StatusCode::OK, Value::from("/"))
    );
    assert_eq!(page_status(&client, &app, "/").await.0, StatusCode::OK);

    // The same code again, on a new sign-in (another browser, as an onlooker would), is refused.
    let other = browser();
    sign_in(&other, &app, &username).await;
    let (status, answer) = verify(&other, &app, &phone.last_code()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("used already"), "{answer}");
    let event = db
        .find_activity(|e| e.operator == username && e.action == "second factor add")
        .await;
    assert!(event.is_some(), "adding the app is in the audit trail");

    // Removed, the password alone signs in again.
    let (status, _) = post(&client, &app, "/api/security/authenticator/remove", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let fresh = browser();
    assert_eq!(
        sign_in(&fresh, &app, &username).await,
        (StatusCode::OK, Value::from("/"))
    );
    db.drop().await;
}

#[tokio::test]
async fn a_recovery_code_works_once_and_wrong_codes_lock_the_username() {
    let db = TestDb::new(50).await;
    let username = db.username("recovery");
    db.operator(&username, Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    let phone = with_authenticator(&client, &app, &username).await;
    let (status, codes) = post(&client, &app, "/api/security/recovery-codes/create", &[]).await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);

    let browser_a = browser();
    sign_in(&browser_a, &app, &username).await;
    let typed = codes[0].to_lowercase().replace('-', " ");
    assert_eq!(
        verify(&browser_a, &app, &typed).await,
        (StatusCode::OK, Value::from("/"))
    );
    let (_, status) = post(&browser_a, &app, "/api/security/status", &[]).await;
    assert_eq!(status["recovery_codes_left"], 9, "{status}");

    let browser_b = browser();
    sign_in(&browser_b, &app, &username).await;
    let (status, answer) = verify(&browser_b, &app, &codes[0]).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a recovery code works once: {answer}"
    );
    for _ in 0..3 {
        let (status, _) = verify(&browser_b, &app, &phone.wrong_code()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The fifth failure locks the username; then even a good code is refused.
    let (status, answer) = verify(&browser_b, &app, "ZZZZ-ZZZZ-ZZZZ-ZZZZ").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    let (status, _) = verify(&browser_b, &app, &codes[1]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    db.drop().await;
}

#[tokio::test]
async fn with_require_mfa_an_operator_without_a_second_factor_reaches_only_the_security_page() {
    let db = TestDb::new(50).await;
    let username = db.username("required");
    db.operator(&username, Role::Editor).await;
    let token = db.token(Role::Editor).await;
    let mut settings = db.config.sign_in.clone();
    settings.require_mfa = true;
    let app = spawn_app_with(Database::connected(db.stores.clone()), settings).await;
    let client = browser();
    assert_eq!(sign_in(&client, &app, &username).await.0, StatusCode::OK);
    assert_eq!(
        page_status(&client, &app, "/").await,
        (StatusCode::SEE_OTHER, "/security?required".to_owned())
    );
    let (status, answer) = post(&client, &app, "/api/users/list", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer.to_string().contains("Security page"), "{answer}");
    assert_eq!(
        page_status(&client, &app, "/security").await.0,
        StatusCode::OK
    );
    // Scripts' tokens are not sessions: unchanged.
    let scripted = http_client()
        .build()
        .unwrap()
        .post(format!("{}/api/users/list", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), StatusCode::OK);

    let (_, setup) = post(&client, &app, "/api/security/authenticator/add", &[]).await;
    let mut phone = Phone::from_setup(&setup, &username);
    let code = phone.fresh_code();
    let (status, _) = post(
        &client,
        &app,
        "/api/security/authenticator/confirm",
        &[("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page_status(&client, &app, "/").await.0,
        StatusCode::OK,
        "the session has passed a second factor now"
    );
    db.drop().await;
}

#[tokio::test]
async fn without_a_secrets_key_adding_an_authenticator_app_says_what_is_missing() {
    let db = TestDb::with(&[("SECRETS_KEY_FILE", String::new())]).await;
    let username = db.username("nokey");
    db.operator(&username, Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    sign_in(&client, &app, &username).await;
    let (status, answer) = post(&client, &app, "/api/security/authenticator/add", &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer.to_string().contains("SECRETS_KEY_FILE"), "{answer}");
    db.drop().await;
}

#[tokio::test]
async fn an_admin_or_the_command_line_resets_the_second_factor_of_someone_who_lost_their_phone() {
    let db = TestDb::new(50).await;
    let (alice, bob) = (db.username("lost-a"), db.username("lost-b"));
    db.operator(&alice, Role::Viewer).await;
    db.operator(&bob, Role::Viewer).await;
    let admin_token = db.token(Role::Admin).await;
    let app = start(&db).await;
    for who in [&alice, &bob] {
        with_authenticator(&browser(), &app, who).await;
        let (_, next) = sign_in(&browser(), &app, who).await;
        assert_eq!(next, Value::from("/sign-in/code?next=%2F"));
    }

    let reset = http_client()
        .build()
        .unwrap()
        .post(format!("{}/api/operators/reset-second-factor", app.url))
        .bearer_auth(&admin_token)
        .header(header::ACCEPT, "application/json")
        .form(&[("username", alice.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(
        sign_in(&browser(), &app, &alice).await,
        (StatusCode::OK, Value::from("/"))
    );
    let audited = db
        .find_activity(|e| e.action == "second factor remove" && e.details.contains(&alice))
        .await;
    assert!(audited.is_some(), "the reset is in the audit trail");

    let cli = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
            .args(["operator", "mfa-reset", name])
            .env("CASSANDRA_KEYSPACE", db.keyspace())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let output = cli(&bob);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        sign_in(&browser(), &app, &bob).await,
        (StatusCode::OK, Value::from("/"))
    );
    let unknown = cli("nobody-is-called-this");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr)
        .contains("no operator is called nobody-is-called-this"));
    db.drop().await;
}

#[tokio::test]
async fn creating_an_api_token_needs_a_sign_in_that_passed_a_second_factor() {
    let db = TestDb::new(50).await;
    let admin = db.username("token-maker");
    db.operator(&admin, Role::Admin).await;
    let app = start(&db).await;
    let create = [("operator", admin.as_str()), ("label", "deploy")];
    let refused_for_lack_of_a_factor = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"], "needs_second_factor", "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("Creating an API token needs a sign-in with a second factor"),
            "{message}"
        );
        assert!(message.contains("/security"), "{message}");
    };

    // The password alone: refused, with what to do.
    let password_only = browser();
    assert_eq!(
        sign_in(&password_only, &app, &admin).await,
        (StatusCode::OK, Value::from("/"))
    );
    refused_for_lack_of_a_factor(post(&password_only, &app, "/api/tokens/create", &create).await);

    // Adding an authenticator app proves a factor in that session.
    let adding = browser();
    let mut phone = with_authenticator(&adding, &app, &admin).await;
    let (status, token) = post(&adding, &app, "/api/tokens/create", &create).await;
    assert_eq!(status, StatusCode::OK, "{token}");

    // So does giving the code at the next sign-in; the password-only session stays refused.
    let with_code = browser();
    sign_in(&with_code, &app, &admin).await;
    assert_eq!(
        verify(&with_code, &app, &phone.fresh_code()).await,
        (StatusCode::OK, Value::from("/"))
    );
    let (status, body) = post(&with_code, &app, "/api/tokens/create", &create).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    refused_for_lack_of_a_factor(post(&password_only, &app, "/api/tokens/create", &create).await);

    // A token, even an admin's, does not make tokens.
    let response = http_client()
        .build()
        .unwrap()
        .post(format!("{}/api/tokens/create", app.url))
        .header(header::ACCEPT, "application/json")
        .bearer_auth(token["secret"].as_str().unwrap())
        .form(&create)
        .send()
        .await
        .unwrap();
    let status = response.status();
    refused_for_lack_of_a_factor((status, response.json().await.unwrap()));
    db.drop().await;
}
