//! Test helpers: every test gets its own keyspace on the real node that `make test` started.

use cassandra_users::model::Role;
use cassandra_users::server::{
    audit::Actor,
    cassandra::error::describe,
    cassandra::schema::drop_keyspace,
    config::{Config, SignInSettings, WebSettings, DEFAULT_IMPORT_MAX_BYTES},
    operators::SetupCode,
    startup::{app_router, serve},
    users::UserStore,
    Database, Stores,
};
use cassandra_users::validate::validate_new_operator;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use uuid::Uuid;

/// A password that passes the rules, for test operators.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestDb {
    pub stores: Arc<Stores>,
    pub config: Config,
}

impl TestDb {
    /// A new keyspace with the app's schema, and the stores over it.
    pub async fn new(page_size: u16) -> TestDb {
        Self::with(&[("USERS_PAGE_SIZE", page_size.to_string())]).await
    }

    /// Like `new`, over a `users` table made before the app's column constraints (as a table
    /// other clients have been writing to would be), so rows that break them can be written.
    pub async fn without_constraints(page_size: u16) -> TestDb {
        Self::with(&[
            ("USERS_PAGE_SIZE", page_size.to_string()),
            ("CASSANDRA_CONSTRAINTS", "off".to_owned()),
        ])
        .await
    }

    /// Like `new`, with other settings as the app would read them from the environment.
    pub async fn with(overrides: &[(&str, String)]) -> TestDb {
        let config = test_config(overrides);
        let stores = Stores::connect(&config).await.unwrap_or_else(|error| {
            panic!(
                "cannot reach Cassandra at {:?} (start it with `make cassandra-start`): {}",
                config.contact_points,
                describe(&error)
            )
        });
        TestDb {
            stores: Arc::new(stores),
            config,
        }
    }

    pub fn users(&self) -> &UserStore {
        &self.stores.users
    }

    pub fn session(&self) -> &scylla::client::session::Session {
        self.stores.users.session()
    }

    pub fn keyspace(&self) -> &str {
        self.config.keyspace.as_str()
    }

    /// Every user in the keyspace, page by page as the app lists them.
    pub async fn all_users(&self) -> Vec<cassandra_users::model::User> {
        let (mut users, mut after) = (Vec::new(), None);
        loop {
            let page = self.users().list(after).await.expect("list users");
            users.extend(page.users);
            match page.next {
                Some(next) => after = Some(next),
                None => return users,
            }
        }
    }

    /// Writes a row straight into `users` as another client would (the Python quickstart,
    /// cqlsh): no email claim, no audit event. `age` dates the write back, to order rows.
    pub async fn insert_elsewhere(
        &self,
        name: &str,
        email: &str,
        age: std::time::Duration,
    ) -> Uuid {
        let id = Uuid::new_v4();
        let written = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .saturating_sub(age);
        self.session()
            .query_unpaged(
                at_quorum(format!(
                    "INSERT INTO {}.users (id, name, email) VALUES (?, ?, ?) USING TIMESTAMP ?",
                    self.keyspace()
                )),
                (id, name, email, written.as_micros() as i64),
            )
            .await
            .expect("insert a row as another client");
        id
    }

    /// Who holds the claim on this (normalised) email, if anyone.
    pub async fn claim_holder(&self, email: &str) -> Option<Uuid> {
        self.session()
            .query_unpaged(
                at_quorum(format!(
                    "SELECT id FROM {}.users_by_email WHERE email = ?",
                    self.keyspace()
                )),
                (email,),
            )
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .maybe_first_row::<(Option<Uuid>,)>()
            .unwrap()
            .and_then(|(id,)| id)
    }

    /// The usernames of every operator.
    pub async fn operator_names(&self) -> std::collections::HashSet<String> {
        let operators = self.stores.operators.list().await.expect("list operators");
        operators.into_iter().map(|o| o.username).collect()
    }

