//! The list in name order: case and accents ignored, ties by email, paged forwards and backwards
//! through a few bounded reads; kept in step with creates, edits and deletes; entries that point
//! at nothing are never shown; the API's `sort`, `after` and `before`.

use crate::helpers::{at_quorum, http_client, spawn_app, TestDb};
use cassandra_users::model::{Role, User, UserPage};
use cassandra_users::server::audit::Actor;
use cassandra_users::server::users::name_order::key::NameKey;
use cassandra_users::server::users::name_order::pages::NameFrom;
use cassandra_users::server::users::name_order::schema::KeyTable;
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
        .list_by_name(NameFrom::After(NameKey::before(prefix)))
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

    let pages = every_page_forwards(&db).await;
    assert_eq!(pages[0].previous, None, "nothing before the first page");
    let forwards: Vec<User> = pages.iter().flat_map(|p| p.users.clone()).collect();
    assert_eq!(pages.len(), 12, "120 users in pages of 10");
    assert_eq!(forwards, expected, "each user once, in name order");
    assert_eq!(
        every_page_back_from(&db, pages.last().unwrap()).await,
        users_of(&pages),
        "the same pages, walked back"
    );
    db.drop().await;
}

/// Every page of the name order, by each page's `next`.
async fn every_page_forwards(db: &TestDb) -> Vec<UserPage> {
    let mut pages: Vec<UserPage> = vec![db.users().list_by_name(NameFrom::Start).await.unwrap()];
    while let Some(next) = pages.last().unwrap().next.clone() {
        assert!(pages.len() < 20, "paging does not end");
        pages.push(db.users().list_by_name(from(&next, true)).await.unwrap());
    }
    pages
}

/// The users of every page from the first to `last`, walked back by each page's `previous`.
async fn every_page_back_from(db: &TestDb, last: &UserPage) -> Vec<Vec<User>> {
    let mut backwards = vec![last.users.clone()];
    let mut previous = last.previous.clone();
    while let Some(before) = previous {
        assert!(backwards.len() < 20, "paging back does not end");
        let page = db.users().list_by_name(from(&before, false)).await.unwrap();
        backwards.push(page.users.clone());
        previous = page.previous;
    }
    backwards.reverse();
    backwards
}

fn users_of(pages: &[UserPage]) -> Vec<Vec<User>> {
    pages.iter().map(|p| p.users.clone()).collect()
}

#[tokio::test]
async fn rows_with_the_same_name_and_email_are_paged_one_by_one_both_ways() {
    // Other clients may write rows that share a name and an email: one key, told apart by id.
    let db = TestDb::alone(2).await;
    let mut twins = HashSet::new();
    for _ in 0..5 {
        let id = db
            .insert_elsewhere("Twin Row", "twin@example.com", std::time::Duration::ZERO)
            .await;
        let user = db.users().get(id).await.unwrap();
        db.users().entries().place(&user).await.unwrap();
        twins.insert(id);
    }
    let pages = every_page_forwards(&db).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.users.len()).collect();
    assert_eq!(sizes, [2, 2, 1], "five rows in pages of two");
    let seen: HashSet<Uuid> = pages
        .iter()
        .flat_map(|p| p.users.iter().map(|u| u.id))
        .collect();
    assert_eq!(seen, twins, "each row once");
    assert_eq!(
        every_page_back_from(&db, pages.last().unwrap()).await,
        users_of(&pages),
        "the same pages, walked back"
    );
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

