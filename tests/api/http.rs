//! The real router on an ephemeral port, called over HTTP the way a script or a browser would.

use crate::helpers::{
    expected_release, expects_transactions, http_client, spawn_app, test_config, TestDb,
};
use cassandra_users::model::Role;
use cassandra_users::server::{audit::Actor, Database};
use reqwest::{header, redirect, Client, StatusCode};
use serde_json::Value;

const CLI: Actor = Actor::CommandLine;

struct App {
    url: String,
    client: Client,
    db: TestDb,
}

impl App {
    /// The app over the shared keyspace.
    async fn start() -> App {
        Self::over(TestDb::new(50).await).await
    }

    /// The app over a keyspace of its own, for a test that looks at a whole page of users.
    async fn alone() -> App {
        Self::over(TestDb::alone(50).await).await
    }

    async fn over(db: TestDb) -> App {
        let url = spawn_app(Database::connected(db.stores.clone())).await;
        // Scripts authenticate with an API token; an editor's may change users.
        let token = db.token(Role::Editor).await;
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        // Bodies as they travel: the compression tests look at the encoded bytes.
        let client = http_client()
            .no_gzip()
            .redirect(redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        App { url, client, db }
    }

    /// A form post as a script sends it: URL-encoded body, JSON answer.
    async fn post(&self, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/{endpoint}", self.url))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{endpoint} answered {status} with non-JSON: {text}"));
        (status, json)
    }
}

