//! The server binary as people run it: its own process on a free port, over a test keyspace,
//! with its log (stderr) collected line by line as it comes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    process: Child,
    pub url: String,
    pub port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    /// Reads the log until the process closes it.
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts the binary over `keyspace` with `settings` on top of the test's environment.
    pub fn start(keyspace: &str, settings: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_cassandra-users"));
        command
            .env("CASSANDRA_KEYSPACE", keyspace)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "cassandra-users")
            .env("RUST_LOG", "info,scylla=off");
        for (name, value) in settings {
            command.env(name, value);
        }
        let mut process = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server binary");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = process.stderr.take().unwrap();
        let collected = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });
        ServerProcess {
            process,
            url: format!("http://127.0.0.1:{port}"),
            port,
            lines,
            reader: Some(reader),
        }
    }

    /// Waits until the server has connected to Cassandra and made its schema.
    pub async fn connected(&self) {
        let line = self
            .line(Duration::from_secs(90), |l| {
                l.contains("connected to Cassandra")
            })
            .await;
        assert!(
            line.is_some(),
            "the server did not connect: {:?}",
            self.log()
        );
    }

    /// The first line of the log that `wanted` picks, waiting up to `within` for it.
    pub async fn line(&self, within: Duration, wanted: impl Fn(&str) -> bool) -> Option<String> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| wanted(l)) {
                return Some(line.clone());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// Every line logged so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Sends SIGTERM, as a service manager or an orchestrator stops a server.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// How the process ended, waiting up to `within` for it; by then `log` has every line it
    /// wrote.
    pub async fn exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Some(status) = self.process.try_wait().unwrap() {
                if let Some(reader) = self.reader.take() {
                    tokio::task::spawn_blocking(move || reader.join())
                        .await
                        .unwrap()
                        .expect("the log reader ended well");
                }
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

/// Dropped, the process is SIGKILLed: it dies at once, as in a crash.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
