//! Where a test's data lives. Making a keyspace is about 25 schema changes (three seconds of a
//! single node's time here, more on a cluster, where every node agrees on each), and dropping one
//! makes the node flush every table that has data (four seconds). So:
//! - most tests share one keyspace per node and keep apart by their data (`TestDb::tag`);
//! - a test that needs a whole table (empty, or all of its rows, a sweep, its jobs, its activity)
//!   borrows a keyspace from a small pool, emptied first: only the tables that hold rows are
//!   truncated, about a second;
//! - a test that changes the schema, or needs a table no node has ever estimated, gets a new
//!   keyspace, dropped at its end.

use cassandra_users::server::{cassandra::error::describe, config::Config, Stores};
use scylla::client::session::Session;
use scylla::statement::unprepared::Statement;
use std::collections::BTreeSet;
use std::fs::File;
use std::time::Duration;
use uuid::Uuid;

/// The keyspace the tests of a node share (`make test` runs on nodes of its own, thrown away
/// after the run).
const SHARED_KEYSPACE: &str = "it_shared";
/// The pool of keyspaces lent to one test at a time: `it_pool_0`, `it_pool_1`, …
const POOL_KEYSPACE: &str = "it_pool";
/// The names of the same over a `users` table made without the column constraints.
const UNCONSTRAINED: &str = "_unconstrained";

/// The configuration the app would read over the shared keyspace, with the given overrides.
/// `CASSANDRA_CONSTRAINTS=off` gives the shared keyspace whose `users` table has none.
pub fn test_config(overrides: &[(&str, String)]) -> Config {
    config_over(&with_constraints(SHARED_KEYSPACE, overrides), overrides)
}

/// The configuration the app would read over a new keyspace that no test has used.
pub fn fresh_keyspace_config(overrides: &[(&str, String)]) -> Config {
    config_over(&format!("it_{}", Uuid::new_v4().simple()), overrides)
}

/// The configuration over keyspace `keyspace`, unless the overrides name one.
pub(super) fn config_over(keyspace: &str, overrides: &[(&str, String)]) -> Config {
    Config::from_lookup(|name| {
        overrides
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| (name == "CASSANDRA_KEYSPACE").then(|| keyspace.to_owned()))
            .or_else(|| std::env::var(name).ok())
            .or_else(|| (name == "SECRETS_KEY_FILE").then(test_secrets_key_file))
    })
    .expect("test configuration")
}

/// A key file for sealing authenticator apps' secrets, written once per test process (every
/// process writes the same key, each through a file of its own renamed into place).
fn test_secrets_key_file() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target");
        let path = format!("{dir}/test-secrets.key");
        let written = format!("{path}.{}", std::process::id());
        std::fs::write(&written, "dGVzdCBrZXkgb2YgdGhpcnR5LXR3byBieXRlcy4uLi4=\n")
            .expect("write the test key");
        std::fs::rename(&written, &path).expect("put the test key in place");
        path
    })
    .clone()
}

fn with_constraints(keyspace: &str, overrides: &[(&str, String)]) -> String {
    let unconstrained = overrides
        .iter()
        .any(|(name, value)| *name == "CASSANDRA_CONSTRAINTS" && value == "off");
    if unconstrained {
        format!("{keyspace}{UNCONSTRAINED}")
    } else {
        keyspace.to_owned()
    }
}

/// The stores over `config`'s keyspace, making its schema where it is missing. On a cluster a
/// node can miss a schema change that another announced and learn it only from its periodic
/// pull, a minute later (seen after a storm of schema changes on two cores): the driver's wait
/// for agreement then gives up, and the connection (whose schema statements are idempotent) is
/// made again, a few times.
pub(super) async fn connect(config: &Config) -> Stores {
    const ATTEMPTS: u32 = 3;
    for attempt in 1.. {
        match Stores::connect(config).await {
            Ok(stores) => return stores,
            Err(error) if attempt < ATTEMPTS && describe(&error).contains("schema agreement") => {
                eprintln!(
                    "keyspace {}: the nodes did not agree on the schema yet (attempt {attempt} of {ATTEMPTS}); connecting again",
                    config.keyspace.as_str()
                );
            }
            Err(error) => panic!(
                "cannot reach Cassandra at {:?} for keyspace {} (start it with `make cassandra-start`): {}",
                config.contact_points,
                config.keyspace.as_str(),
                describe(&error)
            ),
        }
    }
    unreachable!()
}

/// Makes `config`'s keyspace and schema where missing, once per test process and one keyspace at
/// a time: tests making tables at once through the three nodes of the cluster kept them from
/// agreeing on the schema for over a minute (and two nodes may give one table two ids).
pub(super) async fn make_schema_once(config: &Config) {
    static MADE: tokio::sync::Mutex<BTreeSet<String>> =
        tokio::sync::Mutex::const_new(BTreeSet::new());
    let mut made = MADE.lock().await;
    let keyspace = config.keyspace.as_str();
    if !made.contains(keyspace) {
        drop(connect(config).await);
        made.insert(keyspace.to_owned());
    }
}

/// A keyspace of the pool, lent to one test. The lock on its file says so to every test process
/// of this machine; it goes with the file when the test ends, however it ends.
pub struct Loan {
    _lock: File,
}

/// Borrows the first free keyspace of the pool (the pool grows by one when none is free) and
/// answers its name; the keyspace may still hold the previous borrower's rows (`empty`).
pub(super) fn borrow(overrides: &[(&str, String)]) -> (String, Loan) {
    let pool = with_constraints(POOL_KEYSPACE, overrides);
    let locks = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-keyspaces");
    std::fs::create_dir_all(&locks).expect("a folder for the pool's lock files");
    for n in 0.. {
        let keyspace = format!("{pool}_{n}");
        let file = File::create(locks.join(format!("{keyspace}.lock"))).expect("a lock file");
        if file.try_lock().is_ok() {
            return (keyspace, Loan { _lock: file });
        }
    }
    unreachable!("the pool has no end")
}

/// Empties a borrowed keyspace: truncates each of its tables that holds a row.
pub(super) async fn empty(session: &Session, keyspace: &str) {
    let tables: Vec<String> = session
        .query_unpaged(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
            (keyspace,),
        )
        .await
        .expect("list the tables of a borrowed keyspace")
        .into_rows_result()
        .unwrap()
        .rows::<(String,)>()
        .unwrap()
        .map(|row| row.unwrap().0)
        .collect();
    for table in tables {
        let rows = session
            .query_unpaged(
                super::at_quorum(format!("SELECT * FROM {keyspace}.{table} LIMIT 1")),
                (),
            )
            .await
            .unwrap_or_else(|error| panic!("read {keyspace}.{table}: {error}"))
            .into_rows_result()
            .unwrap()
            .rows_num();
        if rows > 0 {
            // Every replica takes part in a truncation; give a busy cluster time.
            let mut truncate = Statement::new(format!("TRUNCATE {keyspace}.{table}"));
            truncate.set_request_timeout(Some(Duration::from_secs(60)));
            session
                .query_unpaged(truncate, ())
                .await
                .unwrap_or_else(|error| panic!("truncate {keyspace}.{table}: {error}"));
        }
    }
}
