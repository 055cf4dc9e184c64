//! Every setting of the server and the command line, in one place: its variable, its default, its
//! parser and its help (`cassandra-users --help` lists them all). Each is read from the
//! environment through clap's `env` support, or given as a flag (`--users-page-size 20`).
//! A value parser checks one setting; `Config::from_settings` checks settings against each other.

use super::error::ConfigError;
use super::keyspace::{Keyspace, Replication};
use super::lookup::parse_from_lookup;
use super::proxies::TrustedProxies;
use super::secrets_key::SecretsKey;
use super::sso::OidcArgs;
use super::values::{boolean, bytes, duration_of_at_least, http_url, secret, text, whole_number};
use crate::server::logging::LogFormat;
use clap::{ArgAction, Args};
use scylla::statement::Consistency;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

#[derive(Args, Clone, Debug)]
pub struct Settings {
    #[command(flatten, next_help_heading = "Cassandra")]
    pub cassandra: CassandraArgs,
    #[command(flatten, next_help_heading = "Sign-in and sessions")]
    pub sign_in: SignInArgs,
    #[command(flatten, next_help_heading = "Single sign-on (OpenID Connect)")]
    pub oidc: OidcArgs,
    #[command(flatten, next_help_heading = "Serving")]
    pub serving: ServingArgs,
}

#[derive(Args, Clone, Debug)]
pub struct CassandraArgs {
    /// Nodes to contact first, host:port, comma-separated
    #[arg(long, global = true, env = "CASSANDRA_CONTACT_POINTS", value_name = "CASSANDRA_CONTACT_POINTS",
          default_value = "127.0.0.1:9042", value_delimiter = ',', value_parser = text)]
    pub cassandra_contact_points: Vec<String>,
    /// The keyspace of the app's tables (made at start-up when missing)
    #[arg(long, global = true, env = "CASSANDRA_KEYSPACE", value_name = "CASSANDRA_KEYSPACE",
          default_value = "quickstart", value_parser = |v: &str| Keyspace::parse(v.trim()))]
    pub cassandra_keyspace: Keyspace,
    /// How a keyspace the app makes is replicated: SimpleStrategy:N or NetworkTopologyStrategy:DC=N,…
    #[arg(long, global = true, env = "CASSANDRA_REPLICATION", value_name = "CASSANDRA_REPLICATION",
          default_value = "SimpleStrategy:1", value_parser = |v: &str| Replication::parse(v.trim()))]
    pub cassandra_replication: Replication,
    /// The datacenter whose nodes are asked first
    #[arg(long, global = true, env = "CASSANDRA_LOCAL_DC", value_name = "CASSANDRA_LOCAL_DC", value_parser = text)]
    pub cassandra_local_dc: Option<String>,
    /// The consistency of reads and writes
    #[arg(long, global = true, env = "CASSANDRA_CONSISTENCY", value_name = "CASSANDRA_CONSISTENCY",
          default_value = "LOCAL_QUORUM", value_parser = consistency)]
    pub cassandra_consistency: Consistency,
    /// Cassandra's username (with CASSANDRA_PASSWORD)
    #[arg(long, global = true, env = "CASSANDRA_USERNAME", value_name = "CASSANDRA_USERNAME", value_parser = text)]
    pub cassandra_username: Option<String>,
    /// Cassandra's password (better in the environment than on a command line)
    #[arg(
        long,
        global = true,
        env = "CASSANDRA_PASSWORD",
        value_name = "CASSANDRA_PASSWORD",
        hide_env_values = true,
        value_parser = secret
    )]
    pub cassandra_password: Option<SecretString>,
    /// The CA certificate (PEM) that the nodes' TLS certificates chain to; TLS when set
    #[arg(long, global = true, env = "CASSANDRA_TLS_CA_FILE", value_name = "CASSANDRA_TLS_CA_FILE", value_parser = existing_file)]
    pub cassandra_tls_ca_file: Option<PathBuf>,
    /// How long a request to Cassandra may take
    #[arg(long, global = true, env = "CASSANDRA_REQUEST_TIMEOUT", value_name = "CASSANDRA_REQUEST_TIMEOUT",
          default_value = "5s", value_parser = duration_of_at_least(Duration::from_millis(100)))]
    pub cassandra_request_timeout: Duration,
    /// Renamed: CASSANDRA_REQUEST_TIMEOUT takes a duration (5s, 1500ms)
    #[arg(
        long,
        global = true,
        env = "CASSANDRA_REQUEST_TIMEOUT_MS",
        value_name = "CASSANDRA_REQUEST_TIMEOUT_MS",
        hide = true
    )]
    pub cassandra_request_timeout_ms: Option<String>,
    /// Whether a new `users` table on Cassandra 6 gets column constraints that mirror the validation
    #[arg(long, global = true, env = "CASSANDRA_CONSTRAINTS", value_name = "CASSANDRA_CONSTRAINTS",
          default_value = "on", value_parser = boolean, action = ArgAction::Set)]
    pub cassandra_constraints: bool,
    /// Users on a page of the list
    #[arg(long, global = true, env = "USERS_PAGE_SIZE", value_name = "USERS_PAGE_SIZE",
          default_value = "50", value_parser = whole_number(1..=1000u16))]
    pub users_page_size: u16,
    /// Entries a range of name order or search holds before it is split in two
    #[arg(long, global = true, env = "ENTRIES_PER_RANGE", value_name = "ENTRIES_PER_RANGE",
          default_value = "50000", value_parser = whole_number(4..=1_000_000u32))]
    pub entries_per_range: u32,
    /// Replaced: ranges are split by ENTRIES_PER_RANGE
    #[arg(
        long,
        global = true,
        env = "ENTRIES_PER_SHARD",
        value_name = "ENTRIES_PER_SHARD",
        hide = true
    )]
    pub entries_per_shard: Option<String>,
    /// How long a job (an import, a reconcile run) stays with a server that stopped renewing it
    #[arg(long, global = true, env = "JOB_LEASE", value_name = "JOB_LEASE",
          default_value = "30s", value_parser = duration_of_at_least(3 * SECOND))]
    pub job_lease: Duration,
    /// The largest CSV file an import takes
    #[arg(long, global = true, env = "IMPORT_MAX_BYTES", value_name = "IMPORT_MAX_BYTES",
          default_value = "64MiB", value_parser = bytes)]
    pub import_max_bytes: usize,
}

