//! The list in name order: case and accents ignored, ties by email, paged forwards and backwards
//! through a few bounded reads; kept in step with creates, edits and deletes; entries that point
//! at nothing are never shown; the API's `sort`, `after` and `before`.

use crate::helpers::{at_quorum, http_client, spawn_app, TestDb};
use cassandra_users::model::{Role, User, UserPage};
use cassandra_users::server::audit::Actor;
use cassandra_users::server::users::name_order::key::NameKey;
use cassandra_users::server::users::name_order::pages::NameFrom;
use cassandra_users::server::Database;
use cassandra_users::validate::validate_user;
use futures_util::{stream, StreamExt};
use reqwest::{header, StatusCode};
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

const CLI: Actor = Actor::CommandLine;

async fn create(db: &TestDb, name: &str, email: &str) -> User {
    db.users()
        .create(&validate_user(name, email).unwrap(), &CLI)
        .await
        .unwrap_or_else(|error| panic!("create {name}: {error}"))
}

fn from(cursor: &str, forwards: bool) -> NameFrom {
    let key = NameKey::from_cursor(cursor).unwrap();
    if forwards {
        NameFrom::After(key)
    } else {
        NameFrom::Before(key)
    }
}

/// The users of the shared keyspace whose names start with `prefix` (folded), in name order.
async fn listed_from(db: &TestDb, prefix: &str) -> Vec<User> {
    let mut page = db
        .users()
        .list_by_name(NameFrom::After(NameKey::from_stored(prefix.to_owned())))
        .await
        .unwrap();
    let mut users = Vec::new();
    loop {
        let ours = page.users.iter().take_while(|u| {
            cassandra_users::server::users::search_terms::fold(&u.name).starts_with(prefix)
        });
        let count = ours.clone().count();
        users.extend(ours.cloned());
        match page.next {
            Some(next) if count == page.users.len() => {
                page = db.users().list_by_name(from(&next, true)).await.unwrap();
            }
            _ => return users,
        }
    }
}

#[tokio::test]
async fn names_sort_without_case_or_accents_and_ties_go_by_email() {
    let db = TestDb::new(50).await;
    let tag = db.tag.clone();
    for (name, local) in [
        ("Zoë Adams", "z2"),
        ("anna", "a1"),
        ("ÅSA Berg", "s1"),
        ("zoe adams", "z1"),
        ("Ann", "a2"),
        ("Émile", "e1"),
    ] {
        create(&db, &format!("{tag} {name}"), &db.email(local)).await;
    }
    let listed: Vec<String> = listed_from(&db, &tag)
        .await
        .into_iter()
        .map(|u| u.name[tag.len() + 1..].to_owned())
        .collect();
    assert_eq!(
        listed,
        ["Ann", "anna", "ÅSA Berg", "Émile", "zoe adams", "Zoë Adams"],
        "zoe adams has the smaller email (z1)"
    );
    db.drop().await;
}

