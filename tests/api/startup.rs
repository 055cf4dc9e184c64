//! The server binary refuses bad configuration with one line that names the variable.

use std::process::Command;

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    for (variable, value, named) in [
        ("CASSANDRA_CONSISTENCY", "MOSTLY", "CASSANDRA_CONSISTENCY"),
        ("CASSANDRA_KEYSPACE", "users; DROP", "CASSANDRA_KEYSPACE"),
        ("USERS_PAGE_SIZE", "many", "USERS_PAGE_SIZE"),
        ("LEPTOS_SITE_ADDR", "nowhere", "LEPTOS_SITE_ADDR"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("SESSION_IDLE_TIMEOUT", "forever", "SESSION_IDLE_TIMEOUT"),
        (
            "CASSANDRA_REQUEST_TIMEOUT_MS",
            "5000",
            "CASSANDRA_REQUEST_TIMEOUT",
        ),
        // A redirect URI made from the listening address (0.0.0.0) would be wrong.
        ("OIDC_ISSUER", "https://id.example.org", "PUBLIC_URL"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
            .env(variable, value)
            .env_remove("PUBLIC_URL")
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
        assert!(lines[0].contains(named), "{variable}={value}: {stderr}");
    }
}

#[test]
fn help_lists_every_setting_with_its_variable_and_default() {
    let output = Command::new(env!("CARGO_BIN_EXE_cassandra-users"))
        .arg("--help")
        .output()
        .expect("run the server");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    for expected in [
        "--users-page-size <USERS_PAGE_SIZE>",
        "[env: USERS_PAGE_SIZE=",
        "[default: 50]",
        "--oidc-issuer <OIDC_ISSUER>",
        "--session-idle-timeout <SESSION_IDLE_TIMEOUT>",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}
