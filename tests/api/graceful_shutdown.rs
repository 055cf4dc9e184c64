//! SIGTERM, as a service manager or an orchestrator stops a server: it takes no new connections,
//! answers every request it had begun, hands its import back at once, and exits 0.

use crate::helpers::{email_tagged, http_client, TestDb};
use crate::import_jobs;
use crate::server_process::ServerProcess;
use cassandra_users::model::{ImportState, Role};
use cassandra_users::server::users::UserError;
use cassandra_users::validate::Email;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one create of the load got back.
enum Outcome {
    Answered(u16),
    /// No answer: refused, or reset before the server read the request.
    NoAnswer(String),
}

/// Creates from one client, each on a new connection, until the server stops taking them.
async fn create_until_refused(
    url: String,
    token: String,
    emails: impl Fn(String) -> String,
    client: usize,
    stopped: Arc<AtomicBool>,
) -> Vec<(String, Outcome)> {
    let http = http_client()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut outcomes = Vec::new();
    for n in 0.. {
        let email = emails(format!("load.{client}.{n}"));
        let sent = http
            .post(format!("{url}/api/users/create"))
            .bearer_auth(&token)
            .form(&[
                ("name", format!("Load {client} {n}").as_str()),
                ("email", email.as_str()),
            ])
            .send()
            .await;
        match sent {
            Ok(response) => outcomes.push((email, Outcome::Answered(response.status().as_u16()))),
            Err(error) => {
                outcomes.push((email, Outcome::NoAnswer(format!("{error:?}"))));
                if stopped.load(Ordering::SeqCst) {
                    return outcomes;
                }
            }
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_request_begun_refuses_new_connections_and_exits_0() {
    let db = TestDb::new(50).await;
    let token = db.token(Role::Editor).await;
    let mut server = ServerProcess::start(db.keyspace(), &[("SHUTDOWN_GRACE", "20s")]);
    server.connected().await;

    // A create whose body is still on its way when SIGTERM comes: in flight for certain.
    let slow_sender = db.email("slow.sender");
    let body = format!("name=Slow+Sender&email={}", slow_sender.replace('@', "%40"));
    let (first_part, rest) = body.split_at(12);
    let mut slow = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/users/create HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.port,
        body.len()
    );
    slow.write_all(format!("{head}{first_part}").as_bytes())
        .await
        .unwrap();

    let stopped = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..6)
        .map(|client| {
            let tag = db.tag.clone();
            tokio::spawn(create_until_refused(
                server.url.clone(),
                token.clone(),
                move |local| email_tagged(&tag, &local),
                client,
                stopped.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stopped.store(true, Ordering::SeqCst);
    server.terminate();
    let terminated_at = Instant::now();

    // New connections are refused while the slow request is still being answered.
    loop {
        match TcpStream::connect(("127.0.0.1", server.port)).await {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ if terminated_at.elapsed() > Duration::from_secs(10) => {
                panic!("still taking connections 10 s after SIGTERM")
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    slow.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the request in flight was answered: {answer}"
    );

    let status = server
        .exit(Duration::from_secs(25))
        .await
        .expect("the server stopped within its grace");
    assert_eq!(status.code(), Some(0), "{:?}", server.log());
    assert!(
        server
            .log()
            .iter()
            .any(|line| line.contains("stopped: every request was answered")),
        "{:?}",
        server.log()
    );

    db.users()
        .find_by_email(&Email::parse(&slow_sender).unwrap())
        .await
        .expect("the slow create was written");
    let (mut answered, mut no_answer) = (0, 0);
    for task in load {
        for (email, outcome) in task.await.unwrap() {
            let written = match db
                .users()
                .find_by_email(&Email::parse(&email).unwrap())
                .await
            {
                Ok(_) => true,
                Err(UserError::NotFound) => false,
                Err(other) => panic!("read {email}: {other}"),
            };
            match outcome {
                Outcome::Answered(status) => {
                    assert_eq!(status, 200, "{email}");
                    assert!(written, "{email} was acknowledged but is not there");
                    answered += 1;
                }
                Outcome::NoAnswer(error) => {
                    assert!(
                        !written,
                        "{email} was written but its answer was cut off: {error}"
                    );
                    no_answer += 1;
                }
            }
        }
    }
    eprintln!("{answered} creates answered, {no_answer} refused after SIGTERM");
    assert!(
        answered > 0 && no_answer >= 6,
        "the load ran on both sides of SIGTERM"
    );
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_gives_its_import_back_at_once() {
    stop_mid_import(&[], Duration::from_secs(25)).await;
}

/// A grace shorter than a chunk takes: the chunk is left to be done again, and the lease is
/// still given back before the server exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopped_with_little_grace_still_gives_its_import_back() {
    stop_mid_import(&[("SHUTDOWN_GRACE", "4s")], Duration::from_secs(12)).await;
}

async fn stop_mid_import(settings: &[(&str, &str)], exits_within: Duration) {
    // A job is the keyspace's work (any server over it may take it): a keyspace of its own.
    let db = TestDb::alone(50).await;
    let token = db.token(Role::Editor).await;
    let mut server = ServerProcess::start(db.keyspace(), settings);
    server.connected().await;
    let http = http_client()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let url = server.url.clone();
    let job = import_jobs::upload(&http, &url, &token, import_jobs::people(5_000)).await;
    let within = Duration::from_secs(120);
    import_jobs::wait_until(&http, &url, &token, &job, within, |job| {
        job["state"] == "previewed"
    })
    .await;
    import_jobs::start(&http, &url, &token, &job).await;
    import_jobs::wait_until(&http, &url, &token, &job, within, |job| {
        job["done"].as_u64() > Some(0)
    })
    .await;

    server.terminate();
    let status = server
        .exit(exits_within)
        .await
        .expect("the server stopped within its grace");
    assert_eq!(status.code(), Some(0), "{:?}", server.log());
    // Stopped half-way, with no lease left behind: another server may take it now, not in 30 s.
    let job: uuid::Uuid = job.parse().unwrap();
    let stopped = db.stores.imports.get(job).await.unwrap();
    assert_eq!(stopped.state, ImportState::Running, "{stopped:?}");
    assert!(
        stopped.done < stopped.rows,
        "the import was not finished yet: {stopped:?}"
    );
    let job = scylla::value::CqlTimeuuid::from(job);
    let leases = db
        .session()
        .query_unpaged(
            format!(
                "SELECT owner FROM {}.import_leases WHERE job = ?",
                db.keyspace()
            ),
            (job,),
        )
        .await
        .unwrap()
        .into_rows_result()
        .unwrap()
        .rows_num();
    assert_eq!(
        leases,
        0,
        "the stopping server gave its lease up: {:?}",
        server.log()
    );
    db.drop().await;
}