#[derive(Args, Clone, Debug)]
pub struct SignInArgs {
    /// Mark the session cookie Secure (the console is served over HTTPS)
    #[arg(long, global = true, env = "SESSION_COOKIE_SECURE", value_name = "SESSION_COOKIE_SECURE",
          default_value = "false", value_parser = boolean, action = ArgAction::Set)]
    pub session_cookie_secure: bool,
    /// A session ends after this long without a request
    #[arg(long, global = true, env = "SESSION_IDLE_TIMEOUT", value_name = "SESSION_IDLE_TIMEOUT",
          default_value = "30m", value_parser = duration_of_at_least(SECOND))]
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however busy
    #[arg(long, global = true, env = "SESSION_ABSOLUTE_TIMEOUT", value_name = "SESSION_ABSOLUTE_TIMEOUT",
          default_value = "12h", value_parser = duration_of_at_least(SECOND))]
    pub session_absolute_timeout: Duration,
    /// Five failed sign-ins within this window lock a username for as long
    #[arg(long, global = true, env = "SIGN_IN_LOCKOUT", value_name = "SIGN_IN_LOCKOUT",
          default_value = "15m", value_parser = duration_of_at_least(SECOND))]
    pub sign_in_lockout: Duration,
    /// Operators who sign in with a password must add a second factor before anything else
    #[arg(long, global = true, env = "REQUIRE_MFA", value_name = "REQUIRE_MFA",
          default_value = "false", value_parser = boolean, action = ArgAction::Set)]
    pub require_mfa: bool,
    /// Whether operators may sign in with a password (false needs OIDC_ISSUER)
    #[arg(long, global = true, env = "PASSWORD_SIGN_IN", value_name = "PASSWORD_SIGN_IN",
          default_value = "true", value_parser = boolean, action = ArgAction::Set)]
    pub password_sign_in: bool,
    /// The one operator who keeps a password when PASSWORD_SIGN_IN=false
    #[arg(long, global = true, env = "BREAK_GLASS_ADMIN", value_name = "BREAK_GLASS_ADMIN",
          value_parser = |v: &str| Ok::<_, String>(v.trim().to_lowercase()))]
    pub break_glass_admin: Option<String>,
    /// A file holding the base64 key that seals authenticator apps' secrets (openssl rand -base64 32)
    #[arg(long, global = true, env = "SECRETS_KEY_FILE", value_name = "SECRETS_KEY_FILE",
          value_parser = |v: &str| SecretsKey::from_file(std::path::Path::new(v.trim())))]
    pub secrets_key_file: Option<SecretsKey>,
}

