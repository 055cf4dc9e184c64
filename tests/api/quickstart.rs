//! `examples/quickstart.rs` runs against the real node and says what the Python quickstart says.

use crate::helpers::{fresh_keyspace_config, test_config};
use std::process::Command;

#[test]
fn the_quickstart_example_runs_step_for_step() {
    // The quickstart makes its own table and reads all of it: a keyspace of its own.
    let keyspace = fresh_keyspace_config(&[]).keyspace;
    let output = Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "--features",
            "ssr",
            "--example",
            "quickstart",
        ])
        .env("CASSANDRA_KEYSPACE", keyspace.as_str())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "quickstart failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let lines: Vec<&str> = stdout.lines().collect();
    let users: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("User: "))
        .collect();
    let mut sorted_users = users.clone();
    sorted_users.sort();
    assert_eq!(
        sorted_users,
        [
            "User: Alice (alice@example.com)",
            "User: Bob (bob@example.com)"
        ]
    );
    let steps: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with("User: "))
        .collect();
    assert_eq!(
        steps,
        [
            "Connected to Cassandra!",
            "Keyspace and table ready.",
            "Inserted 2 users.",
            "Updated Alice's email.",
            "Deleted Alice's record.",
            "Done.",
        ]
    );
    let users_at = lines.iter().position(|l| l.starts_with("User: ")).unwrap();
    assert_eq!(
        lines[users_at - 1],
        "Inserted 2 users.",
        "rows are listed after the inserts"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let session = scylla::client::session_builder::SessionBuilder::new()
            .known_nodes(&test_config(&[]).contact_points)
            .build()
            .await
            .unwrap();
        let rows = session
            .query_unpaged(
                format!("SELECT name, email FROM {}.users", keyspace.as_str()),
                (),
            )
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .rows::<(String, String)>()
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [("Bob".to_owned(), "bob@example.com".to_owned())],
            "only Bob is left"
        );
        cassandra_users::server::cassandra::schema::drop_keyspace(&session, &keyspace)
            .await
            .unwrap();
    });
}
