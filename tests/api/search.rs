//! Search against the real node: word prefixes of names and the start of emails, whatever the
//! case and accents; rows written elsewhere found once reconcile has given them their terms;
//! paging; each page one bounded index read.

use crate::helpers::TestDb;
use cassandra_users::model::User;
use cassandra_users::server::audit::Actor;
use cassandra_users::server::users::name_order::key::NameKey;
use cassandra_users::server::users::name_order::pages::NameFrom;
use cassandra_users::validate::{validate_user, SearchQuery};
use std::collections::BTreeSet;
use std::time::Duration;

const CLI: Actor = Actor::CommandLine;

async fn add(db: &TestDb, name: &str, email: &str) -> User {
    let user = validate_user(name, email).expect("valid test input");
    db.users().create(&user, &CLI).await.expect("create")
}

/// The names every page of the search finds, page by page to the end.
async fn found(db: &TestDb, typed: &str) -> Vec<String> {
    let query = SearchQuery::parse(typed).expect("a valid search");
    let (mut names, mut after) = (Vec::new(), None::<NameKey>);
    loop {
        let page = db.users().search(&query, after).await.expect("search");
        names.extend(page.users.into_iter().map(|user| user.name));
        match page.next {
            Some(next) => after = Some(NameKey::from_cursor(&next).unwrap()),
            None => break,
        }
    }
    names.sort();
    names
}

#[tokio::test]
async fn words_of_names_and_starts_of_emails_are_found_whatever_the_case_and_accents() {
    let db = TestDb::alone(50).await;
    add(&db, "Ana Martínez", "ana.m@example.com").await;
    add(&db, "Martin Lee", "mlee@example.com").await;
    add(&db, "Zoë Kim", "zk@example.com").await;
    add(&db, "ÅSA Berg", "berg@example.org").await;
    add(&db, "Jean-Luc Picard", "jl@example.net").await;
    add(&db, "Bob Stone", "bob@example.com").await;
    add(&db, "Bob Stonehill", "bob@example.com.au").await;

    assert_eq!(found(&db, "mart").await, ["Ana Martínez", "Martin Lee"]);
    assert_eq!(found(&db, "MARTINEZ").await, ["Ana Martínez"]);
    assert_eq!(
        found(&db, "ana mar").await,
        ["Ana Martínez"],
        "each word starts a word"
    );
    assert_eq!(
        found(&db, "mar ana").await,
        ["Ana Martínez"],
        "in any order"
    );
    assert_eq!(found(&db, "zoe").await, ["Zoë Kim"]);
    assert_eq!(found(&db, "Zoë").await, ["Zoë Kim"]);
    assert_eq!(found(&db, "åsa").await, ["ÅSA Berg"]);
    assert_eq!(found(&db, "asa").await, ["ÅSA Berg"]);
    assert_eq!(
        found(&db, "luc").await,
        ["Jean-Luc Picard"],
        "parts of a word count"
    );
    assert_eq!(found(&db, "jean-l").await, ["Jean-Luc Picard"]);
    assert_eq!(
        found(&db, "ana.m").await,
        ["Ana Martínez"],
        "the start of an email"
    );
    assert_eq!(found(&db, "ANA.M@EXA").await, ["Ana Martínez"]);
    assert_eq!(
        found(&db, "bob@example.com").await,
        ["Bob Stone"],
        "a whole email: that user"
    );
    assert_eq!(
        found(&db, "bob@example.co").await,
        ["Bob Stone", "Bob Stonehill"]
    );
    assert!(
        found(&db, "tinez").await.is_empty(),
        "only the start of a word"
    );
    assert!(found(&db, "nobody here").await.is_empty());
    db.drop().await;
}

#[tokio::test]
async fn changes_keep_the_search_terms_in_step() {
    let db = TestDb::alone(50).await;
    let ana = add(&db, "Ana Martínez", "ana@example.com").await;
    let renamed = validate_user("Ana Lopez", "lopez@example.com").unwrap();
    db.users()
        .update(ana.id, None, &renamed, &CLI)
        .await
        .unwrap();
    assert!(
        found(&db, "martinez").await.is_empty(),
        "the old name is gone"
    );
    assert!(
        found(&db, "ana@exa").await.is_empty(),
        "the old email is gone"
    );
    assert_eq!(found(&db, "lopez").await, ["Ana Lopez"]);
    let rename_only = validate_user("Ana Ruiz", "lopez@example.com").unwrap();
    db.users()
        .update(ana.id, None, &rename_only, &CLI)
        .await
        .unwrap();
    assert_eq!(found(&db, "ruiz").await, ["Ana Ruiz"]);
    db.users().delete(ana.id, None, &CLI).await.unwrap();
    assert!(found(&db, "ruiz").await.is_empty());
    db.drop().await;
}

