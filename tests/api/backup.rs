//! Backup and restore through CSV: export from one keyspace, import into an empty one, and get
//! the same users back byte for byte, whatever their names hold and however another client wrote
//! their emails.

use crate::helpers::{at_quorum, spawn_app, TestDb};
use crate::transfer::{export, import};
use cassandra_users::model::{Role, User};
use cassandra_users::server::Database;
use futures_util::{stream, StreamExt};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Four chunks of an import, and every awkward name a couple of hundred times.
const USERS: usize = 2_000;

/// Names and emails that a CSV file or a spreadsheet could get wrong.
fn awkward(i: usize) -> (String, String) {
    let names = [
        "Lovelace, Ada",
        "Grace \"Amazing\" Hopper",
        "Zoë 😀 Ünsal",
        "مريم العلي",
        "=HYPERLINK(\"http://evil.example\")",
        "@SUM(1+1)",
        "+44 Tea",
        "-Minus",
        "'Quoted",
        "O'Brien; Seán",
    ];
    let name = format!("{} {i}", names[i % names.len()]);
    // Every third email as another client wrote it: mixed case.
    let email = if i % 3 == 0 {
        format!("Person.{i}@Example.COM")
    } else {
        format!("person.{i}@example.com")
    };
    (name, email)
}

#[tokio::test]
async fn export_then_import_into_an_empty_keyspace_gives_back_every_user_byte_for_byte() {
    let source = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(source.stores.clone())).await;
    let token = source.token(Role::Viewer).await;
    // Written as another client would (no claims): the app must carry them over as they are.
    let insert = format!(
        "INSERT INTO {}.users (id, name, email) VALUES (?, ?, ?)",
        source.keyspace()
    );
    let prepared = source.session().prepare(at_quorum(insert)).await.unwrap();
    let written: BTreeMap<Uuid, User> = (0..USERS)
        .map(|i| {
            let (name, email) = awkward(i);
            (Uuid::new_v4(), name, email)
        })
        .map(|(id, name, email)| (id, User { id, name, email }))
        .collect();
    stream::iter(written.values())
        .for_each_concurrent(16, |user| {
            let (prepared, source) = (&prepared, &source);
            async move {
                source
                    .session()
                    .execute_unpaged(prepared, (user.id, &user.name, &user.email))
                    .await
                    .expect("insert as another client");
            }
        })
        .await;

    let (headers, file) = export(&url, &token).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"users-"));
    let mut reader = csv::Reader::from_reader(file.as_slice());
    assert_eq!(reader.headers().unwrap(), vec!["id", "name", "email"]);
    let mut lines = 0;
    for record in reader.records() {
        let record = record.unwrap();
        if record[1].starts_with("=HYPERLINK")
            || record[1].starts_with("@SUM")
            || record[1].starts_with("+44")
        {
            panic!("a formula went out unguarded: {record:?}");
        }
        lines += 1;
    }
    assert_eq!(lines, USERS, "one line per user");

    let target = TestDb::alone(50).await;
    let target_url = spawn_app(Database::connected(target.stores.clone())).await;
    let editor = target.token(Role::Editor).await;
    let outcome = import(&target_url, &editor, file, "skip").await;
    let job = &outcome["job"];
    assert_eq!(job["state"], "done", "{outcome}");
    assert_eq!(job["created"], USERS, "{outcome}");
    assert_eq!(job["failed"], 0, "{outcome}");

    let restored: BTreeMap<Uuid, User> = target
        .all_users()
        .await
        .into_iter()
        .map(|user| (user.id, user))
        .collect();
    assert_eq!(restored.len(), USERS);
    for (id, user) in &written {
        assert_eq!(restored.get(id), Some(user), "restored as written");
    }
    // The restored users are the app's own now: each holds its email's claim.
    let (_, sample) = written.iter().next().unwrap();
    let email = cassandra_users::validate::Email::parse(&sample.email).unwrap();
    assert_eq!(target.claim_holder(email.as_str()).await, Some(sample.id));
    source.drop().await;
    target.drop().await;
}
