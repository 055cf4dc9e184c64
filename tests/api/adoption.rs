//! Rows that other clients wrote straight into `users`, with no email claim: found by email in any
//! case, counted as using their email, and given its claim (adopted), one by one or by reconcile.

use crate::helpers::TestDb;
use cassandra_users::server::audit::Actor;
use cassandra_users::server::users::name_order::pages::NameFrom;
use cassandra_users::server::users::search_terms::fold;
use cassandra_users::server::users::UserError;
use cassandra_users::validate::{validate_user, Email};
use futures_util::{stream, StreamExt};
use std::time::Duration;
use uuid::Uuid;

const CLI: Actor = Actor::CommandLine;
const HOUR: Duration = Duration::from_secs(3600);

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

#[tokio::test]
async fn a_row_written_elsewhere_in_mixed_case_is_found_and_blocks_a_duplicate() {
    let db = TestDb::without_constraints(50).await;
    let written = db.email("Carol.Shaw").to_uppercase();
    let carol = db.insert_elsewhere("Carol", &written, HOUR).await;
    let normalised = db.email("carol.shaw");

    let found = db.users().find_by_email(&email(&normalised)).await.unwrap();
    assert_eq!((found.id, found.email.as_str()), (carol, written.as_str()));
    assert_eq!(
        db.claim_holder(&normalised).await,
        None,
        "finding changes nothing"
    );

    let duplicate = db
        .users()
        .create(&validate_user("Other Carol", &normalised).unwrap(), &CLI)
        .await;
    assert!(
        matches!(duplicate, Err(UserError::EmailTaken)),
        "{duplicate:?}"
    );
    assert_eq!(
        db.claim_holder(&normalised).await,
        Some(carol),
        "the row written elsewhere was given its claim"
    );
    let history = db.stores.audit.history(carol, None).await.unwrap().events;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "adopt");
    assert_eq!(
        db.rows_with_email(&normalised).await,
        [carol],
        "no second user was written"
    );
    db.drop().await;
}

#[tokio::test]
async fn an_email_change_to_an_address_a_row_elsewhere_has_is_refused() {
    let db = TestDb::without_constraints(50).await;
    let bob = db
        .users()
        .create(&validate_user("Bob", &db.email("bob")).unwrap(), &CLI)
        .await
        .unwrap();
    let dan = db.insert_elsewhere("Dan", &db.email("DAN"), HOUR).await;
    let change = db
        .users()
        .update(
            bob.id,
            None,
            &validate_user("Bob", &db.email("dan")).unwrap(),
            &CLI,
        )
        .await;
    assert!(matches!(change, Err(UserError::EmailTaken)), "{change:?}");
    assert_eq!(db.users().get(bob.id).await.unwrap().email, db.email("bob"));
    assert_eq!(db.claim_holder(&db.email("dan")).await, Some(dan));
    assert_eq!(
        db.claim_holder(&db.email("bob")).await,
        Some(bob.id),
        "Bob keeps his own"
    );
    db.drop().await;
}

#[tokio::test]
async fn of_several_rows_with_one_email_the_oldest_wins_the_claim() {
    let db = TestDb::without_constraints(50).await;
    let eve = db.email("eve");
    let newer = db.insert_elsewhere("Newer", &eve, HOUR).await;
    let oldest = db
        .insert_elsewhere("Oldest", &db.email("Eve"), 3 * HOUR)
        .await;
    let _middle = db
        .insert_elsewhere("Middle", &eve.to_uppercase(), 2 * HOUR)
        .await;

    assert_eq!(
        db.users().find_by_email(&email(&eve)).await.unwrap().id,
        oldest
    );
    let refused = db
        .users()
        .create(&validate_user("Eve", &eve).unwrap(), &CLI)
        .await;
    assert!(matches!(refused, Err(UserError::EmailTaken)));
    assert_eq!(db.claim_holder(&eve).await, Some(oldest));
    assert_ne!(Some(newer), db.claim_holder(&eve).await);
    db.drop().await;
}

#[tokio::test]
async fn a_row_elsewhere_can_change_only_the_case_of_its_own_email() {
    let db = TestDb::without_constraints(50).await;
    let fay = db.insert_elsewhere("Fay", &db.email("Fay"), HOUR).await;
    let saved = db
        .users()
        .update(
            fay,
            None,
            &validate_user("Fay", &db.email("fay")).unwrap(),
            &CLI,
        )
        .await
        .expect("its own email, normalised, is not someone else's");
    assert_eq!(saved.email, db.email("fay"));
    assert_eq!(db.claim_holder(&db.email("fay")).await, Some(fay));
    db.drop().await;
}

/// The names of the first page of users in name order.
async fn names_by_name(db: &TestDb) -> Vec<String> {
    let page = db.users().list_by_name(NameFrom::Start).await.unwrap();
    page.users.into_iter().map(|u| u.name).collect()
}

