//! Rows that other clients wrote straight into `users`, with no email claim: found by email in any
//! case, counted as using their email, and given its claim (adopted).

mod common;

use cassandra_users::server::audit::Actor;
use cassandra_users::server::store::StoreError;
use cassandra_users::validate::{validate_user, Email};
use common::TestDb;
use std::time::Duration;

const CLI: Actor = Actor::CommandLine;
const HOUR: Duration = Duration::from_secs(3600);

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

#[tokio::test]
async fn a_row_written_elsewhere_in_mixed_case_is_found_and_blocks_a_duplicate() {
    let db = TestDb::new(50).await;
    let carol = db
        .insert_elsewhere("Carol", "Carol.Shaw@Example.COM", HOUR)
        .await;

    let found = db
        .users()
        .find_by_email(&email("carol.shaw@example.com"))
        .await
        .unwrap();
    assert_eq!(
        (found.id, found.email.as_str()),
        (carol, "Carol.Shaw@Example.COM")
    );
    assert_eq!(
        db.claim_holder("carol.shaw@example.com").await,
        None,
        "finding changes nothing"
    );

    let duplicate = db
        .users()
        .create(
            &validate_user("Other Carol", "carol.shaw@example.com").unwrap(),
            &CLI,
        )
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::EmailTaken)),
        "{duplicate:?}"
    );
    assert_eq!(
        db.claim_holder("carol.shaw@example.com").await,
        Some(carol),
        "the row written elsewhere was given its claim"
    );
    let history = db.stores.audit.history(carol, None).await.unwrap().events;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "adopt");
    assert_eq!(db.all_users().await.len(), 1, "no second user was written");
    db.drop().await;
}

#[tokio::test]
async fn an_email_change_to_an_address_a_row_elsewhere_has_is_refused() {
    let db = TestDb::new(50).await;
    let bob = db
        .users()
        .create(&validate_user("Bob", "bob@example.com").unwrap(), &CLI)
        .await
        .unwrap();
    let dan = db.insert_elsewhere("Dan", "DAN@example.com", HOUR).await;
    let change = db
        .users()
        .update(
            bob.id,
            None,
            &validate_user("Bob", "dan@example.com").unwrap(),
            &CLI,
        )
        .await;
    assert!(matches!(change, Err(StoreError::EmailTaken)), "{change:?}");
    assert_eq!(
        db.users().get(bob.id).await.unwrap().email,
        "bob@example.com"
    );
    assert_eq!(db.claim_holder("dan@example.com").await, Some(dan));
    assert_eq!(
        db.claim_holder("bob@example.com").await,
        Some(bob.id),
        "Bob keeps his own"
    );
    db.drop().await;
}

#[tokio::test]
async fn of_several_rows_with_one_email_the_oldest_wins_the_claim() {
    let db = TestDb::new(50).await;
    let newer = db.insert_elsewhere("Newer", "eve@example.com", HOUR).await;
    let oldest = db
        .insert_elsewhere("Oldest", "Eve@Example.com", 3 * HOUR)
        .await;
    let _middle = db
        .insert_elsewhere("Middle", "EVE@EXAMPLE.COM", 2 * HOUR)
        .await;

    assert_eq!(
        db.users()
            .find_by_email(&email("eve@example.com"))
            .await
            .unwrap()
            .id,
        oldest
    );
    let refused = db
        .users()
        .create(&validate_user("Eve", "eve@example.com").unwrap(), &CLI)
        .await;
    assert!(matches!(refused, Err(StoreError::EmailTaken)));
    assert_eq!(db.claim_holder("eve@example.com").await, Some(oldest));
    assert_ne!(Some(newer), db.claim_holder("eve@example.com").await);
    db.drop().await;
}

#[tokio::test]
async fn a_row_elsewhere_can_change_only_the_case_of_its_own_email() {
    let db = TestDb::new(50).await;
    let fay = db.insert_elsewhere("Fay", "Fay@Example.com", HOUR).await;
    let saved = db
        .users()
        .update(
            fay,
            None,
            &validate_user("Fay", "fay@example.com").unwrap(),
            &CLI,
        )
        .await
        .expect("its own email, normalised, is not someone else's");
    assert_eq!(saved.email, "fay@example.com");
    assert_eq!(db.claim_holder("fay@example.com").await, Some(fay));
    db.drop().await;
}
