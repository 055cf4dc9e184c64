//! The approximate count: Cassandra's own estimates, summed over every node, close to the
//! truth once the data is on disk; never a count of the rows.

use crate::helpers::{http_client, refresh_estimates, spawn_app, TestDb};
use cassandra_users::model::Role;
use cassandra_users::server::audit::Actor;
use cassandra_users::server::Database;
use cassandra_users::validate::validate_user;
use futures_util::{stream, StreamExt};
use serde_json::Value;

const USERS: u64 = 300;

#[tokio::test]
async fn the_count_is_within_a_factor_of_two_of_the_truth_after_a_flush() {
    // Estimates are kept per table name, also after a truncation: a table no node has estimated.
    let db = TestDb::fresh(50).await;
    stream::iter(0..USERS)
        .for_each_concurrent(16, |n| {
            let db = &db;
            async move {
                let user = validate_user(&format!("Counted {n}"), &format!("c{n}@example.com"));
                db.users()
                    .create(&user.unwrap(), &Actor::CommandLine)
                    .await
                    .expect("create");
            }
        })
        .await;
    refresh_estimates(&db, "users").await;

    let count = db.users().approximate_count().await.unwrap();
    assert!(
        (USERS / 2..=USERS * 2).contains(&count.approximate),
        "{} users estimated as {}",
        USERS,
        count.approximate
    );
    let as_of = count.as_of.expect("an estimate has its time");
    let at = time::OffsetDateTime::parse(&as_of, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let age = time::OffsetDateTime::now_utc() - at;
    assert!(age < time::Duration::minutes(5), "just made: {as_of}");

    // The same over HTTP, by GET and by POST.
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Viewer).await;
    let client = http_client().build().unwrap();
    for request in [
        client.get(format!("{url}/api/users/count")),
        client.post(format!("{url}/api/users/count")),
    ] {
        let response = request.bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["approximate"], count.approximate, "{json}");
        assert!(json["as_of"].is_string(), "{json}");
    }
    db.drop().await;
}

#[tokio::test]
async fn an_empty_table_counts_none() {
    // Estimates are kept per table name, also after a truncation: a table no node has estimated.
    let db = TestDb::fresh(50).await;
    // Usually no node has estimated the new table yet (`as_of` is null); the periodic estimate
    // may have run meanwhile, and then it says 0 too.
    let count = db.users().approximate_count().await.unwrap();
    assert_eq!(count.approximate, 0, "{count:?}");
    db.drop().await;
}
