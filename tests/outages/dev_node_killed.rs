//! Faults against the real node: the dev node is SIGKILLed under a create load and restarted.
//! They stop Cassandra, so `make test` runs them alone, after every other suite.

use crate::helpers::{email_tagged, spawn_app, TestDb};
use crate::scripts::run_script;
use cassandra_users::model::Role;
use cassandra_users::server::Database;
use cassandra_users::validate::Email;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const CLIENTS: usize = 8;
const UNAVAILABLE: &str = "The database is unavailable — nothing was saved. Try again in a moment.";

#[derive(Default)]
struct Tally {
    acknowledged: Mutex<Vec<(Uuid, String)>>,
    unavailable: AtomicUsize,
    other: Mutex<Vec<String>>,
    sent: AtomicUsize,
}

/// `CLIENTS` scripts creating users over HTTP until `stop`, each request with a unique email.
fn create_load(
    url: String,
    token: String,
    tag: String,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|client| {
            let (url, token, tag, stop, tally) = (
                url.clone(),
                token.clone(),
                tag.clone(),
                stop.clone(),
                tally.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .build()
                    .unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let email = email_tagged(&tag, &format!("load-{client}-{n}"));
                    tally.sent.fetch_add(1, Ordering::Relaxed);
                    let response = http
                        .post(format!("{url}/api/users/create"))
                        .header("accept", "application/json")
                        .bearer_auth(&token)
                        .form(&[("name", "Load"), ("email", email.as_str())])
                        .send()
                        .await;
                    match response {
                        Ok(response) if response.status() == 200 => {
                            let user: serde_json::Value = response.json().await.unwrap();
                            let id = Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
                            tally.acknowledged.lock().unwrap().push((id, email));
                        }
                        Ok(response) if response.status() == 503 => {
                            let body: serde_json::Value = response.json().await.unwrap();
                            let message = body["message"].as_str().unwrap_or_default();
                            let reference = format!(
                                "(reference: {})",
                                body["reference"].as_str().unwrap_or_default()
                            );
                            assert_eq!(
                                message,
                                format!("{UNAVAILABLE} {reference}"),
                                "the banner's text, quoting the request"
                            );
                            tally.unavailable.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Ok(response) => {
                            let status = response.status();
                            let text = response.text().await.unwrap_or_default();
                            tally
                                .other
                                .lock()
                                .unwrap()
                                .push(format!("{status}: {text}"));
                        }
                        Err(error) => tally.other.lock().unwrap().push(error.to_string()),
                    }
                }
            })
        })
        .collect()
}

/// Waits until `condition` holds, checking every 100 ms; fails the test after a minute.
async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "not within 60 s: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The dev node's pid, from the state folder `scripts/cassandra.sh` keeps it in (`make test`
/// runs a node of its own, in `CASSANDRA_STATE_DIR`).
fn dev_node_pid() -> String {
    let state = std::env::var("CASSANDRA_STATE_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.cassandra").to_owned());
    std::fs::read_to_string(format!("{state}/cassandra.pid"))
        .expect("the dev node's pid file (make cassandra-start)")
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_loses_no_acknowledged_create() {
    let db = TestDb::new(50).await;
    let token = db.token(Role::Editor).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let clients = create_load(
        url.clone(),
        token,
        db.tag.clone(),
        stop.clone(),
        tally.clone(),
    );
    let acknowledged = || tally.acknowledged.lock().unwrap().len();

    wait_until("100 creates acknowledged before the kill", || {
        acknowledged() >= 100
    })
    .await;
    let before_kill = acknowledged();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &dev_node_pid()])
        .status()
        .unwrap();
    assert!(killed.success());
    let killed_at = Instant::now();
    wait_until("a create answered 503 while the node is down", || {
        tally.unavailable.load(Ordering::Relaxed) > 0
    })
    .await;
    run_script("make", &["--no-print-directory", "cassandra-start"]).await;
    // The app reconnects by itself: wait for new acknowledgements, then keep the load on a while.
    let restarted = acknowledged();
    wait_until("20 creates acknowledged after the restart", || {
        acknowledged() >= restarted + 20
    })
    .await;
    let outage = killed_at.elapsed();
    wait_until("100 creates acknowledged after the restart", || {
        acknowledged() >= restarted + 100
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let acknowledged = tally.acknowledged.lock().unwrap().clone();
    let mut lost = Vec::new();
    for (id, email) in &acknowledged {
        let user = db.users().get(*id).await;
        let claim = db
            .users()
            .find_by_email(&Email::parse(email).unwrap())
            .await;
        let whole = matches!((&user, &claim), (Ok(u), Ok(c)) if u.email == *email && c.id == *id);
        if !whole {
            lost.push(format!("{id} {email}: {user:?} / {claim:?}"));
        }
    }
    let other = tally.other.lock().unwrap().clone();
    println!(
        "dev node SIGKILL under {CLIENTS} clients: {} requests, {} acknowledged ({before_kill} before the kill), \
         {} answered 503, {} other, outage to recovery {:.1} s, acknowledged writes lost: {}",
        tally.sent.load(Ordering::Relaxed),
        acknowledged.len(),
        tally.unavailable.load(Ordering::Relaxed),
        other.len(),
        outage.as_secs_f64(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:#?}");
    assert!(
        other.is_empty(),
        "every answer is 200 or 503 with the banner: {other:#?}"
    );
    assert!(
        tally.unavailable.load(Ordering::Relaxed) > 0,
        "requests during the outage got 503"
    );
    db.drop().await;
}