/// Rows as another client writes them: `count` with their own emails in mixed case, two that
/// share one email, and one whose email is not an address.
async fn rows_written_elsewhere(db: &TestDb, count: usize) -> (Uuid, Uuid) {
    let emails: Vec<String> = (0..count)
        .map(|i| format!("Imported.{i}@Example.com"))
        .collect();
    // Sixteen at a time: all at once, hundreds of writes queued on a two-core node for seconds,
    // and the lightweight transactions of tests running beside this one timed out.
    stream::iter(&emails)
        .for_each_concurrent(16, |email| async move {
            db.insert_elsewhere("Imported", email, HOUR).await;
        })
        .await;
    db.insert_elsewhere("Not an address", "nobody at example", HOUR)
        .await;
    let older = db
        .insert_elsewhere("Twin A", "Twin@Example.com", 2 * HOUR)
        .await;
    let newer = db
        .insert_elsewhere("Twin B", "twin@example.com ", HOUR)
        .await;
    (older, newer)
}

#[tokio::test]
async fn reconcile_claims_every_row_written_elsewhere_and_lists_shared_emails() {
    let db = TestDb::alone_without_constraints(50).await;
    const IMPORTED: usize = 450; // more than two of reconcile's pages
    let (older_twin, newer_twin) = rows_written_elsewhere(&db, IMPORTED).await;
    let app_user = db
        .users()
        .create(&validate_user("App", "app@example.com").unwrap(), &CLI)
        .await
        .unwrap();

    assert_eq!(
        names_by_name(&db).await,
        ["App"],
        "rows other clients wrote are not in name order before reconcile"
    );

    let mut seen = Vec::new();
    let run = db
        .stores
        .reconcile
        .run(&CLI, false, |run| seen.push(run.progress_percent))
        .await
        .unwrap();
    assert!(run.finished);
    assert_eq!(run.scanned as usize, IMPORTED + 4);
    assert_eq!(
        run.claimed as usize,
        IMPORTED + 1,
        "every imported row, and one of the twins"
    );
    assert_eq!((run.duplicate_emails, run.not_emails), (1, 1));
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]) && seen.last() == Some(&100),
        "{seen:?}"
    );

    for i in [0, IMPORTED / 2, IMPORTED - 1] {
        let email = format!("imported.{i}@example.com");
        let holder = db.claim_holder(&email).await.expect("claimed");
        assert_eq!(
            db.users().get(holder).await.unwrap().email,
            format!("Imported.{i}@Example.com")
        );
    }
    assert_eq!(
        db.claim_holder("twin@example.com").await,
        Some(older_twin),
        "the oldest wins"
    );
    assert_eq!(db.claim_holder("app@example.com").await, Some(app_user.id));

    let sorted = names_by_name(&db).await;
    assert_eq!(sorted.len(), 50, "a whole page in name order now");
    let mut expected = sorted.clone();
    expected.sort_by_key(|name| fold(name));
    assert_eq!(sorted, expected);

    let status = db.stores.reconcile.status().await.unwrap();
    assert_eq!(status.duplicates.len(), 1);
    assert_eq!(status.duplicates[0].email, "twin@example.com");
    let twins: Vec<Uuid> = status.duplicates[0].users.iter().map(|u| u.id).collect();
    assert_eq!(twins, vec![older_twin, newer_twin], "oldest first");

    let again = db.stores.reconcile.run(&CLI, false, |_| {}).await.unwrap();
    assert_ne!(again.id, run.id, "a finished run is not continued");
    assert_eq!((again.claimed, again.duplicate_emails), (0, 1));
    db.drop().await;
}

#[tokio::test]
async fn a_stopped_reconcile_continues_where_it_was() {
    let db = TestDb::alone_without_constraints(50).await;
    rows_written_elsewhere(&db, 500).await;
    let reconcile = &db.stores.reconcile;
    // Stop the run (drop it) once its first page is done, as a killed process would.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut stop = Some(stop);
    let mut first = Box::pin(reconcile.run(&CLI, false, |run| {
        if run.scanned > 0 {
            stop.take().map(|stop| stop.send(()));
        }
    }));
    tokio::select! {
        _ = &mut first => panic!("the run should have been stopped"),
        _ = stopped => {}
    }
    drop(first);
    let paused = reconcile.status().await.unwrap();
    let paused_run = paused.run.clone().unwrap();
    assert!(!paused.running && !paused_run.finished, "{paused:?}");
    assert!(paused_run.scanned > 0 && (paused_run.scanned as usize) < 503);

    let resumed = reconcile.run(&CLI, false, |_| {}).await.unwrap();
    assert_eq!(resumed.id, paused_run.id, "the same run continued");
    assert!(resumed.finished);
    assert_eq!(resumed.scanned, 503, "every row counted once");
    for i in [0, 250, 499] {
        assert!(db
            .claim_holder(&format!("imported.{i}@example.com"))
            .await
            .is_some());
    }
    db.drop().await;
}