#[tokio::test]
async fn every_endpoint_works_with_good_input() {
    let app = App::alone().await;
    let (status, created) = app
        .post(
            "users/create",
            &[("name", "Ada"), ("email", "Ada@Example.com")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["email"], "ada@example.com");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, page) = app.post("users/list", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["users"][0]["id"], id.as_str());
    assert_eq!(page["next"], Value::Null);

    let (status, found) = app
        .post("users/find", &[("email", " ADA@example.com")])
        .await;
    assert_eq!(
        (status, found["id"].as_str()),
        (StatusCode::OK, Some(id.as_str()))
    );

    let (status, fetched) = app.post("users/get", &[("id", &id)]).await;
    assert_eq!(
        (status, fetched["name"].as_str()),
        (StatusCode::OK, Some("Ada"))
    );

    let (status, updated) = app
        .post(
            "users/update",
            &[
                ("id", &id),
                ("name", "Ada King"),
                ("email", "ada@king.example"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "Ada King");

    let (status, _) = app.post("users/delete", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, gone) = app.post("users/get", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(gone["error"], "not_found");

    let (status, version) = app.post("cassandra/version", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(version.as_str().unwrap().starts_with(&expected_release()));
    let (status, info) = app.post("cassandra/info", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["transactions"], expects_transactions());
    app.db.drop().await;
}

#[tokio::test]
async fn validation_failures_are_422_with_a_message_per_field() {
    let app = App::start().await;
    let not_an_email = format!("not-an-email.{}", app.db.tag);
    let (status, body) = app
        .post("users/create", &[("name", "  "), ("email", &not_an_email)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
    assert_eq!(body["fields"]["name"], "Enter a name.");
    assert!(body["fields"]["email"].as_str().unwrap().contains("@"));

    let long_name = "n".repeat(101);
    let email = app.db.email("a");
    let (status, body) = app
        .post("users/create", &[("name", &long_name), ("email", &email)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["fields"]["name"],
        "The name is 101 characters long; the limit is 100."
    );
    assert!(body["fields"].get("email").is_none());

    let (status, body) = app.post("users/find", &[("email", "nope")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["email"].is_string());
    let (status, body) = app
        .post("users/find", &[("email", &app.db.email("nobody"))])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    let (status, _) = app.post("users/list", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        app.db.rows_with_email(&not_an_email).await.is_empty()
            && app.db.rows_with_email(&email).await.is_empty(),
        "nothing invalid was stored"
    );
    app.db.drop().await;
}

#[tokio::test]
async fn a_taken_email_is_409() {
    let app = App::start().await;
    app.post(
        "users/create",
        &[("name", "Ada"), ("email", &app.db.email("ada"))],
    )
    .await;
    let (status, body) = app
        .post(
            "users/create",
            &[("name", "Eve"), ("email", &app.db.email("ADA"))],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "email_taken");
    assert_eq!(body["message"], "That email is already in use");
    app.db.drop().await;
}

#[tokio::test]
async fn a_save_or_delete_against_values_that_changed_is_409_with_the_current_values() {
    let app = App::start().await;
    let (opened, second_email) = (app.db.email("opened"), app.db.email("second"));
    let (_, user) = app
        .post("users/create", &[("name", "Opened"), ("email", &opened)])
        .await;
    let id = user["id"].as_str().unwrap();
    let shown = [("expected_name", "Opened"), ("expected_email", &opened)];
    let mut first = vec![("id", id), ("name", "First"), ("email", &opened)];
    first.extend(shown);
    assert_eq!(app.post("users/update", &first).await.0, StatusCode::OK);

    let mut second = vec![("id", id), ("name", "Second"), ("email", &second_email)];
    second.extend(shown);
    let (status, body) = app.post("users/update", &second).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "conflict");
    assert_eq!(
        body["message"],
        "Someone changed this user since you opened it"
    );
    assert_eq!(body["current"]["name"], "First");
    assert_eq!(body["current"]["email"], opened.as_str());

    let mut delete = vec![("id", id)];
    delete.extend(shown);
    let (status, body) = app.post("users/delete", &delete).await;
    assert_eq!(
        (status, body["current"]["name"].as_str()),
        (StatusCode::CONFLICT, Some("First"))
    );
    let (status, body) = app
        .post("users/delete", &[("id", id), ("expected_name", "First")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        app.db.users().get(id.parse().unwrap()).await.unwrap().name,
        "First"
    );
    app.db.drop().await;
}

#[tokio::test]
async fn malformed_requests_get_a_4xx_with_a_message_never_a_500() {
    let app = App::start().await;
    for (endpoint, form) in [
        ("users/create", vec![("name", "Ada")]), // missing field
        (
            "users/update",
            vec![
                ("id", "not-a-uuid"),
                ("name", "A"),
                ("email", "a@example.com"),
            ],
        ),
        ("users/delete", vec![("id", "12345")]),
        ("users/get", vec![]),
        ("users/list", vec![("after", "garbage")]),
    ] {
        let (status, body) = app.post(endpoint, &form).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{endpoint} {form:?}: {body}"
        );
        assert_eq!(body["error"], "bad_request");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("The request was malformed: "),
            "{body}"
        );
    }
    let response = app
        .client
        .post(format!("{}/api/users/create", app.url))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x00])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_client_error(),
        "binary garbage: {}",
        response.status()
    );
    app.db.drop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = App::start().await;
    let huge = "x".repeat(64 * 1024);
    let email = app.db.email("a");
    let response = app
        .client
        .post(format!("{}/api/users/create", app.url))
        .form(&[("name", huge.as_str()), ("email", &email)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["error"], "too_large");
    assert!(
        json["message"].as_str().unwrap().contains("16 KiB at most"),
        "{json}"
    );
    assert!(app.db.rows_with_email(&email).await.is_empty());
    app.db.drop().await;
}

#[tokio::test]
async fn cross_site_posts_are_rejected_and_scripts_are_not() {
    let app = App::start().await;
    let mallory = app.db.email("mallory");
    let post = |origin: Option<&str>| {
        let mut request = app
            .client
            .post(format!("{}/api/users/create", app.url))
            .form(&[("name", "Mallory"), ("email", &mallory)]);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.send()
    };
    let response = post(Some("http://evil.example")).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("other sites"));
    assert!(
        app.db.rows_with_email(&mallory).await.is_empty(),
        "the cross-site post changed nothing"
    );

    let same_origin = app.url.clone();
    assert_eq!(
        post(Some(&same_origin)).await.unwrap().status(),
        StatusCode::OK
    );
    app.db
        .stores
        .users
        .delete(app.db.rows_with_email(&mallory).await[0], None, &CLI)
        .await
        .unwrap();
    assert_eq!(
        post(None).await.unwrap().status(),
        StatusCode::OK,
        "a script without Origin is allowed"
    );
    app.db.drop().await;
}

#[tokio::test]
async fn plain_form_posts_are_redirected_back_to_a_page() {
    let app = App::start().await;
    let form_post = |form: Vec<(&'static str, String)>| {
        app.client
            .post(format!("{}/api/users/create", app.url))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, format!("{}/", app.url))
            .form(&form)
            .send()
    };
    let ok = form_post(vec![("name", "Ada".into()), ("email", app.db.email("ada"))])
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let location = ok.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/?added="), "{location}");

    let bad = form_post(vec![("name", "Eve".into()), ("email", app.db.email("ada"))])
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FOUND);
    let location = bad.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        location.contains("__err="),
        "the error travels back to the form: {location}"
    );
    app.db.drop().await;
}

