//! Test helpers: every test gets its own keyspace on the real node that `make test` started.
#![allow(dead_code)] // each test file uses a different part

use cassandra_users::server::{
    config::Config,
    connect,
    db::drop_keyspace,
    http::{router, serve},
    store::UserStore,
    Database,
};
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use uuid::Uuid;

pub struct TestDb {
    pub store: Arc<UserStore>,
    pub config: Config,
}

impl TestDb {
    /// A new keyspace with the app's schema, and a store over it.
    pub async fn new(page_size: u16) -> TestDb {
        let config = test_config(&[("USERS_PAGE_SIZE", page_size.to_string())]);
        let store = connect(&config).await.unwrap_or_else(|error| {
            panic!(
                "cannot reach Cassandra at {:?} (start it with `make cassandra-start`): {error}",
                config.contact_points
            )
        });
        TestDb {
            store: Arc::new(store),
            config,
        }
    }

    pub fn session(&self) -> &scylla::client::session::Session {
        self.store.session()
    }

    pub fn keyspace(&self) -> &str {
        self.config.keyspace.as_str()
    }

    pub async fn drop(self) {
        drop_keyspace(self.store.session(), &self.config.keyspace)
            .await
            .expect("drop the test keyspace");
    }
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

/// The real router, served on an ephemeral port. Returns its base URL.
pub async fn spawn_app(database: Database) -> String {
    let options = LeptosOptions::builder()
        .output_name("cassandra-users")
        .site_root("target/site")
        .build();
    let app = router(options, database);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port");
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, std::future::pending()));
    format!("http://{address}")
}
