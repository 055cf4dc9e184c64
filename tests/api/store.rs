//! The user store against a real Cassandra node: CRUD, paging, unique emails under concurrency,
//! and rows written by other clients.

use crate::helpers::{at_quorum, expected_release, expects_transactions, TestDb};
use cassandra_users::model::{Cursor, User};
use cassandra_users::server::audit::Actor;
use cassandra_users::server::users::{UserError, STALE_CLAIM_AFTER};
use cassandra_users::validate::{validate_user, Email, ValidUser};
use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Changes made by the tests are recorded as made from the command line.
const CLI: Actor = Actor::CommandLine;

fn user(name: &str, email: &str) -> ValidUser {
    validate_user(name, email).expect("valid test input")
}

/// Creates a user that must be accepted.
async fn add(db: &TestDb, name: &str, email: &str) -> User {
    db.stores
        .users
        .create(&user(name, email), &CLI)
        .await
        .expect("create")
}

#[tokio::test]
async fn create_read_update_delete() {
    let db = TestDb::new(50).await;
    let store = &db.stores.users;

    let created = store
        .create(
            &user("  Ada Lovelace ", &format!(" {} ", db.email("Ada"))),
            &CLI,
        )
        .await
        .unwrap();
    assert_eq!(
        (created.name.as_str(), created.email.as_str()),
        ("Ada Lovelace", db.email("ada").as_str())
    );
    assert_eq!(store.get(created.id).await.unwrap(), created);

    let updated = store
        .update(created.id, None, &user("Ada King", &db.email("ada")), &CLI)
        .await
        .unwrap();
    assert_eq!(updated.name, "Ada King");
    assert_eq!(store.get(created.id).await.unwrap().name, "Ada King");

    let found = store
        .find_by_email(&Email::parse(&db.email("ADA")).unwrap())
        .await
        .unwrap();
    assert_eq!(found.id, created.id);

    store.delete(created.id, None, &CLI).await.unwrap();
    assert!(matches!(
        store.get(created.id).await,
        Err(UserError::NotFound)
    ));
    assert!(matches!(
        store.delete(created.id, None, &CLI).await,
        Err(UserError::NotFound)
    ));
    assert!(matches!(
        store
            .update(created.id, None, &user("X", &db.email("x")), &CLI)
            .await,
        Err(UserError::NotFound)
    ));
    db.drop().await;
}