#[tokio::test]
async fn paging_both_ways_through_120_sorted_rows_visits_each_once() {
    let db = TestDb::alone(10).await;
    let names: Vec<String> = (0..120)
        .map(|i| {
            let first = ["ana", "Bea", "çelik", "Dora", "émile", "Zoë"][i % 6];
            format!("{first} {:03}", (i * 37) % 120)
        })
        .collect();
    let created: Vec<User> = stream::iter(names.iter().enumerate())
        .map(|(i, name)| {
            let db = &db;
            async move { create(db, name, &format!("u{i}@example.com")).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut expected = created.clone();
    expected.sort_by_key(|u| NameKey::of(u.id, &u.name, &u.email));

    let mut pages: Vec<UserPage> = vec![db.users().list_by_name(NameFrom::Start).await.unwrap()];
    assert_eq!(pages[0].previous, None, "nothing before the first page");
    while let Some(next) = pages.last().unwrap().next.clone() {
        assert!(pages.len() < 20, "paging does not end");
        pages.push(db.users().list_by_name(from(&next, true)).await.unwrap());
    }
    let forwards: Vec<User> = pages.iter().flat_map(|p| p.users.clone()).collect();
    assert_eq!(pages.len(), 12, "120 users in pages of 10");
    assert_eq!(forwards, expected, "each user once, in name order");

    // Back from the last page to the first, by each page's `previous`.
    let mut backwards = vec![pages.last().unwrap().users.clone()];
    let mut previous = pages.last().unwrap().previous.clone();
    while let Some(before) = previous {
        assert!(backwards.len() < 20, "paging back does not end");
        let page = db.users().list_by_name(from(&before, false)).await.unwrap();
        backwards.push(page.users.clone());
        previous = page.previous;
    }
    backwards.reverse();
    let expected_pages: Vec<Vec<User>> = pages.iter().map(|p| p.users.clone()).collect();
    assert_eq!(backwards, expected_pages, "the same pages, walked back");
    db.drop().await;
}

#[tokio::test]
async fn edits_move_a_user_and_deletes_take_it_out() {
    let db = TestDb::new(50).await;
    let tag = db.tag.clone();
    let bob = create(&db, &format!("{tag} Bob"), &db.email("bob")).await;
    let carl = create(&db, &format!("{tag} Carl"), &db.email("carl")).await;
    let names = |users: Vec<User>| users.into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(names(listed_from(&db, &tag).await), [bob.id, carl.id]);

    let renamed = validate_user(&format!("{tag} Dan"), &bob.email).unwrap();
    db.users()
        .update(bob.id, None, &renamed, &CLI)
        .await
        .unwrap();
    assert_eq!(names(listed_from(&db, &tag).await), [carl.id, bob.id]);

    db.users().delete(carl.id, None, &CLI).await.unwrap();
    assert_eq!(names(listed_from(&db, &tag).await), [bob.id]);
    assert_eq!(entries_of(&db, carl.id).await, 0, "its entry is gone");
    db.drop().await;
}

/// How many entries of `users_by_name` point at `id` (a test may look at a whole table).
async fn entries_of(db: &TestDb, id: Uuid) -> usize {
    let rows = db
        .session()
        .query_unpaged(
            at_quorum(format!("SELECT id FROM {}.users_by_name", db.keyspace())),
            (),
        )
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    rows.rows::<(Uuid,)>()
        .unwrap()
        .filter(|row| row.as_ref().map(|(entry,)| *entry == id).unwrap_or(false))
        .count()
}

#[tokio::test]
async fn an_entry_whose_user_is_gone_is_not_shown_and_is_removed() {
    let db = TestDb::alone(10).await;
    let kept = create(&db, "Keep Me", "keep@example.com").await;
    // An entry left by a crash between two writes, long ago: its user does not exist.
    let gone = Uuid::new_v4();
    let key = NameKey::of(gone, "Gone Girl", "gone@example.com");
    let long_ago = (std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let ks = db.keyspace();
    for cql in [
        format!("INSERT INTO {ks}.name_buckets (directory, bucket) VALUES (0, '{}')", key.bucket()),
        format!("INSERT INTO {ks}.users_by_name (bucket, shard, key, id) VALUES (?, 0, ?, ?) USING TIMESTAMP {long_ago}"),
    ] {
        let values: Vec<scylla::value::CqlValue> = if cql.contains("users_by_name") {
            vec![
                scylla::value::CqlValue::Text(key.bucket()),
                scylla::value::CqlValue::Text(key.as_str().to_owned()),
                scylla::value::CqlValue::Uuid(gone),
            ]
        } else {
            vec![]
        };
        db.session().query_unpaged(at_quorum(cql), values).await.unwrap();
    }
    let page = db.users().list_by_name(NameFrom::Start).await.unwrap();
    assert_eq!(page.users, vec![kept]);
    assert_eq!(entries_of(&db, gone).await, 0, "the stale entry is removed");
    db.drop().await;
}

#[tokio::test]
async fn the_api_lists_by_name_by_default_and_by_token_when_asked() {
    let db = TestDb::alone(2).await;
    let token = db.token(Role::Viewer).await;
    for (name, email) in [
        ("Cy", "c@example.com"),
        ("Al", "a@example.com"),
        ("Bo", "b@example.com"),
    ] {
        create(&db, name, email).await;
    }
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let client = http_client().build().unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        let request = client
            .post(format!("{url}/api/users/list"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ACCEPT, "application/json")
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let names = |page: &Value| -> Vec<String> {
        page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, first) = post(vec![]).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(names(&first), ["Al", "Bo"]);
    assert_eq!(first["previous"], Value::Null);
    let next = first["next"].as_str().unwrap().to_owned();
    let (_, second) = post(vec![("after", next)]).await;
    assert_eq!(names(&second), ["Cy"]);
    assert_eq!(second["next"], Value::Null);
    let before = second["previous"].as_str().unwrap().to_owned();
    let (_, back) = post(vec![("sort", "name".into()), ("before", before)]).await;
    assert_eq!(names(&back), ["Al", "Bo"]);

    let (status, by_token) = post(vec![("sort", "token".into())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_token["previous"], Value::Null);
    let old_bookmark = by_token["next"].as_str().unwrap().to_owned();
    assert!(
        Uuid::try_parse(&old_bookmark).is_ok(),
        "storage order pages by id"
    );
    let (status, rest) = post(vec![("after", old_bookmark)]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a bare id without sort is storage order"
    );
    let mut all: Vec<String> = names(&by_token).into_iter().chain(names(&rest)).collect();
    all.sort();
    assert_eq!(all, ["Al", "Bo", "Cy"]);

    for (form, field) in [
        (vec![("sort", "age".to_owned())], "sort"),
        (
            vec![
                ("sort", "token".to_owned()),
                ("before", Uuid::new_v4().to_string()),
            ],
            "before",
        ),
    ] {
        let (status, body) = post(form.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {body}");
        assert!(body.to_string().contains(field), "{body}");
    }
    let (status, body) = post(vec![("sort", "name".into()), ("after", "n.%%".into())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    db.drop().await;
}

#[tokio::test]
async fn a_hot_bucket_is_split_over_shards_and_still_pages_in_order() {
    let db = TestDb::alone_with(&[
        ("USERS_PAGE_SIZE", "7".to_owned()),
        ("ENTRIES_PER_SHARD", "8".to_owned()),
    ])
    .await;
    // 40 names that start alike: one bucket ("ho") in name order and in search.
    let created: Vec<User> = stream::iter(0..40)
        .map(|i| {
            let db = &db;
            async move {
                create(
                    db,
                    &format!("Hot {:02}", (i * 17) % 40),
                    &format!("h{i}@example.com"),
                )
                .await
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut expected = created.clone();
    expected.sort_by_key(|u| NameKey::of(u.id, &u.name, &u.email));

    let ks = db.keyspace();
    for (directory, table) in [(0, "users_by_name"), (1, "users_by_term")] {
        let shards: Option<i32> = db
            .session()
            .query_unpaged(
                at_quorum(format!("SELECT shards FROM {ks}.name_buckets WHERE directory = {directory} AND bucket = 'ho'")),
                (),
            )
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .first_row::<(Option<i32>,)>()
            .unwrap()
            .0;
        assert!(
            shards.unwrap_or(1) >= 4,
            "{table}: 40 entries at 8 a shard: {shards:?}"
        );
        let used: HashSet<i32> = db
            .session()
            .query_unpaged(at_quorum(format!("SELECT shard FROM {ks}.{table}")), ())
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .rows::<(i32,)>()
            .unwrap()
            .map(|row| row.unwrap().0)
            .collect();
        assert!(used.len() > 1, "{table}: entries in shards {used:?}");
    }

    let mut pages = vec![db.users().list_by_name(NameFrom::Start).await.unwrap()];
    while let Some(next) = pages.last().unwrap().next.clone() {
        assert!(pages.len() < 20, "paging does not end");
        pages.push(db.users().list_by_name(from(&next, true)).await.unwrap());
    }
    let listed: Vec<User> = pages.iter().flat_map(|p| p.users.clone()).collect();
    assert_eq!(
        listed, expected,
        "each once, in name order, across the shards"
    );
    let before = pages.last().unwrap().previous.clone().unwrap();
    let back = db.users().list_by_name(from(&before, false)).await.unwrap();
    assert_eq!(back.users, pages[pages.len() - 2].users, "and back");

    let query = cassandra_users::validate::SearchQuery::parse("hot").unwrap();
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let page = db.users().search(&query, after).await.unwrap();
        found.extend(page.users);
        match page.next {
            Some(next) => after = Some(NameKey::from_cursor(&next).unwrap()),
            None => break,
        }
        assert!(found.len() <= 40, "search pages do not end");
    }
    assert_eq!(found, expected, "search finds each once, by name");
    db.drop().await;
}
