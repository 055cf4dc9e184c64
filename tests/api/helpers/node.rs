//! The node or cluster under test: which release it runs, statements as other clients send
//! them, and its size estimates made now.

use super::TestDb;

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
    // A test's own look at the data waits for the answer: under the suites' load on two cores,
    // Cassandra 6 has answered an index read here after more than the app's 5 s (CI run of
    // 85e9dfb, concurrency::a_create_racing…: RequestTimeout(5s) in rows_with_email).
    statement.set_request_timeout(Some(std::time::Duration::from_secs(60)));
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