#[tokio::test]
async fn pages_render_user_text_as_text() {
    // It reads the first page of users: a keyspace of its own.
    let app = App::alone().await;
    app.post(
        "users/create",
        &[
            ("name", "<script>alert(1)</script>"),
            ("email", "xss@example.com"),
        ],
    )
    .await;
    let html = app
        .client
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the name is escaped"
    );
    assert!(!html.contains("<script>alert(1)</script>"));
    // The email may wrap after its @ and before its dots (<wbr>), never inside a word.
    assert!(html.replace("<wbr>", "").contains("xss@example.com"));
    app.db.drop().await;
}

#[tokio::test]
async fn pages_and_json_are_compressed_when_the_client_accepts_it() {
    let app = App::start().await;
    for i in 0..30 {
        let email = app.db.email(&format!("compressed{i}"));
        app.post(
            "users/create",
            &[("name", "Compressed User"), ("email", &email)],
        )
        .await;
    }
    for (method, path) in [
        (reqwest::Method::GET, "/"),
        (reqwest::Method::POST, "/api/users/list"),
    ] {
        let size = |encoding: &'static str| {
            let request = app
                .client
                .request(method.clone(), format!("{}{path}", app.url))
                .header(header::ACCEPT_ENCODING, encoding)
                .header(header::ACCEPT, "application/json");
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                let used = response
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str().unwrap().to_owned());
                (used, response.bytes().await.unwrap().len())
            }
        };
        let (plain_encoding, plain) = size("identity").await;
        let (br_encoding, br) = size("br").await;
        let (gzip_encoding, gzip) = size("gzip").await;
        assert_eq!(plain_encoding, None, "{path}");
        assert_eq!(br_encoding.as_deref(), Some("br"), "{path}");
        assert_eq!(gzip_encoding.as_deref(), Some("gzip"), "{path}");
        assert!(
            br * 2 < plain && gzip * 2 < plain,
            "{path}: {plain} B plain, {br} B br, {gzip} B gzip"
        );
    }
    app.db.drop().await;
}

#[tokio::test]
async fn healthz_is_200_with_a_database() {
    let app = App::start().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains(&format!("Cassandra {}", expected_release())));
    app.db.drop().await;
}