    /// Adds an operator with this role (password `PASSWORD`), as the CLI would.
    pub async fn operator(&self, username: &str, role: Role) {
        let new = validate_new_operator(username, role.as_str(), PASSWORD, PASSWORD)
            .expect("valid test operator");
        self.stores
            .operators
            .add(&new, &Actor::CommandLine)
            .await
            .expect("add a test operator");
    }

    /// A new operator with this role and an API token that acts as them.
    pub async fn token(&self, role: Role) -> String {
        let username = format!("{}-{}", role, &Uuid::new_v4().simple().to_string()[..8]);
        self.operator(&username, role).await;
        let name = cassandra_users::validate::Username::parse(&username).unwrap();
        self.stores
            .tokens
            .create(&name, "tests", &Actor::CommandLine)
            .await
            .expect("create a test token")
            .secret
    }

    pub async fn drop(self) {
        // Cassandra 6.0-alpha2 refuses to drop a keyspace with Accord tables, and dropping the
        // tables one by one waits minutes for Accord. `make test` removes the 6.0 node's data
        // after its run instead.
        if self.users().uses_transactions() {
            return;
        }
        let session = self.stores.users.session();
        match drop_keyspace(session, &self.config.keyspace).await {
            Ok(()) => {}
            // The drop is applied; a node just restarted on two cores can take longer than the
            // driver's 60 s to apply it too (seen after the cluster's node-kill test). Wait
            // longer, within a bound, rather than fail the test or ignore it.
            Err(scylla::errors::ExecutionError::SchemaAgreementError(first)) => {
                for _ in 0..3 {
                    if session.await_schema_agreement().await.is_ok() {
                        return;
                    }
                }
                panic!("dropped the test keyspace, and the nodes did not agree on it within 4 minutes: {first}");
            }
            Err(error) => panic!("drop the test keyspace: {}", describe(&error)),
        }
    }
}

/// The Cassandra release the tests run against: `make test` sets CASSANDRA_VERSION when it runs
/// them again on Cassandra 6. The default is the dev node's 5.0 line.
pub fn expected_release() -> String {
    std::env::var("CASSANDRA_VERSION").unwrap_or_else(|_| "5.0.".into())
}

/// Whether the node under test runs Accord transactions (Cassandra 6 as `make test` starts it).
pub fn expects_transactions() -> bool {
    expected_release().starts_with('6')
}

/// A statement as another client would send it to `users` or `users_by_email`: at QUORUM,
/// which Cassandra 6's Accord tables require (LOCAL_QUORUM is refused there).
pub fn at_quorum(cql: String) -> scylla::statement::unprepared::Statement {
    let mut statement = scylla::statement::unprepared::Statement::new(cql);
    statement.set_consistency(scylla::statement::Consistency::Quorum);
    statement
}

/// Flushes `table` of the test keyspace to disk on every node and has them estimate its size
/// now (they do every few minutes by themselves), through the repository's node scripts.
pub async fn refresh_estimates(db: &TestDb, table: &str) {
    let on_the_cluster = db
        .config
        .contact_points
        .iter()
        .any(|p| p.starts_with("127.0.1."));
    let script = if on_the_cluster {
        "scripts/cluster.sh"
    } else {
        "scripts/cassandra.sh"
    };
    let (keyspace, table) = (db.keyspace().to_owned(), table.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(script)
            .args(["refresh-estimates", &keyspace, &table])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run the node script")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{script} refresh-estimates failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The configuration the app would read, with a fresh keyspace and the given overrides.
pub fn test_config(overrides: &[(&str, String)]) -> Config {
    let keyspace = format!("it_{}", Uuid::new_v4().simple());
    Config::from_lookup(|name| {
        overrides
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| (name == "CASSANDRA_KEYSPACE").then(|| keyspace.clone()))
            .or_else(|| std::env::var(name).ok())
    })
    .expect("test configuration")
}

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
    };
    spawn_app_with_settings(database, settings).await
}

pub async fn spawn_app_with_settings(database: Database, settings: WebSettings) -> Served {
    let options = LeptosOptions::builder()
        .output_name("cassandra-users")
        .site_root("target/site")
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port");
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
