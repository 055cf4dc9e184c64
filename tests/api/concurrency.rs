//! Two people editing one user: a save or delete applies only if the user still has the values
//! the person saw; otherwise it is refused with the current values (409 over HTTP).

use crate::helpers::TestDb;
use cassandra_users::model::User;
use cassandra_users::server::audit::Actor;
use cassandra_users::server::users::UserError;
use cassandra_users::validate::validate_user;
use futures_util::future::join_all;

const CLI: Actor = Actor::CommandLine;

async fn add(db: &TestDb, name: &str, email: &str) -> User {
    db.users()
        .create(&validate_user(name, email).unwrap(), &CLI)
        .await
        .unwrap()
}

#[tokio::test]
async fn of_concurrent_saves_from_the_same_values_exactly_one_applies() {
    let db = TestDb::new(50).await;
    let opened = add(&db, "Ada", &db.email("ada")).await;
    const SAVES: usize = 12;
    let saves = (0..SAVES).map(|i| {
        let (db, opened) = (&db, opened.clone());
        async move {
            // Every third save also changes the email, so claims race as well.
            let email = if i % 3 == 0 {
                db.email(&format!("ada{i}"))
            } else {
                opened.email.clone()
            };
            let typed = validate_user(&format!("Ada {i}"), &email).unwrap();
            db.users()
                .update(opened.id, Some(&opened), &typed, &CLI)
                .await
        }
    });
    let outcomes = join_all(saves).await;
    let applied: Vec<&User> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(applied.len(), 1, "{outcomes:?}");
    let winner = applied[0].clone();
    for outcome in &outcomes {
        match outcome {
            Ok(_) => {}
            Err(UserError::Conflict(current)) => assert_eq!(current, &winner),
            Err(other) => panic!("expected a conflict, got {other}"),
        }
    }
    assert_eq!(db.users().get(opened.id).await.unwrap(), winner);
    // The winner's email is claimed by it, and no loser kept a claim.
    assert_eq!(db.claim_holder(&winner.email).await, Some(opened.id));
    for i in (0..SAVES).step_by(3) {
        let email = db.email(&format!("ada{i}"));
        if email != winner.email {
            assert_eq!(db.claim_holder(&email).await, None, "{email} was released");
        }
    }
    let history = db
        .stores
        .audit
        .history(opened.id, None)
        .await
        .unwrap()
        .events;
    let count = |action: &str| history.iter().filter(|e| e.action == action).count();
    assert_eq!((count("update"), count("conflict")), (1, SAVES - 1));
    db.drop().await;
}

#[tokio::test]
async fn a_stale_save_is_refused_and_can_then_overwrite_knowingly() {
    let db = TestDb::new(50).await;
    let opened = add(&db, "Bob", &db.email("bob")).await;
    let theirs = db
        .users()
        .update(
            opened.id,
            Some(&opened),
            &validate_user("Robert", &db.email("bob")).unwrap(),
            &CLI,
        )
        .await
        .unwrap();

    let mine = validate_user("Bobby", &db.email("bobby")).unwrap();
    let refused = db
        .users()
        .update(opened.id, Some(&opened), &mine, &CLI)
        .await;
    match refused {
        Err(UserError::Conflict(current)) => assert_eq!(current, theirs),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        db.users().get(opened.id).await.unwrap(),
        theirs,
        "nothing of mine applied"
    );
    assert_eq!(db.claim_holder(&db.email("bobby")).await, None);

    // "Overwrite": the person has now seen their values and saves against them.
    let saved = db
        .users()
        .update(opened.id, Some(&theirs), &mine, &CLI)
        .await
        .unwrap();
    assert_eq!(db.users().get(opened.id).await.unwrap(), saved);
    assert_eq!(db.claim_holder(&db.email("bobby")).await, Some(opened.id));
    assert_eq!(db.claim_holder(&db.email("bob")).await, None);
    db.drop().await;
}

#[tokio::test]
async fn a_delete_confirms_against_what_the_dialog_showed() {
    let db = TestDb::new(50).await;
    let shown = add(&db, "Cy", &db.email("cy")).await;
    let theirs = db
        .users()
        .update(
            shown.id,
            None,
            &validate_user("Cyrus", &db.email("cy")).unwrap(),
            &CLI,
        )
        .await
        .unwrap();
    match db.users().delete(shown.id, Some(&shown), &CLI).await {
        Err(UserError::Conflict(current)) => assert_eq!(current, theirs),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(
        db.users().get(shown.id).await.is_ok(),
        "the user is still there"
    );
    db.users()
        .delete(shown.id, Some(&theirs), &CLI)
        .await
        .unwrap();
    assert!(matches!(
        db.users().get(shown.id).await,
        Err(UserError::NotFound)
    ));
    assert_eq!(db.claim_holder(&db.email("cy")).await, None);
    db.drop().await;
}

#[tokio::test]
async fn a_create_racing_an_email_change_to_the_same_address_leaves_one_owner() {
    let db = TestDb::new(50).await;
    for round in 0..10 {
        let target = db.email(&format!("race{round}"));
        let mover = add(&db, "Mover", &db.email(&format!("mover{round}"))).await;
        let (creator, moved) = (
            validate_user("Creator", &target).unwrap(),
            validate_user("Mover", &target).unwrap(),
        );
        let create = db.users().create(&creator, &CLI);
        let change = db.users().update(mover.id, Some(&mover), &moved, &CLI);
        let (created, changed) = tokio::join!(create, change);
        assert!(
            created.is_ok() != changed.is_ok(),
            "round {round}: exactly one wins: {created:?} / {changed:?}"
        );
        for lost in [created.err(), changed.err()].into_iter().flatten() {
            assert!(
                matches!(lost, UserError::EmailTaken),
                "round {round}: {lost}"
            );
        }
        let owners = db.rows_with_email(&target).await;
        assert_eq!(owners.len(), 1, "round {round}: {owners:?}");
        assert_eq!(db.claim_holder(&target).await, Some(owners[0]));
    }
    db.drop().await;
}
