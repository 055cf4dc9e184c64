//! The audit trail against the real node: one event per change with its before and after,
//! sign-ins recorded, and paging through a user's history and through the days of activity.

use crate::helpers::{http_client, spawn_app_with, with_authenticator, TestDb};
use cassandra_users::model::{AuditEvent, Role};
use cassandra_users::server::audit::{time::day_of, Actor};
use cassandra_users::validate::validate_user;
use scylla::value::CqlTimeuuid;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

const CLI: Actor = Actor::CommandLine;

fn change<'a>(event: &'a AuditEvent, field: &str) -> (Option<&'a str>, Option<&'a str>) {
    let change = event
        .changes
        .iter()
        .find(|c| c.field == field)
        .expect(field);
    (change.before.as_deref(), change.after.as_deref())
}

#[tokio::test]
async fn every_change_leaves_exactly_one_event_with_its_before_and_after() {
    // The activity feed is the keyspace's: a keyspace of its own.
    let db = TestDb::alone(50).await;
    let users = db.users();
    let ada = users
        .create(
            &validate_user("Ada", "ada@example.com").unwrap(),
            &Actor::Operator("grace".into()),
        )
        .await
        .unwrap();
    let history = || async { db.stores.audit.history(ada.id, None).await.unwrap().events };

    let events = history().await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].action.as_str(), events[0].operator.as_str()),
        ("create", "grace")
    );
    assert_eq!(change(&events[0], "email"), (None, Some("ada@example.com")));

    users
        .update(
            ada.id,
            None,
            &validate_user("Ada King", "ada@king.example").unwrap(),
            &CLI,
        )
        .await
        .unwrap();
    users
        .update(
            ada.id,
            None,
            &validate_user("Ada King", "ada@king.example").unwrap(),
            &CLI,
        )
        .await
        .unwrap();
    let events = history().await;
    assert_eq!(events.len(), 2, "saving unchanged values is no change");
    assert_eq!(
        (events[0].action.as_str(), events[0].operator.as_str()),
        ("update", "cassandra-users CLI")
    );
    assert_eq!(change(&events[0], "name"), (Some("Ada"), Some("Ada King")));
    assert_eq!(
        change(&events[0], "email"),
        (Some("ada@example.com"), Some("ada@king.example"))
    );

    users.delete(ada.id, None, &CLI).await.unwrap();
    let events = history().await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].action, "delete");
    assert_eq!(change(&events[0], "name"), (Some("Ada King"), None));

    let activity = db.stores.audit.activity(None).await.unwrap().events;
    let actions: Vec<&str> = activity.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["delete", "update", "create"], "newest first");
    assert!(activity.iter().all(|e| e.user_id == Some(ada.id)));

    // A refused change records nothing.
    let taken = users
        .create(&validate_user("Eve", "eve@example.com").unwrap(), &CLI)
        .await
        .unwrap();
    assert!(users
        .create(&validate_user("Eve 2", "eve@example.com").unwrap(), &CLI)
        .await
        .is_err());
    assert_eq!(
        db.stores.audit.activity(None).await.unwrap().events.len(),
        4
    );
    assert_eq!(
        db.stores
            .audit
            .history(taken.id, None)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn sign_ins_sign_outs_operators_and_tokens_are_recorded() {
    let db = TestDb::alone(50).await;
    db.operator("ada", Role::Admin).await;
    let app = spawn_app_with(
        cassandra_users::server::Database::connected(db.stores.clone()),
        db.config.sign_in.clone(),
    )
    .await;
    let client = http_client().cookie_store(true).build().unwrap();
    let sign_in = |password: &'static str| {
        client
            .post(format!("{}/api/auth/sign-in", app.url))
            .header("accept", "application/json")
            .form(&[("username", "ada"), ("password", password)])
            .send()
    };
    sign_in("wrong password here").await.unwrap();
    // Signs in, and adds the authenticator app that creating a token needs.
    with_authenticator(&client, &app, "ada").await;
    let token = client
        .post(format!("{}/api/tokens/create", app.url))
        .header("accept", "application/json")
        .form(&[("operator", "ada"), ("label", "deploy script")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    client
        .post(format!("{}/api/auth/sign-out", app.url))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();

    let events = db.stores.audit.activity(None).await.unwrap().events;
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.operator.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("sign-out", "ada"),
            ("token create", "ada"),
            ("second factor add", "ada"),
            ("sign-in", "ada"),
            ("sign-in failed", "ada"),
            ("operator add", "cassandra-users CLI"),
        ]
    );
    assert!(events[1].details.contains("deploy script"));
    let token_text = token.text().await.unwrap();
    assert!(
        events
            .iter()
            .all(|e| !token_text.contains(&e.details) || e.details.is_empty()),
        "no event holds the token's secret"
    );
    db.drop().await;
}

#[tokio::test]
async fn a_users_history_pages_newest_first_without_repeats() {
    let db = TestDb::new(3).await;
    let users = db.users();
    let email = db.email("pages");
    let user = users
        .create(&validate_user("Page 0", &email).unwrap(), &CLI)
        .await
        .unwrap();
    for i in 1..=7 {
        let valid = validate_user(&format!("Page {i}"), &email).unwrap();
        users.update(user.id, None, &valid, &CLI).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = db.stores.audit.history(user.id, before).await.unwrap();
        assert!(page.events.len() <= 3);
        seen.extend(
            page.events
                .iter()
                .map(|e| change(e, "name").1.unwrap().to_owned()),
        );
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..=7).rev().map(|i| format!("Page {i}")).collect();
    assert_eq!(seen, expected);
    db.drop().await;
}