#[tokio::test]
async fn a_row_written_over_cql_is_found_once_reconcile_gave_it_its_terms() {
    let db = TestDb::alone(50).await;
    add(&db, "Carl App", "carl.app@example.com").await;
    db.insert_elsewhere("Carla Núñez", "Carla@Example.com", Duration::ZERO)
        .await;
    assert_eq!(found(&db, "carl").await, ["Carl App"], "no terms yet");

    let run = db.stores.reconcile.run(&CLI, false, |_| {}).await.unwrap();
    assert_eq!(
        run.searchable, 1,
        "the one row without terms was given them"
    );
    assert_eq!(found(&db, "carl").await, ["Carl App", "Carla Núñez"]);
    assert_eq!(found(&db, "nunez").await, ["Carla Núñez"]);
    let again = db.stores.reconcile.run(&CLI, true, |_| {}).await.unwrap();
    assert_eq!(again.searchable, 0, "nothing left to do");
    db.drop().await;
}

#[tokio::test]
async fn paging_through_120_matches_visits_each_once_in_pages_of_the_configured_size() {
    let db = TestDb::alone(50).await;
    for n in 0..120 {
        add(
            &db,
            &format!("Pager Person {n}"),
            &format!("pager{n}@example.com"),
        )
        .await;
    }
    add(&db, "Someone Else", "else@example.com").await;
    let query = SearchQuery::parse("pager").unwrap();
    let (mut seen, mut pages, mut after) = (BTreeSet::new(), Vec::new(), None);
    let last = loop {
        let page = db.users().search(&query, after).await.unwrap();
        pages.push(page.users.iter().map(|u| u.id).collect::<Vec<_>>());
        for user in &page.users {
            assert!(seen.insert(user.id), "{} came twice", user.name);
        }
        match page.next.clone() {
            Some(next) => after = Some(NameKey::from_cursor(&next).unwrap()),
            None => break page,
        }
    };
    assert_eq!(seen.len(), 120);
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [50, 50, 20]);

    // Back from the last page by each page's `previous`: the same pages.
    let mut back = vec![pages[2].clone()];
    let mut previous = last.previous;
    while let Some(before) = previous {
        assert!(back.len() < 5, "paging back does not end");
        let from = NameFrom::Before(NameKey::from_cursor(&before).unwrap());
        let page = db.users().search_from(&query, from).await.unwrap();
        back.push(page.users.iter().map(|u| u.id).collect());
        previous = page.previous;
    }
    back.reverse();
    assert_eq!(back, pages);
    db.drop().await;
}

#[tokio::test]
async fn results_come_by_the_word_that_matched_then_by_name_each_user_once() {
    let db = TestDb::new(50).await;
    let word = format!("Q{}", db.tag);
    let mart = |rest: &str| format!("{word}mart{rest}");
    add(&db, &format!("Ana {}", mart("ínez")), &db.email("ana")).await;
    add(&db, &format!("{} Lee", mart("in")), &db.email("lee")).await;
    add(&db, &format!("Zed {}", mart("")), &db.email("zed")).await;
    add(&db, &format!("Abe {}", mart("")), &db.email("abe")).await;
    let twice = add(
        &db,
        &format!("{} {}", mart(""), mart("in")),
        &db.email("both"),
    )
    .await;
    let by_email = add(
        &db,
        "Emma Mail",
        &format!("{}@example.com", mart("")).to_lowercase(),
    )
    .await;

    let query = SearchQuery::parse(&mart("")).unwrap();
    let page = db.users().search(&query, None).await.unwrap();
    let names: Vec<&str> = page.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("Abe {}", mart("")).as_str(),
            twice.name.as_str(),
            format!("Zed {}", mart("")).as_str(),
            by_email.name.as_str(),
            format!("{} Lee", mart("in")).as_str(),
            format!("Ana {}", mart("ínez")).as_str(),
        ],
        "by the word that matched (…mart, its email …mart@, …martin, …martinez), then by name"
    );
    db.drop().await;
}

#[tokio::test]
async fn an_export_with_q_streams_what_the_search_finds_in_its_order() {
    let db = TestDb::new(2).await;
    let word = format!("X{}", db.tag);
    for (name, local) in [("Cy", "cy"), ("Al", "al"), ("Bo", "bo")] {
        add(&db, &format!("{name} {word}"), &db.email(local)).await;
    }
    add(&db, "Not Found", &db.email("other")).await;
    let token = db.token(cassandra_users::model::Role::Viewer).await;
    let url = crate::helpers::spawn_app(cassandra_users::server::Database::connected(
        db.stores.clone(),
    ))
    .await;
    let client = crate::helpers::http_client().build().unwrap();
    let export = |q: String| {
        client
            .get(format!("{url}/api/users/export.csv"))
            .query(&[("q", q)])
            .bearer_auth(&token)
            .send()
    };
    let response = export(word.to_lowercase()).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body = response.text().await.unwrap();
    let names: Vec<&str> = body
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(1).unwrap())
        .collect();
    let expected: Vec<String> = ["Al", "Bo", "Cy"]
        .iter()
        .map(|name| format!("{name} {word}"))
        .collect();
    assert_eq!(
        names, expected,
        "every page of the search (pages of 2), in its order"
    );

    let refused = export("x".to_owned()).await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(body.contains("at least 2"), "{body}");
    db.drop().await;
}