#[tokio::test]
async fn without_a_database_the_server_still_answers_503_and_renders_the_sign_in_page() {
    // Nothing listens on port 1: the app keeps trying in the background.
    let config = test_config(&[("CASSANDRA_CONTACT_POINTS", "127.0.0.1:1".into())]);
    let url = spawn_app(cassandra_users::server::startup::connect_in_background(
        config,
    ))
    .await;
    let client = http_client()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();

    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);

    // A script with a token: the token cannot be checked, so the answer is "unavailable".
    let response = client
        .post(format!("{url}/api/users/create"))
        .header(header::ACCEPT, "application/json")
        .bearer_auth("cu_some-token")
        .form(&[("name", "Ada"), ("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    // The person can quote the request, and the server logged the cause under that id.
    assert_eq!(body["reference"], id.as_str());
    let message = body["message"].as_str().unwrap();
    assert!(
        message.ends_with(&format!("(reference: {id})")),
        "{message}"
    );

    let page = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[header::LOCATION], "/sign-in?next=%2F");
    let sign_in = client.get(format!("{url}/sign-in")).send().await.unwrap();
    assert_eq!(sign_in.status(), StatusCode::OK);

    let attempt = client
        .post(format!("{url}/api/auth/sign-in"))
        .header(header::ACCEPT, "application/json")
        .form(&[("username", "ada"), ("password", "whatever it is")])
        .send()
        .await
        .unwrap();
    assert_eq!(attempt.status(), StatusCode::SERVICE_UNAVAILABLE);
    let id = attempt.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = attempt.json().await.unwrap();
    assert_eq!(
        body["message"],
        format!("The database is unavailable — nothing was saved. Try again in a moment. (reference: {id})")
    );
}

#[tokio::test]
async fn searches_that_are_too_short_or_too_long_are_422_with_a_message() {
    let app = App::start().await;
    for (q, said) in [
        ("m", "at least 2"),
        ("a b", "of a word"),
        (&"x".repeat(101) as &str, "at most 100"),
    ] {
        let (status, json) = app.post("users/search", &[("q", q)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {json}");
        let message = json["fields"]["q"].as_str().unwrap_or_default();
        assert!(message.contains(said), "{q}: {json}");
    }
    let (status, json) = app
        .post("users/search", &[("q", "ma"), ("after", "garbage")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    let nobody = format!("nobody{}", app.db.tag);
    let (status, json) = app.post("users/search", &[("q", &nobody)]).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(
        json,
        serde_json::json!({"users": [], "next": null, "previous": null})
    );
    app.db.drop().await;
}

/// Building a router lists the app's routes by rendering the app once, and while that runs
/// Leptos holds back the data loading of every page rendered anywhere in the process
/// (leptos#4773): a user's page asked for then never answered. Pages keep answering however many
/// routers the process builds (these tests build one each; an embedding program may too).
#[tokio::test]
async fn pages_answer_while_the_process_builds_more_routers() {
    use cassandra_users::server::{operators::SetupCode, startup::app_router};
    use leptos::prelude::LeptosOptions;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    use std::sync::Arc;

    let app = App::start().await;
    let name = format!("Rowan {}", app.db.tag);
    let (status, created) = app
        .post(
            "users/create",
            &[("name", &name), ("email", &app.db.email("rowan"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    /// Stops the builder when the test ends, however it ends.
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Relaxed);
        }
    }
    let (stop, built) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let _stop_the_builder = Stop(stop.clone());
    let builder = std::thread::spawn({
        let (stop, built) = (stop.clone(), built.clone());
        let settings = test_config(&[]).web_settings();
        move || {
            while !stop.load(Relaxed) {
                let options = LeptosOptions::builder()
                    .output_name("cassandra-users")
                    .site_root("target/site")
                    .build();
                let setup = SetupCode::generate("127.0.0.1:1".parse().unwrap());
                drop(app_router(
                    options,
                    Database::default(),
                    settings.clone(),
                    setup,
                ));
                built.fetch_add(1, Relaxed);
            }
        }
    });
    let mut pages = 0;
    while pages < 20 || built.load(Relaxed) < 20 {
        let response = app
            .client
            .get(format!("{}/users/{id}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.text().await.unwrap().contains(&name));
        pages += 1;
    }
    stop.store(true, Relaxed);
    builder.join().unwrap();
    app.db.drop().await;
}