/// A timeuuid for a moment `days` days ago.
fn days_ago(days: u64, extra_seconds: u64) -> Uuid {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now - days * 86_400 + extra_seconds;
    let context = uuid::timestamp::context::ContextV1::new_random();
    Uuid::new_v1(
        uuid::Timestamp::from_unix(&context, at, 0),
        &[1, 2, 3, 4, 5, 6],
    )
}

#[tokio::test]
async fn activity_pages_back_across_days_skipping_the_empty_ones() {
    let db = TestDb::alone(4).await;
    // Events on three days far apart, written as the app writes them.
    let mut written = Vec::new();
    for (days, count) in [(0u64, 3u64), (3, 2), (40, 4)] {
        for i in 0..count {
            let id = if days == 0 {
                days_ago(0, 0)
            } else {
                days_ago(days, i)
            };
            let ks = db.keyspace();
            db.session()
                .query_unpaged(
                    format!("INSERT INTO {ks}.audit_by_day (day, at, operator, action, details, before, after) VALUES (?, ?, 'tester', 'test', ?, ?, ?)"),
                    (day_of(id), CqlTimeuuid::from(id), format!("{days} days ago #{i}"), BTreeMap::<String, String>::new(), BTreeMap::<String, String>::new()),
                )
                .await
                .unwrap();
            db.session()
                .query_unpaged(
                    format!("INSERT INTO {ks}.audit_days (bucket, day) VALUES (0, ?)"),
                    (day_of(id),),
                )
                .await
                .unwrap();
            written.push(id);
        }
    }
    let mut seen = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = db.stores.audit.activity(before).await.unwrap();
        pages += 1;
        assert!(page.events.len() <= 4);
        seen.extend(page.events.iter().map(|e| e.id));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "9 events in pages of 4");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        9,
        "no event twice"
    );
    let mut newest_first = written.clone();
    newest_first.sort_by_key(|id| std::cmp::Reverse(id.get_timestamp().unwrap().to_unix()));
    let seen_times: Vec<_> = seen
        .iter()
        .map(|id| id.get_timestamp().unwrap().to_unix())
        .collect();
    let expected_times: Vec<_> = newest_first
        .iter()
        .map(|id| id.get_timestamp().unwrap().to_unix())
        .collect();
    assert_eq!(seen_times, expected_times, "newest first across days");
    db.drop().await;
}

#[tokio::test]
async fn activity_reads_the_ten_second_slots_and_the_older_day_partitions_in_one_order() {
    let db = TestDb::alone(5).await;
    let ks = db.keyspace().to_owned();
    let none = BTreeMap::<String, String>::new;
    // Today: events in several slots as the app writes them now; two days ago: some in slots
    // and some in the day partition of before slots existed, interleaved in time.
    let mut written = Vec::new();
    for (days, seconds, legacy) in [
        (0, 0, false),
        (0, 1, false),
        (0, 25, false),
        (0, 47, false),
        (2, 0, true),
        (2, 11, false),
        (2, 12, true),
        (2, 30, false),
        (2, 61, true),
        (2, 95, false),
        (2, 96, false),
    ] {
        let id = days_ago(days, seconds);
        let (day, at) = (day_of(id), CqlTimeuuid::from(id));
        let details = format!("{days} days ago, +{seconds}s");
        if legacy {
            db.session()
                .query_unpaged(
                    format!("INSERT INTO {ks}.audit_by_day (day, at, operator, action, details, before, after) VALUES (?, ?, 'tester', 'test', ?, ?, ?)"),
                    (day, at, &details, none(), none()),
                )
                .await
                .unwrap();
        } else {
            let slot = cassandra_users::server::audit::rows::slot_of(id);
            db.session()
                .query_unpaged(
                    format!("INSERT INTO {ks}.audit_by_slot (day, slot, at, operator, action, details, before, after) VALUES (?, ?, ?, 'tester', 'test', ?, ?, ?)"),
                    (day, slot, at, &details, none(), none()),
                )
                .await
                .unwrap();
            db.session()
                .query_unpaged(
                    format!("INSERT INTO {ks}.audit_slots (day, slot) VALUES (?, ?)"),
                    (day, slot),
                )
                .await
                .unwrap();
        }
        db.session()
            .query_unpaged(
                format!("INSERT INTO {ks}.audit_days (bucket, day) VALUES (0, ?)"),
                (day,),
            )
            .await
            .unwrap();
        written.push((id, details));
    }
    let (mut seen, mut before, mut pages) = (Vec::new(), None, 0);
    loop {
        let page = db.stores.audit.activity(before).await.unwrap();
        pages += 1;
        assert!(page.events.len() <= 5);
        seen.extend(page.events.into_iter().map(|event| event.details));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    written.sort_by_key(|(id, _)| std::cmp::Reverse(id.get_timestamp().unwrap().to_unix()));
    let expected: Vec<String> = written.into_iter().map(|(_, details)| details).collect();
    assert_eq!(
        seen, expected,
        "newest first, every event once, across slots, days and layouts"
    );
    assert_eq!(pages, 3, "11 events in pages of 5");
    db.drop().await;
}
