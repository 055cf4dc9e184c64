//! Search at scale: with 10^4 users, a page of results is one read through the index that
//! touches a page of rows, not the table (a page is 50; 10^4 is 200 pages, so a read of the
//! table could not pass as a page's). Run on the dev node (it fills a keyspace for it); `make
//! bench` measures search at 10^6.

use crate::helpers::{at_quorum, refresh_estimates, TestDb};
use cassandra_users::server::users::search_terms::{terms, SearchWords};
use futures_util::{stream, StreamExt, TryStreamExt};
use std::time::Duration;
use uuid::Uuid;

/// Rows written at once while filling a keyspace for the scale test: more held the two-core node
/// busy enough that lightweight transactions of tests running beside this one timed out.
const LOAD_AT_ONCE: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_results_is_one_index_read_of_a_page_at_ten_thousand_rows() {
    let db = TestDb::alone(50).await;
    let insert = db
        .session()
        .prepare(at_quorum(format!(
            "INSERT INTO {}.users (id, name, email, search_terms) VALUES (?, ?, ?, ?)",
            db.keyspace()
        )))
        .await
        .unwrap();
    stream::iter(0..10_000)
        .map(|n| {
            let (insert, session) = (&insert, db.session());
            async move {
                let (name, email) = (format!("Mara Person{n}"), format!("p{n}@example.com"));
                let row = (Uuid::new_v4(), &name, &email, terms(&name, &email));
                session.execute_unpaged(insert, row).await.map(|_| ())
            }
        })
        .buffer_unordered(LOAD_AT_ONCE)
        .try_collect::<()>()
        .await
        .expect("load 10^4 rows");
    // From disk, as a table of that size mostly is.
    refresh_estimates(&db, "users").await;

    // A prefix of every row, two words, the start of one email.
    for typed in ["ma", "mara person4", "p777@exa"] {
        let words = SearchWords::of(typed).unwrap();
        let (statement, values) = db.users().searcher().read_for(&words, None);
        let mut traced = statement.clone();
        traced.set_tracing(true);
        let answer = db.session().execute_unpaged(&traced, values).await.unwrap();
        let activities = trace(&db, answer.tracing_id().expect("a traced read")).await;
        assert!(
            activities
                .iter()
                .any(|a| a.contains("using index users_search_idx")),
            "{typed}: {activities:#?}"
        );
        let partitions_read = activities
            .iter()
            .filter(|a| a.starts_with("Executing single-partition query"))
            .count();
        // A page of 50 and one more to know there is a next; on the cluster each of the replicas
        // asked (two at LOCAL_QUORUM, three at most) says it once.
        assert!(
            (1..=51 * 3).contains(&partitions_read),
            "{typed}: {partitions_read} partitions read for a page of 50 among 10^4 rows"
        );
    }
    db.drop().await;
}

/// What the node did for a traced request, once its trace is complete (Cassandra writes traces
/// in the background, after answering; a busy node takes a while).
async fn trace(db: &TestDb, id: Uuid) -> Vec<String> {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Ok(info) = db.session().get_tracing_info(&id).await {
            let events: Vec<String> = info.events.into_iter().filter_map(|e| e.activity).collect();
            if info.duration.is_some() && events.iter().any(|e| e.contains("live rows")) {
                return events;
            }
        }
    }
    panic!("no complete trace of request {id} within a minute");
}