#[tokio::test]
async fn paging_visits_every_user_once_in_pages_of_the_configured_size() {
    let db = TestDb::alone(4).await;
    let mut expected = HashSet::new();
    for i in 0..14 {
        let created = db
            .stores
            .users
            .create(
                &user(&format!("User {i}"), &format!("user{i}@example.com")),
                &CLI,
            )
            .await
            .unwrap();
        expected.insert(created.id);
    }

    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    let mut pages = 0;
    loop {
        let page = db.stores.users.list(after).await.unwrap();
        pages += 1;
        assert!(
            page.users.len() <= 4,
            "page {pages} has {} users",
            page.users.len()
        );
        seen.extend(page.users.iter().map(|u| u.id));
        match page.next {
            Some(cursor) => after = Some(cursor.parse().unwrap()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 4, "14 users in pages of 4");
    assert_eq!(seen.len(), 14, "no duplicates");
    assert_eq!(
        seen.iter().copied().collect::<HashSet<_>>(),
        expected,
        "no gaps"
    );
    db.drop().await;
}

#[tokio::test]
async fn an_empty_table_is_one_empty_page() {
    let db = TestDb::alone(10).await;
    let page = db.stores.users.list(None).await.unwrap();
    assert!(page.users.is_empty());
    assert_eq!(page.next, None);
    db.drop().await;
}

#[tokio::test]
async fn of_many_concurrent_creates_with_one_email_exactly_one_wins() {
    let db = TestDb::new(50).await;
    let email = db.email("race");
    let attempts = (0..24).map(|i| {
        let (store, email) = (db.stores.clone(), email.clone());
        tokio::spawn(async move {
            store
                .users
                .create(&user(&format!("Racer {i}"), &email), &CLI)
                .await
        })
    });
    let results = futures_util::future::join_all(attempts).await;
    let (won, lost): (Vec<_>, Vec<_>) = results
        .into_iter()
        .map(|r| r.unwrap())
        .partition(Result::is_ok);
    assert_eq!(won.len(), 1, "exactly one create wins");
    assert!(
        lost.iter().all(|r| matches!(r, Err(UserError::EmailTaken))),
        "the others are told the email is taken: {lost:?}"
    );
    assert_eq!(
        db.rows_with_email(&email).await.len(),
        1,
        "no user was written by a loser"
    );
    db.drop().await;
}

#[tokio::test]
async fn taken_emails_are_refused_on_create_and_on_update() {
    let db = TestDb::new(50).await;
    let ada = add(&db, "Ada", &db.email("ada")).await;
    let bob = add(&db, "Bob", &db.email("bob")).await;
    assert!(matches!(
        db.stores
            .users
            .create(&user("Other Ada", &format!("{} ", db.email("ADA"))), &CLI)
            .await,
        Err(UserError::EmailTaken)
    ));
    assert!(matches!(
        db.stores
            .users
            .update(bob.id, None, &user("Bob", &db.email("ada")), &CLI)
            .await,
        Err(UserError::EmailTaken)
    ));
    assert_eq!(
        db.stores.users.get(bob.id).await.unwrap().email,
        db.email("bob"),
        "a refused update changes nothing"
    );
    assert_eq!(
        db.stores.users.get(ada.id).await.unwrap().email,
        db.email("ada")
    );
    db.drop().await;
}

#[tokio::test]
async fn changing_or_deleting_releases_the_old_email() {
    let db = TestDb::new(50).await;
    let ada = add(&db, "Ada", &db.email("ada")).await;
    db.stores
        .users
        .update(ada.id, None, &user("Ada", &db.email("ada.new")), &CLI)
        .await
        .unwrap();
    let next_ada = db
        .stores
        .users
        .create(&user("Another Ada", &db.email("ada")), &CLI)
        .await
        .expect("old email is free again");
    assert!(matches!(
        db.stores
            .users
            .create(&user("Copy", &db.email("ada.new")), &CLI)
            .await,
        Err(UserError::EmailTaken)
    ));

    db.stores
        .users
        .delete(next_ada.id, None, &CLI)
        .await
        .unwrap();
    db.stores
        .users
        .create(&user("Third Ada", &db.email("ada")), &CLI)
        .await
        .expect("a deleted user's email is free again");
    db.drop().await;
}

/// An import keeps the case of a file's emails (`ADA@EXAMPLE.COM`); the claim that keeps the
/// address unique is on the address as validated (`ada@example.com`), on every write path.
#[tokio::test]
async fn a_user_written_with_its_email_as_typed_claims_the_address_as_validated() {
    let db = TestDb::new(50).await;
    let address = db.email("ada");
    let typed = address.to_uppercase();
    let ada = User {
        id: Uuid::new_v4(),
        name: "Ada".into(),
        email: typed.clone(),
    };
    let email = Email::parse(&typed).unwrap();
    db.users()
        .create_as_written(&ada, &email, &CLI)
        .await
        .unwrap();
    assert_eq!(db.users().get(ada.id).await.unwrap().email, typed);
    assert_eq!(db.claim_holder(&address).await, Some(ada.id));

    db.users().delete(ada.id, None, &CLI).await.unwrap();
    assert_eq!(
        db.claim_holder(&address).await,
        None,
        "released with the user"
    );
    db.drop().await;
}

#[tokio::test]
async fn rows_written_by_other_clients_show_up_and_can_be_edited() {
    let db = TestDb::alone(50).await;
    let id = Uuid::new_v4();
    // As the Python quickstart or cqlsh would write it: straight into `users`, no email claim.
    db.session()
        .query_unpaged(
            at_quorum(format!(
                "INSERT INTO {}.users (id, name, email) VALUES (?, 'Carol', 'carol@example.com')",
                db.keyspace()
            )),
            (id,),
        )
        .await
        .unwrap();
    let nameless = Uuid::new_v4();
    db.session()
        .query_unpaged(
            at_quorum(format!(
                "INSERT INTO {}.users (id) VALUES (?)",
                db.keyspace()
            )),
            (nameless,),
        )
        .await
        .unwrap();

    let listed = db.stores.users.list(None).await.unwrap().users;
    assert!(
        listed.iter().any(|u| u.id == id && u.name == "Carol"),
        "{listed:?}"
    );
    assert!(listed
        .iter()
        .any(|u| u.id == nameless && u.name.is_empty() && u.email.is_empty()));

    let edited = db
        .stores
        .users
        .update(
            id,
            None,
            &user("Carol Shaw", "carol@shaw.example.com"),
            &CLI,
        )
        .await
        .unwrap();
    assert_eq!(edited.email, "carol@shaw.example.com");
    let found = db
        .stores
        .users
        .find_by_email(&Email::parse("carol@shaw.example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(
        found.id, id,
        "the edited row now holds a claim on its new email"
    );
    db.stores
        .users
        .delete(nameless, None, &CLI)
        .await
        .expect("a row without an email can be deleted");
    db.drop().await;
}

#[tokio::test]
async fn a_stale_claim_is_taken_over() {
    let db = TestDb::new(50).await;
    // Claims left behind by creates that died before writing their user: one long ago, one just
    // now (which might still be in flight, so it must be respected).
    let (ghost, fresh) = (db.email("ghost"), db.email("fresh"));
    let claim = |email: String, age: Duration| {
        let written = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() - age;
        db.session().query_unpaged(
            at_quorum(format!(
                "INSERT INTO {}.users_by_email (email, id) VALUES (?, ?) USING TIMESTAMP ?",
                db.keyspace()
            )),
            (email, Uuid::new_v4(), written.as_micros() as i64),
        )
    };
    claim(ghost.clone(), STALE_CLAIM_AFTER + Duration::from_secs(1))
        .await
        .unwrap();
    claim(fresh.clone(), Duration::ZERO).await.unwrap();
    let eager = db.stores.users.create(&user("Eager", &fresh), &CLI).await;
    if db.users().uses_transactions() {
        // A user and its claim are written together, so a claim without its user is never a
        // create in flight: it is taken over at once.
        assert!(eager.is_ok(), "{eager:?}");
    } else {
        assert!(matches!(eager, Err(UserError::EmailTaken)), "{eager:?}");
    }

    assert!(matches!(
        db.stores
            .users
            .find_by_email(&Email::parse(&ghost).unwrap())
            .await,
        Err(UserError::NotFound)
    ));
    let real = db
        .stores
        .users
        .create(&user("Real", &ghost), &CLI)
        .await
        .expect("stale claim is taken over");
    let found = db
        .stores
        .users
        .find_by_email(&Email::parse(&ghost).unwrap())
        .await
        .unwrap();
    assert_eq!(found.id, real.id);
    db.drop().await;
}

#[tokio::test]
async fn the_node_reports_its_release_version() {
    let db = TestDb::new(50).await;
    let version = db.stores.node.release_version().await.unwrap();
    assert!(
        version.starts_with(&expected_release()),
        "expected Cassandra {}, got {version}",
        expected_release()
    );
    db.drop().await;
}

#[tokio::test]
async fn changes_run_as_transactions_exactly_when_the_node_has_accord() {
    let db = TestDb::new(50).await;
    assert_eq!(db.users().uses_transactions(), expects_transactions());
    db.drop().await;
}
