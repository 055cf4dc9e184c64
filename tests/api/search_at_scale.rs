//! Search at scale: with 10^4 users, a page of results is one read through the index that
//! touches a page of rows, not the table (a page is 50; 10^4 is 200 pages, so a read of the
//! table could not pass as a page's). Run on the dev node (it fills a keyspace for it); `make
//! bench` measures search at 10^6.

use crate::helpers::{at_quorum, refresh_estimates, TestDb};
use cassandra_users::server::cassandra::retries::with_retries;
use cassandra_users::server::users::name_order::key::NameKey;
use cassandra_users::server::users::search_terms::SearchWords;
use cassandra_users::validate::SearchQuery;
use futures_util::{stream, StreamExt, TryStreamExt};
use std::time::Duration;
use uuid::Uuid;

/// Rows written at once while filling a keyspace for the scale test: more held the two-core node
/// busy enough that lightweight transactions of tests running beside this one timed out.
const LOAD_AT_ONCE: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_results_is_one_slice_of_a_page_at_ten_thousand_rows() {
    let db = TestDb::alone(50).await;
    let ks = db.keyspace();
    let prepare = |cql: String| db.session().prepare(at_quorum(cql));
    let insert_user = prepare(format!(
        "INSERT INTO {ks}.users (id, name, email) VALUES (?, ?, ?)"
    ));
    let insert_term = prepare(format!(
        "INSERT INTO {ks}.ordered_terms (part, key, id, placed) VALUES (?, ?, ?, true)"
    ));
    let (insert_user, insert_term) = (insert_user.await.unwrap(), insert_term.await.unwrap());
    // The rows and their entries as the app writes them (without an audit event each).
    stream::iter(0..10_000)
        .map(|n| {
            let (insert_user, insert_term, session) = (&insert_user, &insert_term, db.session());
            async move {
                let (id, name, email) = (
                    Uuid::new_v4(),
                    format!("Mara Person{n}"),
                    format!("p{n}@example.com"),
                );
                // Tried again after a timeout, as the app does (each write is idempotent): on two
                // busy cores a single write has waited past the node's two seconds.
                with_retries(|| session.execute_unpaged(insert_user, (id, &name, &email))).await?;
                for key in NameKey::terms_of(id, &name, &email) {
                    // One range, never split: the test writes its entries without counting them.
                    let values = (Uuid::nil(), key.as_str().to_owned(), key.id());
                    with_retries(|| session.execute_unpaged(insert_term, &values)).await?;
                }
                Ok::<(), scylla::errors::ExecutionError>(())
            }
        })
        .buffer_unordered(LOAD_AT_ONCE)
        .try_collect::<()>()
        .await
        .expect("load 10^4 rows");
    // From disk, as a table of that size mostly is.
    refresh_estimates(&db, "users").await;

    // A prefix of every row, two words, the start of one email.
    for (typed, found) in [("ma", 50), ("mara person4", 50), ("p777@exa", 1)] {
        let query = SearchQuery::parse(typed).unwrap();
        let page = db.users().search(&query, None).await.unwrap();
        assert_eq!(page.users.len(), found, "{typed}");

        let words = SearchWords::of(typed).unwrap();
        let (statement, values) = db.users().searcher().first_read(&words).await.unwrap();
        let mut traced = statement.clone();
        traced.set_tracing(true);
        let answer = db.session().execute_unpaged(&traced, values).await.unwrap();
        let activities = trace(&db, answer.tracing_id().expect("a traced read")).await;
        let partitions_read = activities
            .iter()
            .filter(|a| a.starts_with("Executing single-partition query on ordered_terms"))
            .count();
        // One partition; on the cluster each of the replicas asked (two at LOCAL_QUORUM, three
        // at most) says it once.
        assert!(
            (1..=3).contains(&partitions_read),
            "{typed}: {partitions_read} partitions read for a page among 10^4 rows: {activities:#?}"
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
