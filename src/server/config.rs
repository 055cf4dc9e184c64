//! Server configuration, read once from the environment. Every variable has a default that works
//! against the local development node; a bad value stops start-up with one line naming it.

use scylla::statement::Consistency;
use secrecy::SecretString;
use std::{path::PathBuf, time::Duration};

mod keyspace;
mod passkeys;
mod proxies;
mod secrets_key;
mod sso;
mod values;
pub use keyspace::{Keyspace, Replication};
pub use passkeys::PasskeySettings;
pub use proxies::TrustedProxies;
pub use secrets_key::SecretsKey;
pub use sso::{SsoSettings, CALLBACK_PATH as SSO_CALLBACK_PATH};
use values::{parse_boolean, parse_bytes};

#[derive(Clone, Debug)]
pub struct Config {
    pub contact_points: Vec<String>,
    pub keyspace: Keyspace,
    pub replication: Replication,
    pub local_datacenter: Option<String>,
    pub consistency: Consistency,
    pub credentials: Option<Credentials>,
    pub tls_ca_file: Option<PathBuf>,
    pub page_size: u16,
    /// A shard of a bucket of name order or search is split (its bucket's shards doubled) once
    /// about this many entries were written to it (`ENTRIES_PER_SHARD`), so none holds more than
    /// about twice it.
    pub entries_per_shard: u32,
    pub request_timeout: Duration,
    pub sign_in: SignInSettings,
    /// The largest CSV file an import takes (`IMPORT_MAX_BYTES`).
    pub import_max_bytes: usize,
    /// Whether a new `users` table on Cassandra 6 gets the column constraints that mirror the
    /// validation (`CASSANDRA_CONSTRAINTS`); a table that exists is never changed by this.
    pub constraints_for_new_tables: bool,
    /// How long a stopping server waits for the requests in flight and its background work
    /// (`SHUTDOWN_GRACE`).
    pub shutdown_grace: Duration,
    /// How long a job (an import, a reconcile run) stays with a server that stopped renewing its
    /// lease before another server takes it over (`JOB_LEASE`).
    pub job_lease: Duration,
    pub metrics: MetricsSettings,
    /// Whose `X-Forwarded-For`/`-Proto` are believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Seals authenticator apps' secrets (`SECRETS_KEY_FILE`); without it none can be added.
    pub secrets_key: Option<SecretsKey>,
    /// Single sign-on through an OpenID Provider, when `OIDC_ISSUER` is set.
    pub sso: Option<SsoSettings>,
    /// Where passkeys belong: the host of `PUBLIC_URL`, or `localhost` without it.
    pub passkeys: PasskeySettings,
}

/// Where `/metrics` is served: on an address of its own (`METRICS_ADDR`), and on the app's port
/// to a bearer token (`METRICS_TOKEN`). Neither set: no metrics at all.
#[derive(Clone, Debug, Default)]
pub struct MetricsSettings {
    pub address: Option<std::net::SocketAddr>,
    pub token: Option<SecretString>,
}

impl MetricsSettings {
    pub fn enabled(&self) -> bool {
        self.address.is_some() || self.token.is_some()
    }
}

/// A scrape token shorter than this could be guessed.
const METRICS_TOKEN_MIN_CHARS: usize = 16;

/// What the HTTP side needs to know before the database answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSettings {
    pub sign_in: SignInSettings,
    pub import_max_bytes: usize,
    pub trusted_proxies: TrustedProxies,
    pub sso: Option<SsoSettings>,
}

/// 64 MiB: about 600,000 users of a typical name and email.
pub const DEFAULT_IMPORT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Sessions and sign-in throttling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInSettings {
    /// Mark the session cookie `Secure` (the app is served over HTTPS).
    pub cookie_secure: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however busy.
    pub absolute_timeout: Duration,
    /// After `operators::sign_in::MAX_FAILED_SIGN_INS` failures within this window, a username
    /// is locked this long.
    pub lockout_window: Duration,
    /// An operator who signs in with a password and has no second factor may only add one
    /// (`REQUIRE_MFA`).
    pub require_mfa: bool,
    /// Whether operators may sign in with a password (`PASSWORD_SIGN_IN`); when not, only
    /// `break_glass_admin` may, for when the identity provider is down.
    pub password_sign_in: bool,
    /// The one operator who keeps a password when `PASSWORD_SIGN_IN=false` (`BREAK_GLASS_ADMIN`).
    pub break_glass_admin: Option<String>,
}

impl SignInSettings {
    /// Whether `username` may sign in with a password here.
    pub fn allows_password_for(&self, username: &str) -> bool {
        self.password_sign_in
            || self
                .break_glass_admin
                .as_deref()
                .is_some_and(|admin| admin.eq_ignore_ascii_case(username.trim()))
    }
}

/// Cassandra's username and password; `Debug` never shows the password.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub username: String,
    pub password: SecretString,
}

