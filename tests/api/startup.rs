//! The server binary refuses bad configuration with one line that names the variable.

use std::process::Command;

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    for (variable, value) in [
        ("CASSANDRA_CONSISTENCY", "MOSTLY"),
        ("CASSANDRA_KEYSPACE", "users; DROP"),
        ("USERS_PAGE_SIZE", "many"),
        ("LEPTOS_SITE_ADDR", "nowhere"),
        ("LOG_FORMAT", "xml"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
            .env(variable, value)
            .output()
            .expect("run the server");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{variable}={value}: {stderr}"
        );
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(lines.len(), 1, "{variable}={value}: {stderr}");
        assert!(lines[0].contains(variable), "{variable}={value}: {stderr}");
    }
}
