//! The command line, run as scripts run it: the server binary's `operator` and `token`
//! subcommands against a keyspace of their own on the real node.

use crate::helpers::{spawn_app_with, test_config, TestDb};
use cassandra_users::model::Role;
use cassandra_users::server::Database;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(keyspace: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
        .args(args)
        .env("CASSANDRA_KEYSPACE", keyspace)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn operators_and_tokens_from_the_command_line() {
    let config = test_config(&[]);
    let keyspace = config.keyspace.as_str().to_owned();
    let ok = |args: &[&str], stdin: &str| {
        let output = run(&keyspace, args, stdin);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    };

    ok(
        &["operator", "add", "Alice", "--role", "admin"],
        "correct horse battery\n",
    );
    ok(
        &["operator", "add", "bob", "--role", "editor"],
        "another good password\n",
    );
    let list = ok(&["operator", "list"], "");
    assert!(list.contains("alice\tadmin\tactive"), "{list}");
    ok(&["operator", "set-role", "bob", "viewer"], "");
    ok(&["operator", "set-role", "bob", "--role", "editor"], "");
    ok(&["operator", "disable", "alice"], "");
    let list = ok(&["operator", "list"], "");
    assert!(
        list.contains("bob\teditor\tactive") && list.contains("alice\tadmin\tdisabled"),
        "{list}"
    );
    ok(&["operator", "enable", "alice"], "");

    // The token is the only thing on standard output, so `TOKEN=$(...)` works.
    let token = ok(&["token", "create", "bob", "--label", "nightly import"], "");
    let token = token.trim();
    assert!(token.starts_with("cu_") && !token.contains('\n'), "{token}");
    let tokens = ok(&["token", "list"], "");
    assert!(
        tokens.contains("bob\tnightly import") && !tokens.contains(token),
        "{tokens}"
    );

    // The token works against a server over the same keyspace, as bob the editor.
    let db = TestDb::with(&[("CASSANDRA_KEYSPACE", keyspace.clone())]).await;
    let app = spawn_app_with(
        Database::connected(db.stores.clone()),
        db.config.sign_in.clone(),
    )
    .await;
    let me: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/auth/me", app.url))
        .header("accept", "application/json")
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["username"].as_str(), me["role"].as_str()),
        (Some("bob"), Some(Role::Editor.as_str()))
    );

    let id = tokens.split('\t').next().unwrap();
    ok(&["token", "revoke", id], "");
    assert!(!ok(&["token", "list"], "").contains(id));

    // The changes are in the audit trail as the CLI's.
    let events = db.stores.audit.activity(None).await.unwrap().events;
    assert!(
        events.iter().all(|e| e.operator == "cassandra-users CLI"),
        "{events:?}"
    );
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "operator add",
        "operator role",
        "operator disable",
        "operator enable",
        "token create",
        "token revoke",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    db.drop().await;
}

#[tokio::test]
async fn reconcile_from_the_command_line_lists_shared_emails() {
    let db = TestDb::new(50).await;
    let hour = std::time::Duration::from_secs(3600);
    let older = db
        .insert_elsewhere("Twin A", "Twin@Example.com", 2 * hour)
        .await;
    let newer = db
        .insert_elsewhere("Twin B", "twin@example.com", hour)
        .await;
    let single = db.insert_elsewhere("Solo", "Solo@Example.com", hour).await;

    let output = run(db.keyspace(), &["reconcile"], "");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("twin@example.com is shared by 2 rows:"),
        "{stdout}"
    );
    let (first, second) = (
        stdout.find(&older.to_string()).expect("older twin listed"),
        stdout.find(&newer.to_string()).expect("newer twin listed"),
    );
    assert!(first < second, "oldest first: {stdout}");
    assert!(
        stderr.contains("reconcile finished: 100% — 3 rows scanned, 2 given their email's claim, 1 emails shared"),
        "{stderr}"
    );
    assert_eq!(db.claim_holder("solo@example.com").await, Some(single));
    assert_eq!(db.claim_holder("twin@example.com").await, Some(older));
    db.drop().await;
}

#[test]
fn mistakes_get_one_clear_error_line_and_exit_1() {
    let keyspace = test_config(&[]).keyspace.as_str().to_owned();
    for (args, stdin, expected) in [
        (
            vec!["operator", "add", "carol", "--role", "admin"],
            "short\n",
            "at least 12",
        ),
        (
            vec!["operator", "add", "carol", "--role", "boss"],
            "long enough password\n",
            "viewer, editor or admin",
        ),
        (
            vec!["operator", "set-role", "nobody", "viewer"],
            "",
            "no such operator",
        ),
        (
            vec!["token", "create", "nobody"],
            "",
            "no enabled operator named nobody",
        ),
        (
            vec!["token", "revoke", "00000000-0000-0000-0000-000000000001"],
            "",
            "no token with id",
        ),
    ] {
        let output = run(&keyspace, &args, stdin);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(errors[0].contains(expected), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("long enough password"),
            "the password never shows"
        );
    }
    let output = run(&keyspace, &["operator", "frobnicate"], "");
    assert_eq!(output.status.code(), Some(2), "clap's usage error");
    let cleanup = run(&keyspace, &["operator", "list"], "");
    assert!(cleanup.status.success());
    // The keyspace is dropped by the async test's TestDb only; drop this one here.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = TestDb::with(&[("CASSANDRA_KEYSPACE", keyspace.clone())]).await;
        db.drop().await;
    });
}
