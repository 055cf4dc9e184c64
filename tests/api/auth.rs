//! Operators over HTTP against the real node: the first administrator, sign-in and sessions,
//! what answers without one, roles, lockout, tokens.

use crate::helpers::{
    browser, http_client, serve_db as start, spawn_app_with, Served, TestDb, PASSWORD,
};
use cassandra_users::model::Role;
use cassandra_users::server::{audit::Actor, Database};
use cassandra_users::validate::Username;
use reqwest::{header, redirect, Client, Response, StatusCode};
use serde_json::Value;
use std::time::Duration;

async fn post(client: &Client, url: &str, form: &[(&str, &str)]) -> Response {
    client
        .post(url)
        .header(header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

async fn sign_in(
    client: &Client,
    app: &Served,
    username: &str,
    password: &str,
) -> (StatusCode, Value) {
    let form = [("username", username), ("password", password)];
    json(post(client, &format!("{}/api/auth/sign-in", app.url), &form).await).await
}

fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|cookie| cookie.starts_with("cassandra_users_session="))
        .map(str::to_owned)
}

#[tokio::test]
async fn the_first_administrator_is_created_once_with_a_good_password() {
    let db = TestDb::alone(50).await;
    let app = start(&db).await;
    let client = browser();

    for page in [
        "/",
        "/sign-in",
        "/users/00000000-0000-0000-0000-000000000000",
    ] {
        let response = client
            .get(format!("{}{page}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(response.headers()[header::LOCATION], "/setup", "{page}");
    }
    let page = client
        .get(format!("{}/setup", app.url))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Create the first administrator"));
    assert!(
        !html.contains("Setup code"),
        "a browser on the server's own machine, with the server on loopback, needs no code"
    );

    let setup = format!("{}/api/auth/setup", app.url);
    let (status, body) = json(
        post(
            &client,
            &setup,
            &[
                ("username", "root"),
                ("password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["password"]
            .as_str()
            .unwrap()
            .contains("at least 12"),
        "{body}"
    );
    let (status, body) = json(
        post(
            &client,
            &setup,
            &[
                ("username", "root"),
                ("password", PASSWORD),
                ("confirm_password", "something else"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["fields"]["confirm_password"],
        "The two passwords are not the same."
    );

    let response = post(
        &client,
        &setup,
        &[
            ("username", "Root"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
    )
    .await;
    assert!(
        session_cookie(&response).is_some(),
        "the new administrator is signed in"
    );
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["username"].as_str(), body["role"].as_str()),
        (Some("root"), Some("admin"))
    );

    let (status, body) = json(client.get(format!("{}/", app.url)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = browser();
    let (status, body) = json(
        post(
            &again,
            &setup,
            &[
                ("username", "second"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "setup_done");
    let response = again
        .get(format!("{}/setup", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/sign-in");
    db.drop().await;
}

#[tokio::test]
async fn off_loopback_the_setup_needs_the_code_from_the_log() {
    let db = TestDb::alone(50).await;
    // Listening on every address: any client, even a local one, may be behind a proxy.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let setup_code =
        cassandra_users::server::operators::SetupCode::generate(listener.local_addr().unwrap());
    let app = cassandra_users::server::startup::app_router(
        leptos::prelude::LeptosOptions::builder()
            .output_name("cassandra-users")
            .site_root("target/site")
            .build(),
        Database::connected(db.stores.clone()),
        db.config.web_settings(),
        setup_code.clone(),
    );
    tokio::spawn(cassandra_users::server::startup::serve(
        listener,
        app,
        std::future::pending(),
    ));
    let url = format!("http://127.0.0.1:{port}");
    let client = browser();

    let html = client
        .get(format!("{url}/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Setup code"));
    let form = |code: &'static str| {
        vec![
            ("username", "root"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
            ("setup_code", code),
        ]
    };
    let (status, body) =
        json(post(&client, &format!("{url}/api/auth/setup"), &form("guess")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["fields"]["setup_code"],
        "That is not the setup code from the server's log."
    );
    assert!(
        !db.stores.operators.any_exists().await.unwrap(),
        "nothing was created"
    );

    let code: &'static str = Box::leak(setup_code.code().to_owned().into_boxed_str());
    let (status, body) =
        json(post(&client, &format!("{url}/api/auth/setup"), &form(code)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    db.drop().await;
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session() {
    let db = TestDb::new(50).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();

    let response = client
        .get(format!("{}/users/x?y=1", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/sign-in?next=%2Fusers%2Fx%3Fy%3D1"
    );

    let form = [
        ("username", ada.as_str()),
        ("password", PASSWORD),
        ("next", "/users/x?y=1"),
    ];
    let response = post(&client, &format!("{}/api/auth/sign-in", app.url), &form).await;
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "not configured for HTTPS: {cookie}"
    );
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(id.len() >= 22, "at least 128 bits: {id}");
    let (status, next) = json(response).await;
    assert_eq!(
        (status, next.as_str()),
        (StatusCode::OK, Some("/users/x?y=1")),
        "back to where they were going"
    );

    let page = client.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Signed in as"));

    // Signing in again gives a new session id; the old one is gone.
    let (status, _) = sign_in(&client, &app, ada.as_str(), PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let stale = http_client()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let response = stale
        .get(format!("{}/", app.url))
        .header(header::COOKIE, format!("cassandra_users_session={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the session before the new sign-in ended"
    );

    let response = client
        .post(format!("{}/api/auth/sign-out", app.url))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/sign-in");
    let page = client.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "signed out");
    db.drop().await;
}

#[tokio::test]
async fn a_new_session_never_takes_over_the_one_whose_id_it_drew() {
    use tower_sessions::session::{Id, Record};
    let db = TestDb::new(50).await;
    let sessions = &db.stores.sessions;
    let record = |id: Id, who: &str| Record {
        id,
        data: [("who".to_owned(), Value::from(who))].into_iter().collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
    };
    let mut first = record(Id::default(), "first");
    sessions.create(&mut first).await.unwrap();
    let mut second = record(first.id, "second");
    sessions.create(&mut second).await.unwrap();
    assert_ne!(
        second.id, first.id,
        "the second session got an id of its own"
    );
    let who = |record: Option<Record>| record.unwrap().data["who"].clone();
    assert_eq!(who(sessions.load(&first.id).await.unwrap()), "first");
    assert_eq!(who(sessions.load(&second.id).await.unwrap()), "second");
}

#[tokio::test]
async fn the_cookie_is_secure_when_configured_for_https() {
    let db = TestDb::with(&[("SESSION_COOKIE_SECURE", "true".into())]).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let response = post(
        &browser(),
        &format!("{}/api/auth/sign-in", app.url),
        &[("username", ada.as_str()), ("password", PASSWORD)],
    )
    .await;
    assert!(session_cookie(&response).unwrap().contains("Secure"));
    db.drop().await;
}

#[tokio::test]
async fn wrong_and_unknown_usernames_get_the_same_answer() {
    let db = TestDb::new(50).await;
    let ada = db.username("ada");
    let nobody = db.username("nobody");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    let (status, mut wrong) = sign_in(&client, &app, ada.as_str(), "not the password at all").await;
    let (status2, mut unknown) =
        sign_in(&client, &app, nobody.as_str(), "not the password at all").await;
    // Each answer names its own request; apart from that they must be the same.
    for answer in [&mut wrong, &mut unknown] {
        let reference = answer.as_object_mut().unwrap().remove("reference");
        assert!(reference.is_some(), "{answer}");
    }
    assert_eq!(
        (status, status2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["message"], "Wrong username or password.");
    db.drop().await;
}

#[tokio::test]
async fn five_failures_lock_a_username_until_the_window_passes() {
    // Long enough that a busy machine makes six sign-ins well within it; the end waits it out.
    const WINDOW: Duration = Duration::from_secs(15);
    let db = TestDb::with(&[("SIGN_IN_LOCKOUT", format!("{}s", WINDOW.as_secs()))]).await;
    let ada = db.username("ada");
    let nobody = db.username("nobody");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    for attempt in 1..=4 {
        let (status, _) = sign_in(&client, &app, ada.as_str(), "wrong password!!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, body) = sign_in(&client, &app, ada.as_str(), "wrong password!!").await;
    // The lock was written before this answer: it ends a window after it at the latest (the
    // five failures themselves took seconds on a busy cluster).
    let locked = tokio::time::Instant::now();
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the fifth failure locks"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Too many failed sign-ins"),
        "{body}"
    );
    let (status, body) = sign_in(&client, &app, ada.as_str(), PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password: {body}"
    );

    // Another app server sees the same lock: it is in Cassandra.
    let other = start(&db).await;
    let (status, _) = sign_in(&browser(), &other, ada.as_str(), PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Unknown usernames lock the same way.
    for _ in 0..5 {
        sign_in(&client, &app, nobody.as_str(), "wrong password!!").await;
    }
    let (status, _) = sign_in(&client, &app, nobody.as_str(), "wrong password!!").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // The lock expires with a TTL in whole seconds, so allow one more.
    tokio::time::sleep_until(locked + WINDOW + Duration::from_secs(2)).await;
    let (status, body) = sign_in(&client, &app, ada.as_str(), PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the lock expired: {body}");
    db.drop().await;
}

#[tokio::test]
async fn sessions_end_after_the_idle_and_the_absolute_timeout() {
    let db = TestDb::with(&[("SESSION_IDLE_TIMEOUT", "3s".into())]).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    sign_in(&client, &app, ada.as_str(), PASSWORD).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let page = client.get(format!("{}/", app.url)).send().await.unwrap();
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "each request renews the idle timeout"
        );
    }
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let page = client.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "idle too long");
    db.drop().await;

    let db = TestDb::with(&[("SESSION_ABSOLUTE_TIMEOUT", "3s".into())]).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    sign_in(&client, &app, ada.as_str(), PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        statuses.push(
            client
                .get(format!("{}/", app.url))
                .send()
                .await
                .unwrap()
                .status(),
        );
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert_eq!(
        statuses[4],
        StatusCode::SEE_OTHER,
        "busy, but past the absolute timeout: {statuses:?}"
    );
    db.drop().await;
}

#[tokio::test]
async fn a_session_survives_an_app_restart_and_works_on_every_app_server() {
    let db = TestDb::new(50).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let first = start(&db).await;
    let response = post(
        &browser(),
        &format!("{}/api/auth/sign-in", first.url),
        &[("username", ada.as_str()), ("password", PASSWORD)],
    )
    .await;
    let cookie = session_cookie(&response).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();

    // A new server process would connect afresh: new stores, same keyspace.
    let config = db.config.clone();
    let stores = cassandra_users::server::Stores::connect(&config)
        .await
        .unwrap();
    let second = spawn_app_with(
        Database::connected(std::sync::Arc::new(stores)),
        config.sign_in,
    )
    .await;
    let page = http_client()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", second.url))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    db.drop().await;
}

/// An API endpoint, a valid form body for it, and the least role it needs.
type Endpoint = (&'static str, &'static [(&'static str, &'static str)], Role);

const ENDPOINTS: &[Endpoint] = &[
    ("users/list", &[], Role::Viewer),
    (
        "users/get",
        &[("id", "00000000-0000-0000-0000-000000000001")],
        Role::Viewer,
    ),
    (
        "users/find",
        &[("email", "nobody@example.com")],
        Role::Viewer,
    ),
    (
        "users/history",
        &[("id", "00000000-0000-0000-0000-000000000001")],
        Role::Viewer,
    ),
    ("activity", &[], Role::Viewer),
    ("cassandra/version", &[], Role::Viewer),
    ("cassandra/info", &[], Role::Viewer),
    ("auth/me", &[], Role::Viewer),
    (
        "users/create",
        &[("name", "Role Test"), ("email", "role@example.com")],
        Role::Editor,
    ),
    (
        "users/update",
        &[
            ("id", "00000000-0000-0000-0000-000000000001"),
            ("name", "A"),
            ("email", "a@example.com"),
        ],
        Role::Editor,
    ),
    (
        "users/delete",
        &[("id", "00000000-0000-0000-0000-000000000001")],
        Role::Editor,
    ),
    ("operators/list", &[], Role::Admin),
    ("reconcile/status", &[], Role::Admin),
    ("reconcile/start", &[], Role::Admin),
    (
        "operators/add",
        &[
            ("username", "new-op"),
            ("role", "viewer"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
        Role::Admin,
    ),
    (
        "operators/set-role",
        &[("username", "nobody"), ("role", "viewer")],
        Role::Admin,
    ),
    (
        "operators/set-disabled",
        &[("username", "nobody"), ("disabled", "true")],
        Role::Admin,
    ),
    (
        "operators/reset-password",
        &[
            ("username", "nobody"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
        Role::Admin,
    ),
    ("tokens/list", &[], Role::Admin),
    ("tokens/create", &[("operator", "nobody")], Role::Admin),
    (
        "tokens/revoke",
        &[("id", "00000000-0000-0000-0000-000000000001")],
        Role::Admin,
    ),
    ("tokens/take-new", &[], Role::Admin),
    (
        "operators/reset-second-factor",
        &[("username", "nobody")],
        Role::Admin,
    ),
    ("security/status", &[], Role::Viewer),
    ("security/authenticator/add", &[], Role::Viewer),
    (
        "security/authenticator/confirm",
        &[("code", "000000")],
        Role::Viewer,
    ),
    ("security/authenticator/remove", &[], Role::Viewer),
    ("security/recovery-codes/create", &[], Role::Viewer),
    ("security/recovery-codes/take-new", &[], Role::Viewer),
    ("security/passkeys/begin", &[], Role::Viewer),
    (
        "security/passkeys/finish",
        &[("name", "key"), ("credential", "{}")],
        Role::Viewer,
    ),
    ("security/passkeys/remove", &[("id", "nope")], Role::Viewer),
];

#[tokio::test]
async fn each_endpoint_answers_401_without_credentials_and_403_below_its_role() {
    let db = TestDb::alone(50).await;
    let app = start(&db).await;
    let anonymous = browser();
    for (endpoint, form, _) in ENDPOINTS {
        let (status, body) =
            json(post(&anonymous, &format!("{}/api/{endpoint}", app.url), form).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint}: {body}");
        assert_eq!(body["error"], "unauthenticated", "{endpoint}");
        assert_eq!(body["message"], "Sign in to continue.", "{endpoint}");
    }
    for role in Role::ALL {
        let token = db.token(role).await;
        for (endpoint, form, needed) in ENDPOINTS {
            let response = anonymous
                .post(format!("{}/api/{endpoint}", app.url))
                .header(header::ACCEPT, "application/json")
                .bearer_auth(&token)
                .form(form)
                .send()
                .await
                .unwrap();
            let (status, body) = json(response).await;
            if role.allows(*needed) && *endpoint == "tokens/create" {
                // A token does not make tokens, whatever its role (second_factor::).
                assert_eq!(body["error"], "needs_second_factor", "{role}: {body}");
            } else if role.allows(*needed) {
                assert!(
                    status != StatusCode::UNAUTHORIZED
                        && status != StatusCode::FORBIDDEN
                        && !status.is_server_error(),
                    "{role} on {endpoint}: {status} {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} on {endpoint}: {body}"
                );
                let message = body["message"].as_str().unwrap();
                assert!(
                    message.contains(&format!("needs the {needed} role")),
                    "{message}"
                );
            }
        }
    }
    db.drop().await;
}

#[tokio::test]
async fn pages_need_a_session_except_sign_in_setup_and_health() {
    let db = TestDb::new(50).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let anonymous = browser();
    for page in [
        "/",
        "/activity",
        "/operators",
        "/tokens",
        "/reconcile",
        "/users/00000000-0000-0000-0000-000000000001",
        "/nowhere",
    ] {
        let response = anonymous
            .get(format!("{}{page}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        assert!(
            response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/sign-in?next="),
            "{page}"
        );
    }
    let sign_in_page = anonymous
        .get(format!("{}/sign-in", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in_page.status(), StatusCode::OK);
    let health = anonymous
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // A viewer reaches the list but not the admin pages, and sees no way to change users.
    let viewer = browser();
    sign_in(&viewer, &app, ada.as_str(), PASSWORD).await;
    let page = viewer.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("Add a user") && !html.contains(">Operators<"),
        "viewer sees only viewing"
    );
    let page = viewer
        .get(format!("{}/operators", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("This page needs the admin role"));
    db.drop().await;
}

#[tokio::test]
async fn tokens_act_as_their_operator_until_revoked_or_disabled() {
    let db = TestDb::new(50).await;
    let app = start(&db).await;
    let client = http_client().build().unwrap();
    let call = |token: String| {
        client
            .post(format!("{}/api/auth/me", app.url))
            .header(header::ACCEPT, "application/json")
            .bearer_auth(token)
            .send()
    };
    let token = db.token(Role::Editor).await;
    let (status, me) = json(call(token.clone()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "editor");
    let owner = Username::parse(me["username"].as_str().unwrap()).unwrap();

    let (status, body) = json(call("cu_not-a-real-token".into()).await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    db.stores
        .operators
        .set_disabled(&owner, true, &Actor::CommandLine)
        .await
        .unwrap();
    assert_eq!(
        call(token.clone()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "disabled"
    );
    db.stores
        .operators
        .set_disabled(&owner, false, &Actor::CommandLine)
        .await
        .unwrap();
    assert_eq!(
        call(token.clone()).await.unwrap().status(),
        StatusCode::OK,
        "enabled again"
    );

    let listed = db.stores.tokens.list().await.unwrap();
    let listed_json = serde_json::to_string(&listed).unwrap();
    assert!(
        !listed_json.contains(&token),
        "the list never holds the secret"
    );
    let id = listed
        .iter()
        .find(|t| t.operator == owner.as_str())
        .unwrap()
        .id;
    db.stores
        .tokens
        .revoke(id, &Actor::CommandLine)
        .await
        .unwrap();
    assert_eq!(
        call(token).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "revoked"
    );
    db.drop().await;
}

#[tokio::test]
async fn static_assets_and_health_do_not_touch_the_session() {
    let db = TestDb::new(50).await;
    let ada = db.username("ada");
    db.operator(ada.as_str(), Role::Viewer).await;
    let app = start(&db).await;
    let client = browser();
    sign_in(&client, &app, ada.as_str(), PASSWORD).await;
    let health = client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        session_cookie(&health).is_none(),
        "no session cookie is renewed for /healthz"
    );
    let page = client.get(format!("{}/", app.url)).send().await.unwrap();
    assert!(
        session_cookie(&page).is_some(),
        "a page renews the session cookie"
    );
    db.drop().await;
}

#[tokio::test]
async fn an_admin_resets_a_password_and_the_old_sessions_end() {
    let db = TestDb::new(50).await;
    let root = db.username("root");
    let ada = db.username("ada");
    db.operator(root.as_str(), Role::Admin).await;
    db.operator(ada.as_str(), Role::Editor).await;
    let app = start(&db).await;
    let (admin, adas_browser) = (browser(), browser());
    sign_in(&admin, &app, root.as_str(), PASSWORD).await;
    sign_in(&adas_browser, &app, ada.as_str(), PASSWORD).await;

    let reset = format!("{}/api/operators/reset-password", app.url);
    let new_password = "a brand new password";
    let (status, body) = json(
        post(
            &admin,
            &reset,
            &[
                ("username", ada.as_str()),
                ("password", new_password),
                ("confirm_password", "typo"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["fields"]["confirm_password"].is_string()),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );
    let (status, _) = json(
        post(
            &admin,
            &reset,
            &[
                ("username", ada.as_str()),
                ("password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let page = adas_browser
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::SEE_OTHER,
        "ada's session ended with the reset"
    );
    assert_eq!(
        sign_in(&adas_browser, &app, ada.as_str(), PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&adas_browser, &app, ada.as_str(), new_password)
            .await
            .0,
        StatusCode::OK
    );

    // An admin cannot lock themselves out.
    let (status, body) = json(
        post(
            &admin,
            &format!("{}/api/operators/set-disabled", app.url),
            &[("username", root.as_str()), ("disabled", "true")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["fields"]["username"],
        "You cannot disable yourself; ask another admin."
    );
    let reset = db
        .find_activity(|e| e.action == "operator password" && e.operator == root)
        .await;
    assert!(reset.is_some(), "the reset is in the activity feed");
    db.drop().await;
}
