//! Cassandra 6 keeps bad data out too: a new keyspace's `users` table gets column constraints that
//! mirror the validation, so a plain-CQL write that breaks a rule is refused by Cassandra itself,
//! while the app's own writes and an import go through. On 5.0 the command says they need 6.

use crate::helpers::{at_quorum, expected_release, http_client, spawn_app, TestDb};
use crate::transfer::{csv_file, import};
use cassandra_users::model::Role;
use cassandra_users::server::audit::Actor;
use cassandra_users::server::Database;
use cassandra_users::validate::validate_user;
use reqwest::StatusCode;
use std::process::Command;

fn on_cassandra_6() -> bool {
    expected_release().starts_with('6')
}

/// What validation says of these, and what a node with the constraints should do.
const REFUSED: [(&str, &str, &str); 9] = [
    (
        "the name has more than 100 characters",
        "Ann",
        "ann@example.com",
    ),
    ("the name is only spaces", "   ", "b@example.com"),
    ("the name is empty", "", "c@example.com"),
    (
        "the name holds a control character",
        "Tab\there",
        "d@example.com",
    ),
    ("the email has no @", "Eve", "eve.example.com"),
    ("the email's domain has no dot", "Fay", "fay@example"),
    (
        "the email has two dots in a row",
        "Gus",
        "g..us@example.com",
    ),
    ("the email has spaces around it", "Hal", " hal@example.com"),
    ("the email is longer than 254 characters", "Ivy", "ivy"),
];

fn refused_values() -> Vec<(&'static str, String, String)> {
    REFUSED
        .iter()
        .map(|(rule, name, email)| match *rule {
            "the name has more than 100 characters" => (*rule, "x".repeat(101), email.to_string()),
            "the email is longer than 254 characters" => (
                *rule,
                name.to_string(),
                format!(
                    "{}@{}.com",
                    "i".repeat(60),
                    vec!["d".repeat(60); 4].join(".")
                ),
            ),
            _ => (*rule, name.to_string(), email.to_string()),
        })
        .collect()
}

#[tokio::test]
async fn on_cassandra_6_the_table_itself_refuses_what_the_validation_refuses() {
    // It imports (a job is the keyspace's work): a keyspace to itself.
    let db = TestDb::alone(50).await;
    let insert = format!(
        "INSERT INTO {}.users (id, name, email) VALUES (?, ?, ?)",
        db.keyspace()
    );
    for (rule, name, email) in refused_values() {
        assert!(
            validate_user(name.trim(), email.trim()).is_err() || email != email.trim(),
            "the app refuses it too: {rule}"
        );
        let written = db
            .session()
            .query_unpaged(
                at_quorum(insert.clone()),
                (uuid::Uuid::new_v4(), &name, &email),
            )
            .await;
        if on_cassandra_6() {
            let error = written.expect_err(rule).to_string();
            assert!(
                error.contains("does not match regular expression") || error.contains("constraint"),
                "{rule}: {error}"
            );
        } else {
            written.unwrap_or_else(|error| panic!("5.0 has no constraints ({rule}): {error}"));
        }
    }
    // What the app takes, Cassandra takes: 100 emoji (200 UTF-16 units), right-to-left script,
    // an apostrophe, a mixed-case email written by another client.
    for (name, email) in [
        ("😀".repeat(100), "emoji@example.com".to_owned()),
        ("مريم العلي".to_owned(), "o'neil@example.ie".to_owned()),
        ("Mixed Case".to_owned(), "Mixed.Case@Example.COM".to_owned()),
    ] {
        db.session()
            .query_unpaged(
                at_quorum(insert.clone()),
                (uuid::Uuid::new_v4(), &name, &email),
            )
            .await
            .unwrap_or_else(|error| panic!("{name} <{email}>: {error}"));
        let user = validate_user(&name, &format!("app.{email}")).unwrap();
        db.users()
            .create(&user, &Actor::CommandLine)
            .await
            .expect("the app's own write");
    }
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    let rows = vec![
        vec!["😀".repeat(100), "import.emoji@example.com".to_owned()],
        vec!["O'Brien".to_owned(), "O'Brien@Example.ie".to_owned()],
    ];
    let done = import(&url, &token, csv_file(&["name", "email"], &rows), "skip").await;
    assert_eq!(
        (
            done["job"]["created"].as_u64(),
            done["job"]["failed"].as_u64()
        ),
        (Some(2), Some(0)),
        "{done}"
    );
    db.drop().await;
}

#[tokio::test]
async fn the_command_prints_the_constraints_and_applies_them_only_on_6() {
    // It changes the table's schema: a new keyspace.
    let db = TestDb::fresh_with(&[("CASSANDRA_CONSTRAINTS", "off".to_owned())]).await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
            .args(args)
            .env("CASSANDRA_KEYSPACE", db.keyspace())
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let printed = run(&["schema", "constraints"]);
    let stdout = String::from_utf8_lossy(&printed.stdout);
    assert!(printed.status.success());
    assert!(
        stdout.contains(&format!(
            "ALTER TABLE {}.users ALTER name CHECK REGEXP() = ",
            db.keyspace()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("ALTER email CHECK LENGTH() <= 254 AND REGEXP() = "),
        "{stdout}"
    );

    // Off: the new table took none, so a long name goes in.
    let insert = format!(
        "INSERT INTO {}.users (id, name, email) VALUES (?, ?, ?)",
        db.keyspace()
    );
    let long = (uuid::Uuid::new_v4(), "x".repeat(5_000), "long@example.com");
    db.session()
        .query_unpaged(at_quorum(insert.clone()), &long)
        .await
        .expect("no constraints yet");

    let applied = run(&["schema", "constraints", "--apply"]);
    let stderr = String::from_utf8_lossy(&applied.stderr);
    if on_cassandra_6() {
        assert!(applied.status.success(), "{stderr}");
        assert!(
            stderr.contains("rows stored before are not checked"),
            "{stderr}"
        );
        let again = (uuid::Uuid::new_v4(), "x".repeat(5_000), "long2@example.com");
        db.session()
            .query_unpaged(at_quorum(insert), &again)
            .await
            .expect_err("refused now");
        // The row stored before is reported by reconcile.
        let status = db
            .stores
            .reconcile
            .run(&Actor::CommandLine, true, |_| {})
            .await
            .unwrap();
        assert_eq!(status.breaking_rules, 1);
    } else {
        assert_eq!(applied.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("column constraints need Cassandra 6; this node runs 5."),
            "{stderr}"
        );
    }
    db.drop().await;
}

#[tokio::test]
async fn a_write_a_constraint_refuses_comes_back_as_the_fields_message() {
    // It changes the table's schema: a new keyspace.
    let db = TestDb::fresh(50).await;
    // A rule stricter than the app's, as an operator might add by hand.
    let stricter = format!(
        "ALTER TABLE {}.users ALTER name CHECK REGEXP() = '[A-Za-z ]{{1,10}}'",
        db.keyspace()
    );
    let altered = db.session().query_unpaged(stricter, ()).await;
    if !on_cassandra_6() {
        assert!(altered.is_err(), "5.0 takes no constraints");
        db.drop().await;
        return;
    }
    altered.unwrap();
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    let response = http_client()
        .build()
        .unwrap()
        .post(format!("{url}/api/users/create"))
        .bearer_auth(&token)
        .form(&[
            ("name", "A Name Longer Than Ten"),
            ("email", "strict@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("Cassandra refused this name"),
        "{body}"
    );
    db.drop().await;
}