/// One bad setting: the variable and what is wrong with it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |variable: &'static str, default: &str| {
            lookup(variable).unwrap_or_else(|| default.to_owned())
        };
        let check =
            |variable: &'static str| move |problem: String| ConfigError { variable, problem };

        let contact_points: Vec<String> = read("CASSANDRA_CONTACT_POINTS", "127.0.0.1:9042")
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if contact_points.is_empty() {
            return Err(check("CASSANDRA_CONTACT_POINTS")("no host given".into()));
        }
        let keyspace = Keyspace::parse(&read("CASSANDRA_KEYSPACE", "quickstart"))
            .map_err(check("CASSANDRA_KEYSPACE"))?;
        let replication = Replication::parse(&read("CASSANDRA_REPLICATION", "SimpleStrategy:1"))
            .map_err(check("CASSANDRA_REPLICATION"))?;
        let consistency = parse_consistency(&read("CASSANDRA_CONSISTENCY", "LOCAL_QUORUM"))
            .map_err(check("CASSANDRA_CONSISTENCY"))?;
        let credentials = match (lookup("CASSANDRA_USERNAME"), lookup("CASSANDRA_PASSWORD")) {
            (Some(username), Some(password)) => Some(Credentials {
                username,
                password: SecretString::from(password),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(check("CASSANDRA_PASSWORD")(
                    "must be set together with CASSANDRA_USERNAME".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(check("CASSANDRA_USERNAME")(
                    "must be set together with CASSANDRA_PASSWORD".into(),
                ))
            }
        };
        let tls_ca_file = lookup("CASSANDRA_TLS_CA_FILE").map(PathBuf::from);
        if let Some(path) = &tls_ca_file {
            if !path.is_file() {
                return Err(check("CASSANDRA_TLS_CA_FILE")(format!(
                    "no file at {}",
                    path.display()
                )));
            }
        }
        let page_size = read("USERS_PAGE_SIZE", "50")
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                check("USERS_PAGE_SIZE")("must be a whole number from 1 to 1000".into())
            })?;
        let entries_per_shard = read("ENTRIES_PER_SHARD", "50000")
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (4..=1_000_000).contains(n))
            .ok_or_else(|| {
                check("ENTRIES_PER_SHARD")("must be a whole number from 4 to 1000000".into())
            })?;
        let timeout_ms = read("CASSANDRA_REQUEST_TIMEOUT_MS", "5000")
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (100..=120_000).contains(n))
            .ok_or_else(|| {
                check("CASSANDRA_REQUEST_TIMEOUT_MS")(
                    "must be milliseconds from 100 to 120000".into(),
                )
            })?;

        let duration = |variable: &'static str, default: &str| {
            let value = read(variable, default);
            humantime::parse_duration(value.trim())
                .ok()
                .filter(|d| d.as_secs() >= 1)
                .ok_or_else(|| {
                    check(variable)(format!(
                        "'{value}' is not a duration of at least a second (e.g. 30m, 12h, 90s)"
                    ))
                })
        };
        let boolean = |variable: &'static str, default: &str| {
            let value = read(variable, default);
            parse_boolean(&value)
                .ok_or_else(|| check(variable)(format!("'{value}' is not true or false")))
        };
        let cookie_secure = boolean("SESSION_COOKIE_SECURE", "false")?;
        let sign_in = SignInSettings {
            cookie_secure,
            idle_timeout: duration("SESSION_IDLE_TIMEOUT", "30m")?,
            absolute_timeout: duration("SESSION_ABSOLUTE_TIMEOUT", "12h")?,
            lockout_window: duration("SIGN_IN_LOCKOUT", "15m")?,
            require_mfa: boolean("REQUIRE_MFA", "false")?,
            password_sign_in: boolean("PASSWORD_SIGN_IN", "true")?,
            break_glass_admin: lookup("BREAK_GLASS_ADMIN").map(|name| name.trim().to_lowercase()),
        };
        let problem = |(variable, problem)| ConfigError { variable, problem };
        let public_url = sso::parse_public_url(lookup("PUBLIC_URL")).map_err(problem)?;
        let passkeys = PasskeySettings::for_public_url(public_url.as_ref());
        passkeys.relying_party().map_err(check("PUBLIC_URL"))?;
        let sso = sso::parse(
            &lookup,
            &|path| std::fs::read_to_string(path),
            public_url.as_ref(),
        )
        .map_err(problem)?;
        if !sign_in.password_sign_in && sso.is_none() {
            return Err(check("PASSWORD_SIGN_IN")(
                "can be false only with single sign-on (OIDC_ISSUER) set".into(),
            ));
        }
        let secrets_key = match lookup("SECRETS_KEY_FILE").filter(|path| !path.trim().is_empty()) {
            None => None,
            Some(path) => Some(
                SecretsKey::from_file(std::path::Path::new(path.trim()))
                    .map_err(check("SECRETS_KEY_FILE"))?,
            ),
        };

        let import_max_bytes = match lookup("IMPORT_MAX_BYTES") {
            None => DEFAULT_IMPORT_MAX_BYTES,
            Some(value) => parse_bytes(&value).map_err(check("IMPORT_MAX_BYTES"))?,
        };
        let constraints_for_new_tables = boolean("CASSANDRA_CONSTRAINTS", "on")?;

        // Renewed three times in its length, so a few seconds at least.
        let job_lease = duration("JOB_LEASE", "30s")?;
        if job_lease < Duration::from_secs(3) {
            return Err(check("JOB_LEASE")("must be at least 3s".into()));
        }

        let metrics = MetricsSettings {
            address: match lookup("METRICS_ADDR") {
                None => None,
                Some(value) => Some(value.trim().parse().map_err(|_| {
                    check("METRICS_ADDR")(format!(
                        "'{value}' is not an address like 127.0.0.1:9100"
                    ))
                })?),
            },
            token: match lookup("METRICS_TOKEN") {
                None => None,
                Some(token) if token.trim().chars().count() >= METRICS_TOKEN_MIN_CHARS => {
                    Some(SecretString::from(token.trim().to_owned()))
                }
                Some(_) => {
                    return Err(check("METRICS_TOKEN")(format!(
                        "must be at least {METRICS_TOKEN_MIN_CHARS} characters"
                    )))
                }
            },
        };

        Ok(Config {
            contact_points,
            keyspace,
            replication,
            local_datacenter: lookup("CASSANDRA_LOCAL_DC"),
            consistency,
            credentials,
            tls_ca_file,
            page_size,
            entries_per_shard,
            request_timeout: Duration::from_millis(timeout_ms),
            sign_in,
            import_max_bytes,
            constraints_for_new_tables,
            shutdown_grace: duration("SHUTDOWN_GRACE", "20s")?,
            job_lease,
            metrics,
            trusted_proxies: TrustedProxies::parse(&read("TRUSTED_PROXIES", ""))
                .map_err(check("TRUSTED_PROXIES"))?,
            secrets_key,
            sso,
            passkeys,
        })
    }

    pub fn web_settings(&self) -> WebSettings {
        WebSettings {
            sign_in: self.sign_in.clone(),
            import_max_bytes: self.import_max_bytes,
            trusted_proxies: self.trusted_proxies.clone(),
            sso: self.sso.clone(),
        }
    }
}