/// How many entries of `ordered_names` point at `id` (a test may look at a whole table).
async fn entries_of(db: &TestDb, id: Uuid) -> usize {
    let rows = db
        .session()
        .query_unpaged(
            at_quorum(format!("SELECT id FROM {}.ordered_names", db.keyspace())),
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
    let cql = format!(
        "INSERT INTO {ks}.ordered_names (part, key, id, placed) VALUES (?, ?, ?, true) USING TIMESTAMP {long_ago}"
    );
    let values = (Uuid::nil(), key.as_str(), gone);
    db.session()
        .query_unpaged(at_quorum(cql), values)
        .await
        .unwrap();
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

/// The ranges of a table's keys: each one's start, partition and split under way.
async fn ranges_of(db: &TestDb, table: KeyTable) -> Vec<(String, Uuid, Option<String>)> {
    let cql = format!(
        "SELECT start, part, split_at FROM {}.entry_ranges WHERE directory = {}",
        db.keyspace(),
        table.directory()
    );
    let rows = db
        .session()
        .query_unpaged(at_quorum(cql), ())
        .await
        .unwrap();
    rows.into_rows_result()
        .unwrap()
        .rows::<(String, Uuid, Option<String>)>()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Whether every split of `table` is done and cleaned up: no split under way, and every entry
/// in the partition of the range that holds its key, once.
async fn splits_are_done(db: &TestDb, table: KeyTable) -> bool {
    let ranges = ranges_of(db, table).await;
    if ranges.iter().any(|(_, _, split_at)| split_at.is_some()) {
        return false;
    }
    let cql = format!(
        "SELECT part, key, id FROM {}.{}",
        db.keyspace(),
        table.name()
    );
    let rows = db
        .session()
        .query_unpaged(at_quorum(cql), ())
        .await
        .unwrap();
    let entries: Vec<(Uuid, String, Uuid)> = rows
        .into_rows_result()
        .unwrap()
        .rows::<(Uuid, String, Uuid)>()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let keys: HashSet<(&String, Uuid)> = entries.iter().map(|(_, key, id)| (key, *id)).collect();
    let holding = |key: &str| {
        ranges
            .iter()
            .rev()
            .find(|(start, _, _)| start.as_str() <= key)
            .map_or(Uuid::nil(), |(_, part, _)| *part)
    };
    keys.len() == entries.len() && entries.iter().all(|(part, key, _)| holding(key) == *part)
}

/// Waits until the splits of both tables are done (they run in the background on this server,
/// and wait for every server's writes to follow them), at most two minutes.
async fn until_splits_are_done(db: &TestDb) {
    let started = std::time::Instant::now();
    while !(db.users().entries().splits_under_way() == 0
        && splits_are_done(db, KeyTable::Names).await
        && splits_are_done(db, KeyTable::Terms).await)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "splits not done after two minutes: {:?} {:?}",
            ranges_of(db, KeyTable::Names).await,
            ranges_of(db, KeyTable::Terms).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Every user in name order, page by page, and back one page from the last.
async fn every_page(db: &TestDb) -> Vec<User> {
    let mut pages = vec![db.users().list_by_name(NameFrom::Start).await.unwrap()];
    while let Some(next) = pages.last().unwrap().next.clone() {
        assert!(pages.len() < 40, "paging does not end");
        pages.push(db.users().list_by_name(from(&next, true)).await.unwrap());
    }
    if pages.len() > 1 {
        let before = pages.last().unwrap().previous.clone().unwrap();
        let back = db.users().list_by_name(from(&before, false)).await.unwrap();
        assert_eq!(back.users, pages[pages.len() - 2].users, "and back");
    }
    pages.into_iter().flat_map(|page| page.users).collect()
}

/// Everyone search finds for "hot", page by page.
async fn found_hot(db: &TestDb) -> Vec<User> {
    let query = cassandra_users::validate::SearchQuery::parse("hot").unwrap();
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let page = db.users().search(&query, after).await.unwrap();
        found.extend(page.users);
        match page.next {
            Some(next) => after = Some(NameKey::from_cursor(&next).unwrap()),
            None => return found,
        }
        assert!(found.len() <= 200, "search pages do not end");
    }
}

async fn create_hot(db: &TestDb, numbers: std::ops::Range<usize>) -> Vec<User> {
    stream::iter(numbers)
        .map(|i| async move {
            let name = format!("Hot {:02}", (i * 17) % 97);
            create(db, &name, &format!("h{i}@example.com")).await
        })
        .buffer_unordered(4)
        .collect()
        .await
}

fn in_name_order(mut users: Vec<User>) -> Vec<User> {
    users.sort_by_key(|u| NameKey::of(u.id, &u.name, &u.email));
    users
}

/// Marks the first range of `table` as being split at `at` by another server, since
/// `minutes_ago`: the way a split looks while it waits, and after its server stopped.
async fn split_claimed_elsewhere(db: &TestDb, table: KeyTable, at: &str, minutes_ago: u64) {
    let directory = table.directory();
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(60 * minutes_ago);
    let since = since
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let cql = format!(
        "INSERT INTO {}.entry_ranges (directory, start, part, split_at, split_part, split_since) \
         VALUES ({directory}, '', ?, ?, ?, ?)",
        db.keyspace()
    );
    let split_part = Uuid::from_u128(u128::from(directory as u32) + 1);
    let values = (
        Uuid::nil(),
        at,
        split_part,
        scylla::value::CqlTimestamp(since),
    );
    db.session()
        .query_unpaged(at_quorum(cql), values)
        .await
        .unwrap();
}

#[tokio::test]
async fn ranges_that_fill_are_split_and_pages_stay_whole_before_during_and_after() {
    let db = TestDb::alone_with(&[
        ("USERS_PAGE_SIZE", "7".to_owned()),
        ("ENTRIES_PER_RANGE", "8".to_owned()),
    ])
    .await;
    // Another server is splitting the first ranges: writes past the cut go to both partitions,
    // pages still read the old one, and this server leaves the split to its owner.
    split_claimed_elsewhere(&db, KeyTable::Names, "hot 5", 0).await;
    split_claimed_elsewhere(&db, KeyTable::Terms, "h5", 0).await;
    let mut users = create_hot(&db, 0..40).await;
    let gone = users.remove(3);
    db.users().delete(gone.id, Some(&gone), &CLI).await.unwrap();
    let renamed = users.remove(5);
    let valid = validate_user("Hot 99 Renamed", &renamed.email).unwrap();
    users.push(
        db.users()
            .update(renamed.id, Some(&renamed), &valid, &CLI)
            .await
            .unwrap(),
    );
    let expected = in_name_order(users.clone());
    assert_eq!(
        every_page(&db).await,
        expected,
        "while the splits are under way"
    );
    assert_eq!(found_hot(&db).await, expected, "search, while they are");
    assert_eq!(
        ranges_of(&db, KeyTable::Names).await.len(),
        1,
        "the owner's split is left to it"
    );

    // Its server stopped long ago: the next writes take the splits over and finish them, and
    // the new ranges fill and split in turn.
    split_claimed_elsewhere(&db, KeyTable::Names, "hot 5", 60).await;
    split_claimed_elsewhere(&db, KeyTable::Terms, "h5", 60).await;
    users.extend(create_hot(&db, 40..70).await);
    until_splits_are_done(&db).await;
    assert!(
        ranges_of(&db, KeyTable::Names).await.len() >= 2,
        "{:?}",
        ranges_of(&db, KeyTable::Names).await
    );
    assert!(
        ranges_of(&db, KeyTable::Terms).await.len() >= 2,
        "{:?}",
        ranges_of(&db, KeyTable::Terms).await
    );
    let expected = in_name_order(users);
    assert_eq!(
        every_page(&db).await,
        expected,
        "across every range, each once, in order"
    );
    assert_eq!(
        found_hot(&db).await,
        expected,
        "search finds each once, by name"
    );
    db.drop().await;
}
