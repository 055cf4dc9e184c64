//! Misconfiguration against the local cluster, as an operator of the app meets it: the server
//! starts anyway, says what is wrong in one line (never the password), answers /healthz 503,
//! and connects once the problem is fixed. Run by `make test` with the cluster up.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The app's settings for the cluster, as `scripts/cluster.sh` wrote them.
fn app_env() -> Vec<(String, String)> {
    std::fs::read_to_string(format!("{ROOT}/.cluster/app.env"))
        .expect(".cluster/app.env (scripts/cluster.sh start)")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(port: u16, changes: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cassandra-users"));
        command.current_dir(ROOT).envs(app_env());
        for (key, value) in changes {
            command.env(key, value);
        }
        let mut child = command
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stderr, lines) = (child.stderr.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn health(&self) -> Option<u16> {
        reqwest::blocking::get(format!("{}/healthz", self.url))
            .ok()
            .map(|r| r.status().as_u16())
    }

    fn wait_for_health(&self, status: u16, within: Duration) {
        let deadline = Instant::now() + within;
        while self.health() != Some(status) {
            assert!(
                Instant::now() < deadline,
                "/healthz did not become {status}: {:#?}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Waits for the log line that names the problem, and checks it is said once.
    fn problem_line(&self, contains: &str, secret: Option<&str>) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = self.log.lock().unwrap().clone();
            let matching: Vec<&String> = log.iter().filter(|l| l.contains(contains)).collect();
            if !matching.is_empty() {
                std::thread::sleep(Duration::from_secs(3)); // a few more attempts
                let log = self.log.lock().unwrap().clone();
                let lines: Vec<&String> = log.iter().filter(|l| l.contains(contains)).collect();
                assert_eq!(lines.len(), 1, "one line for one problem: {log:#?}");
                if let Some(secret) = secret {
                    assert!(
                        log.iter().all(|l| !l.contains(secret)),
                        "the password was logged: {log:#?}"
                    );
                }
                return lines[0].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no line with {contains:?}: {log:#?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cql(query: &str) {
    let output = Command::new("scripts/cluster.sh")
        .args(["cql", query])
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{query}: {:?} {said} {printed}",
        output.status
    );
}

#[test]
fn the_app_role_runs_the_app_on_its_keyspace() {
    let server = Server::start(3041, &[]);
    server.wait_for_health(200, Duration::from_secs(60));
    let line = server.problem_line("connected to Cassandra", None);
    assert!(line.contains("keyspace quickstart"), "{line}");
}

#[test]
fn a_wrong_password_is_named_and_fixing_it_connects() {
    let (right, wrong) = ("probe-password-one", "probe-password-two");
    cql(&format!("DROP ROLE IF EXISTS config_probe; CREATE ROLE config_probe WITH PASSWORD = '{right}' AND LOGIN = true; GRANT ALL PERMISSIONS ON KEYSPACE quickstart TO config_probe"));
    let created = Instant::now();
    let server = Server::start(
        3042,
        &[
            ("CASSANDRA_USERNAME", "config_probe"),
            ("CASSANDRA_PASSWORD", wrong),
        ],
    );
    let line = server.problem_line("refused to sign in", Some(wrong));
    assert!(
        line.contains("CASSANDRA_PASSWORD") && line.contains("config_probe"),
        "{line}"
    );
    server.wait_for_health(503, Duration::from_secs(5));
    // Fixed on the cluster's side: the password the server has becomes the right one
    // (Cassandra allows one password change per role every 5 s).
    std::thread::sleep(Duration::from_secs(6).saturating_sub(created.elapsed()));
    cql(&format!(
        "ALTER ROLE config_probe WITH PASSWORD = '{wrong}'"
    ));
    server.wait_for_health(200, Duration::from_secs(60));
    drop(server);
    cql("DROP ROLE IF EXISTS config_probe");
}

#[test]
fn an_untrusted_ca_is_named_and_fixing_it_connects() {
    let dir = std::env::temp_dir().join(format!("cassandra-users-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=some other CA",
        ])
        .arg("-keyout")
        .arg(dir.join("other.key"))
        .arg("-out")
        .arg(&ca)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let server = Server::start(3043, &[("CASSANDRA_TLS_CA_FILE", ca.to_str().unwrap())]);
    let line = server.problem_line("TLS with Cassandra", None);
    assert!(line.contains("CASSANDRA_TLS_CA_FILE"), "{line}");
    server.wait_for_health(503, Duration::from_secs(5));
    std::fs::copy(format!("{ROOT}/.cluster/tls/ca.pem"), &ca).unwrap();
    server.wait_for_health(200, Duration::from_secs(60));
}

#[test]
fn unreachable_contact_points_are_named_and_a_reachable_one_connects() {
    let contact = "127.0.1.3:9142";
    let server = Server::start(3044, &[("CASSANDRA_CONTACT_POINTS", contact)]);
    let line = server.problem_line("cannot reach Cassandra", None);
    assert!(
        line.contains("CASSANDRA_CONTACT_POINTS=127.0.1.3:9142"),
        "{line}"
    );
    server.wait_for_health(503, Duration::from_secs(5));
    // The address starts answering: a forwarder to node 3's real port.
    let listener = std::net::TcpListener::bind(contact).unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let Ok(node) = std::net::TcpStream::connect("127.0.1.3:9042") else {
                continue;
            };
            let (mut client_read, mut node_write) =
                (client.try_clone().unwrap(), node.try_clone().unwrap());
            let (mut node_read, mut client_write) = (node, client);
            std::thread::spawn(move || std::io::copy(&mut client_read, &mut node_write));
            std::thread::spawn(move || std::io::copy(&mut node_read, &mut client_write));
        }
    });
    server.wait_for_health(200, Duration::from_secs(60));
}

#[test]
fn the_app_role_may_not_make_another_keyspace() {
    let server = Server::start(3045, &[("CASSANDRA_KEYSPACE", "not_the_apps")]);
    let line = server.problem_line("could not create the schema", None);
    assert!(line.contains("has no CREATE permission"), "{line}");
    server.wait_for_health(503, Duration::from_secs(5));
}