#[derive(Args, Clone, Debug)]
pub struct ServingArgs {
    /// The address people reach the console at (https://users.example.org): SSO's redirect URI, passkeys' host
    #[arg(long, global = true, env = "PUBLIC_URL", value_name = "PUBLIC_URL", value_parser = http_url)]
    pub public_url: Option<url::Url>,
    /// Proxies whose X-Forwarded-For and -Proto are believed: addresses and networks, comma-separated
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_name = "TRUSTED_PROXIES",
          default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
    /// How long a stopping server waits for requests in flight and its background work
    #[arg(long, global = true, env = "SHUTDOWN_GRACE", value_name = "SHUTDOWN_GRACE",
          default_value = "20s", value_parser = duration_of_at_least(SECOND))]
    pub shutdown_grace: Duration,
    /// Serve /metrics on this address of its own (127.0.0.1:9100)
    #[arg(long, global = true, env = "METRICS_ADDR", value_name = "METRICS_ADDR",
          value_parser = |v: &str| v.trim().parse::<SocketAddr>()
              .map_err(|_| format!("'{v}' is not an address like 127.0.0.1:9100")))]
    pub metrics_addr: Option<SocketAddr>,
    /// Serve /metrics on the app's port to this bearer token (at least 16 characters)
    #[arg(long, global = true, env = "METRICS_TOKEN", value_name = "METRICS_TOKEN", hide_env_values = true,
          value_parser = metrics_token)]
    pub metrics_token: Option<SecretString>,
    /// The server's log: text (for people) or json (one object a line)
    #[arg(long, global = true, env = "LOG_FORMAT", value_name = "LOG_FORMAT",
          default_value = "text", value_parser = LogFormat::parse)]
    pub log_format: LogFormat,
}

/// A scrape token shorter than this could be guessed.
const METRICS_TOKEN_MIN_CHARS: usize = 16;

fn metrics_token(value: &str) -> Result<SecretString, String> {
    let token = value.trim();
    if token.chars().count() >= METRICS_TOKEN_MIN_CHARS {
        secret(token)
    } else {
        Err(format!(
            "must be at least {METRICS_TOKEN_MIN_CHARS} characters"
        ))
    }
}

fn existing_file(value: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(value.trim());
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("no file at {}", path.display()))
    }
}

fn consistency(value: &str) -> Result<Consistency, String> {
    Ok(match value.trim().to_ascii_uppercase().as_str() {
        "ANY" => Consistency::Any,
        "ONE" => Consistency::One,
        "TWO" => Consistency::Two,
        "THREE" => Consistency::Three,
        "QUORUM" => Consistency::Quorum,
        "ALL" => Consistency::All,
        "LOCAL_QUORUM" => Consistency::LocalQuorum,
        "EACH_QUORUM" => Consistency::EachQuorum,
        "LOCAL_ONE" => Consistency::LocalOne,
        other => return Err(format!(
            "'{other}' is not a consistency level (ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE, ANY)"
        )),
    })
}

impl Settings {
    /// The settings as `lookup` gives the variables (a blank one counts as unset) without reading
    /// the environment: how tests run servers with settings of their own side by side.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        parse_from_lookup(lookup)
    }
}

/// Makes a variable that is set but blank count as unset, as for every setting before clap read
/// them (`FOO=` in a compose file or a unit file means "not set" to the people who write it).
pub fn ignore_blank_variables(arg: clap::Arg) -> clap::Arg {
    let blank = arg
        .get_env()
        .and_then(std::env::var_os)
        .is_some_and(|value| value.to_string_lossy().trim().is_empty());
    if blank {
        arg.env(None)
    } else {
        arg
    }
}
