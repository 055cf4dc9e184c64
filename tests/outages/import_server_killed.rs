//! An app server SIGKILLed in the middle of a 5,000-row import, and another one started: the job
//! finishes, with every row written once and none lost.

use crate::helpers::TestDb;
use crate::import_jobs;
use crate::server_process::ServerProcess;
use cassandra_users::model::Role;
use futures_util::{stream, StreamExt};
use std::collections::HashSet;
use std::time::Duration;

const ROWS: usize = 5_000;
/// The servers' lease length: the second server takes the job over once the first's has run out.
const JOB_LEASE: &str = "5s";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_server_was_killed_is_finished_by_another_with_every_row_once() {
    // The job is the keyspace's work, and the check reads every user: a keyspace of its own.
    let db = TestDb::alone(50).await;
    let token = db.token(Role::Editor).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let first = ServerProcess::start(db.keyspace(), &[("JOB_LEASE", JOB_LEASE)]);
    first.connected().await;
    let job = import_jobs::upload(&http, &first.url, &token, import_jobs::people(ROWS)).await;
    let within = Duration::from_secs(120);
    import_jobs::wait_until(&http, &first.url, &token, &job, within, |job| {
        job["state"] == "previewed"
    })
    .await;
    import_jobs::start(&http, &first.url, &token, &job).await;
    let before = import_jobs::wait_until(&http, &first.url, &token, &job, within, |job| {
        job["done"].as_u64() >= Some(1_000)
    })
    .await;
    drop(first); // SIGKILL
    eprintln!(
        "killed the first server at {} of {ROWS} rows",
        before["done"]
    );

    let second = ServerProcess::start(db.keyspace(), &[("JOB_LEASE", JOB_LEASE)]);
    let finished = import_jobs::wait_until(
        &http,
        &second.url,
        &token,
        &job,
        Duration::from_secs(240),
        |job| job["state"] == "done",
    )
    .await;
    drop(second);
    assert_eq!(finished["created"], ROWS, "{finished}");
    assert_eq!(finished["failed"], 0, "{finished}");

    let users = db.all_users().await;
    assert_eq!(users.len(), ROWS, "every row once, none lost");
    let emails: HashSet<&str> = users.iter().map(|user| user.email.as_str()).collect();
    assert_eq!(emails.len(), ROWS, "no email twice");
    // Written once: each user has exactly one event, its create.
    let audit = db.stores.audit.clone();
    let twice: Vec<String> = stream::iter(users)
        .map(|user| {
            let audit = audit.clone();
            async move {
                let history = audit.history(user.id, None).await.unwrap();
                (history.events.len() != 1).then(|| format!("{}: {:?}", user.email, history.events))
            }
        })
        .buffer_unordered(64)
        .filter_map(|problem| async move { problem })
        .collect()
        .await;
    assert!(
        twice.is_empty(),
        "{} users with other than one event, e.g. {:?}",
        twice.len(),
        twice.first()
    );
    db.drop().await;
}
