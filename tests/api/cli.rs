//! The command line, run as scripts run it: the server binary's `operator` and `token`
//! subcommands against a keyspace of their own on the real node.

use crate::helpers::{http_client, spawn_app_with, TestDb};
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
    // The activity feed is the keyspace's: a keyspace to itself.
    let db = TestDb::alone(50).await;
    let keyspace = db.keyspace().to_owned();
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
    let app = spawn_app_with(
        Database::connected(db.stores.clone()),
        db.config.sign_in.clone(),
    )
    .await;
    let me: serde_json::Value = http_client()
        .build()
        .unwrap()
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
    let db = TestDb::alone(50).await;
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

#[tokio::test]
async fn mistakes_get_one_clear_error_line_and_exit_1() {
    let db = TestDb::new(50).await;
    let keyspace = db.keyspace().to_owned();
    let nobody = format!("nobody-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    for (args, stdin, expected) in [
        (
            vec!["operator", "add", "carol", "--role", "admin"],
            "short\n",
            "at least 12".to_owned(),
        ),
        (
            vec!["operator", "add", "carol", "--role", "boss"],
            "long enough password\n",
            "viewer, editor or admin".to_owned(),
        ),
        (
            vec!["operator", "set-role", &nobody, "viewer"],
            "",
            "no such operator".to_owned(),
        ),
        (
            vec!["token", "create", &nobody],
            "",
            format!("no enabled operator named {nobody}"),
        ),
        (
            vec!["token", "revoke", "00000000-0000-0000-0000-000000000001"],
            "",
            "no token with id".to_owned(),
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
        assert!(errors[0].contains(&expected), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("long enough password"),
            "the password never shows"
        );
    }
    let output = run(&keyspace, &["operator", "frobnicate"], "");
    assert_eq!(output.status.code(), Some(2), "clap's usage error");
    assert!(run(&keyspace, &["operator", "list"], "").status.success());
    db.drop().await;
}

#[tokio::test]
async fn export_and_import_from_the_command_line() {
    // An export is of the whole table, and the import goes into an empty one.
    let db = TestDb::alone(50).await;
    for i in 0..30 {
        let user = cassandra_users::validate::validate_user(
            &format!("=Person {i}"),
            &format!("p{i}@example.com"),
        )
        .unwrap();
        db.users()
            .create(&user, &cassandra_users::server::audit::Actor::CommandLine)
            .await
            .unwrap();
    }
    let output = run(db.keyspace(), &["export"], "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let file = text(&output.stdout);
    assert_eq!(file.lines().next(), Some("id,name,email"));
    assert_eq!(file.lines().count(), 31, "{file}");
    assert!(
        file.contains(",'=Person 7,p7@example.com"),
        "formulas defused: {file}"
    );
    assert!(text(&output.stderr).contains("exported 30 users"));

    let target = TestDb::alone(50).await;
    let dir = std::env::temp_dir().join(format!("import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.csv");
    // Two rows more than the export: one invalid, one whose email is there already.
    std::fs::write(
        &path,
        format!("{file},Nobody,not-an-email\n,Again,P3@example.com\n"),
    )
    .unwrap();
    let path = path.to_str().unwrap();

    let dry = run(target.keyspace(), &["import", path, "--dry-run"], "");
    let stderr = text(&dry.stderr);
    assert_eq!(dry.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("32 rows, 30 new, 0 already there (to skip), 2 cannot be imported"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 32 <not-an-email>: Email: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 33 <P3@example.com>: Line ") && stderr.contains("has this email too"),
        "{stderr}"
    );
    assert!(
        target.all_users().await.is_empty(),
        "a dry run writes nothing"
    );

    let real = run(target.keyspace(), &["import", path], "");
    let stderr = text(&real.stderr);
    assert_eq!(real.status.code(), Some(1), "rows failed: {stderr}");
    assert!(
        stderr.contains("30 created, 0 updated, 0 skipped, 2 failed (done)"),
        "{stderr}"
    );
    assert_eq!(target.all_users().await.len(), 30);
    let again = run(
        target.keyspace(),
        &["import", path, "--update-existing"],
        "",
    );
    assert!(
        text(&again.stderr).contains("0 created, 0 updated, 30 skipped, 2 failed"),
        "{}",
        text(&again.stderr)
    );

    let missing = run(target.keyspace(), &["import", "/nonexistent/users.csv"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("/nonexistent/users.csv: No such file"),
        "{}",
        text(&missing.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    db.drop().await;
    target.drop().await;
}
