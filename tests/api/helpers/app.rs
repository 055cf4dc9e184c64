//! The app under test: the real router on an ephemeral port, and an HTTP client for it.

use cassandra_users::server::{
    config::{SignInSettings, WebSettings, DEFAULT_IMPORT_MAX_BYTES},
    operators::SetupCode,
    startup::{app_router, serve},
    Database,
};
use leptos::prelude::LeptosOptions;

use super::keyspaces::test_config;
use super::TestDb;
use cassandra_users::server::Database as Connected;

/// A running app: its base URL.
pub struct Served {
    pub url: String,
}

/// The real router with the default sign-in settings, on an ephemeral port. Returns its base URL.
pub async fn spawn_app(database: Database) -> String {
    spawn_app_with(database, test_config(&[]).sign_in).await.url
}

pub async fn spawn_app_with(database: Database, sign_in: SignInSettings) -> Served {
    let settings = WebSettings {
        sign_in,
        import_max_bytes: DEFAULT_IMPORT_MAX_BYTES,
        trusted_proxies: Default::default(),
        sso: None,
    };
    spawn_app_with_settings(database, settings).await
}

pub async fn spawn_app_with_settings(database: Database, settings: WebSettings) -> Served {
    spawn_app_on(bind_ephemeral().await, database, settings)
}

/// A listener on an ephemeral port of loopback, for an app whose address must be known before
/// it starts (single sign-on: the provider is told where to send people back).
pub async fn bind_ephemeral() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port")
}

/// The real router with `settings`, serving on `listener`.
pub fn spawn_app_on(
    listener: tokio::net::TcpListener,
    database: Database,
    settings: WebSettings,
) -> Served {
    let options = LeptosOptions::builder()
        .output_name("cassandra-users")
        .site_root("target/site")
        .build();
    let address = listener.local_addr().unwrap();
    let setup = SetupCode::generate(address);
    let app = app_router(options, database, settings, setup);
    tokio::spawn(serve(listener, app, std::future::pending()));
    Served {
        url: format!("http://{address}"),
    }
}

/// How long a test waits for one HTTP answer, body included. The slowest answers of these suites
/// (an export of 10^4 users, a page over a three-node cluster on two cores) take seconds, so a
/// request still unanswered after this has hung: the test fails naming it instead of holding the
/// whole run until CI's limit.
const HTTP_ANSWER_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

/// A client for the app under test that gives up after `HTTP_ANSWER_LIMIT`.
pub fn http_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().timeout(HTTP_ANSWER_LIMIT)
}

/// The real router over `db`'s stores, with its sign-in settings.
pub async fn serve_db(db: &TestDb) -> Served {
    spawn_app_with(
        Connected::connected(db.stores.clone()),
        db.config.sign_in.clone(),
    )
    .await
}

/// A browser-like client: keeps cookies and does not follow redirects.
pub fn browser() -> reqwest::Client {
    http_client()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A form post as a page's script sends it (JSON asked for): the status and the answer, as JSON
/// when it is JSON, else as a JSON string of its text.
pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> (reqwest::StatusCode, serde_json::Value) {
    let response = client
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, value)
}