fn parse_consistency(value: &str) -> Result<Consistency, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_work_against_a_local_node() {
        let config = config(&[]).unwrap();
        assert_eq!(config.contact_points, ["127.0.0.1:9042"]);
        assert_eq!(config.keyspace.as_str(), "quickstart");
        assert_eq!(config.replication, Replication::Simple { factor: 1 });
        assert_eq!(config.consistency, Consistency::LocalQuorum);
        assert_eq!(config.page_size, 50);
        assert!(!config.sign_in.cookie_secure);
        assert_eq!(config.sign_in.idle_timeout, Duration::from_secs(30 * 60));
        assert_eq!(
            config.sign_in.absolute_timeout,
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(config.sign_in.lockout_window, Duration::from_secs(15 * 60));
        assert_eq!(config.import_max_bytes, 64 * 1024 * 1024);
        assert!(config.constraints_for_new_tables);
        assert_eq!(config.job_lease, Duration::from_secs(30));
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (variable, value) in [
            ("CASSANDRA_KEYSPACE", "drop table"),
            ("CASSANDRA_REPLICATION", "SimpleStrategy:zero"),
            ("CASSANDRA_REPLICATION", "NetworkTopologyStrategy:dc1'=3"),
            ("CASSANDRA_CONSISTENCY", "MOSTLY"),
            ("USERS_PAGE_SIZE", "0"),
            ("ENTRIES_PER_SHARD", "2"),
            ("CASSANDRA_USERNAME", "alice"),
            ("CASSANDRA_TLS_CA_FILE", "/nonexistent/ca.pem"),
            ("CASSANDRA_REQUEST_TIMEOUT_MS", "soon"),
            ("SESSION_IDLE_TIMEOUT", "forever"),
            ("SESSION_ABSOLUTE_TIMEOUT", "0s"),
            ("SIGN_IN_LOCKOUT", "-5m"),
            ("SESSION_COOKIE_SECURE", "maybe"),
            ("IMPORT_MAX_BYTES", "lots"),
            ("IMPORT_MAX_BYTES", "12"),
            ("CASSANDRA_CONSTRAINTS", "sometimes"),
            ("SHUTDOWN_GRACE", "soon"),
            ("JOB_LEASE", "2s"),
            ("METRICS_ADDR", "everywhere"),
            ("METRICS_TOKEN", "short"),
            ("TRUSTED_PROXIES", "10.0.0/8"),
            ("REQUIRE_MFA", "sometimes"),
            ("PASSWORD_SIGN_IN", "false"),
            ("OIDC_ISSUER", "https://id.example.org"),
        ] {
            let err = config(&[(variable, value)]).unwrap_err();
            let expected = match variable {
                "CASSANDRA_USERNAME" => "CASSANDRA_PASSWORD",
                "OIDC_ISSUER" => "PUBLIC_URL",
                _ => variable,
            };
            assert_eq!(err.variable, expected, "{variable}={value} gave {err}");
        }
    }

    #[test]
    fn network_topology_replication_renders_per_dc_factors() {
        let replication = Replication::parse("NetworkTopologyStrategy:dc1=3, dc2=2").unwrap();
        assert_eq!(
            replication.to_cql(),
            "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}"
        );
    }
}
