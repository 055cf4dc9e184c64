//! Server configuration: the settings (`settings.rs`, read through clap from the environment or
//! flags) checked against each other and shaped for the parts that use them. Every variable has
//! a default that works against the local development node; a bad value stops start-up with one
//! line naming it.

use scylla::statement::Consistency;
use secrecy::SecretString;
use std::{path::PathBuf, time::Duration};

mod error;
mod keyspace;
mod lookup;
mod passkeys;
mod proxies;
mod secrets_key;
mod settings;
mod sso;
mod values;
pub use error::ConfigError;
pub use keyspace::{Keyspace, Replication};
pub use passkeys::PasskeySettings;
pub use proxies::TrustedProxies;
pub use secrets_key::SecretsKey;
pub use settings::{ignore_blank_variables, Settings};
pub use sso::{SsoSettings, CALLBACK_PATH as SSO_CALLBACK_PATH};

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
    /// A range of keys of name order or search is split in two once it holds about this many
    /// entries (`ENTRIES_PER_RANGE`), so no partition of entries holds much more.
    pub entries_per_range: u32,
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

impl Config {
    /// The configuration from variables that `lookup` gives (tests run servers side by side
    /// with settings of their own, never touching the process's environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_settings(Settings::from_lookup(lookup)?)
    }

    pub fn from_settings(settings: Settings) -> Result<Self, ConfigError> {
        let Settings {
            cassandra,
            sign_in,
            oidc,
            serving,
        } = settings;
        let contact_points: Vec<String> = cassandra
            .cassandra_contact_points
            .into_iter()
            .filter(|point| !point.is_empty())
            .collect();
        if contact_points.is_empty() {
            return Err(ConfigError::new(
                "CASSANDRA_CONTACT_POINTS",
                "no host given",
            ));
        }
        let credentials = match (cassandra.cassandra_username, cassandra.cassandra_password) {
            (Some(username), Some(password)) => Some(Credentials { username, password }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "CASSANDRA_PASSWORD",
                    "must be set together with CASSANDRA_USERNAME",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "CASSANDRA_USERNAME",
                    "must be set together with CASSANDRA_PASSWORD",
                ))
            }
        };
        if cassandra.cassandra_request_timeout_ms.is_some() {
            return Err(ConfigError::new(
                "CASSANDRA_REQUEST_TIMEOUT_MS",
                "was renamed: set CASSANDRA_REQUEST_TIMEOUT to a duration instead (e.g. 5s, 1500ms)",
            ));
        }
        if cassandra.entries_per_shard.is_some() {
            return Err(ConfigError::new(
                "ENTRIES_PER_SHARD",
                "was replaced: name order and search are cut into ranges of keys now; set ENTRIES_PER_RANGE, the entries a range holds before it is split",
            ));
        }
        let secrets_key = sign_in.secrets_key_file;
        let sign_in = SignInSettings {
            cookie_secure: sign_in.session_cookie_secure,
            idle_timeout: sign_in.session_idle_timeout,
            absolute_timeout: sign_in.session_absolute_timeout,
            lockout_window: sign_in.sign_in_lockout,
            require_mfa: sign_in.require_mfa,
            password_sign_in: sign_in.password_sign_in,
            break_glass_admin: sign_in.break_glass_admin,
        };
        let public_url = serving.public_url;
        let passkeys = PasskeySettings::for_public_url(public_url.as_ref());
        passkeys
            .relying_party()
            .map_err(|problem| ConfigError::new("PUBLIC_URL", problem))?;
        let sso = sso::parse(oidc, public_url.as_ref(), &|path| {
            std::fs::read_to_string(path)
        })
        .map_err(|(variable, problem)| ConfigError::new(variable, problem))?;
        if !sign_in.password_sign_in && sso.is_none() {
            return Err(ConfigError::new(
                "PASSWORD_SIGN_IN",
                "can be false only with single sign-on (OIDC_ISSUER) set",
            ));
        }

        Ok(Config {
            contact_points,
            keyspace: cassandra.cassandra_keyspace,
            replication: cassandra.cassandra_replication,
            local_datacenter: cassandra.cassandra_local_dc,
            consistency: cassandra.cassandra_consistency,
            credentials,
            tls_ca_file: cassandra.cassandra_tls_ca_file,
            page_size: cassandra.users_page_size,
            entries_per_range: cassandra.entries_per_range,
            request_timeout: cassandra.cassandra_request_timeout,
            import_max_bytes: cassandra.import_max_bytes,
            constraints_for_new_tables: cassandra.cassandra_constraints,
            job_lease: cassandra.job_lease,
            sign_in,
            shutdown_grace: serving.shutdown_grace,
            metrics: MetricsSettings {
                address: serving.metrics_addr,
                token: serving.metrics_token,
            },
            trusted_proxies: serving.trusted_proxies,
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
            ("ENTRIES_PER_RANGE", "2"),
            ("CASSANDRA_USERNAME", "alice"),
            ("CASSANDRA_TLS_CA_FILE", "/nonexistent/ca.pem"),
            ("CASSANDRA_REQUEST_TIMEOUT", "50ms"),
            ("CASSANDRA_REQUEST_TIMEOUT_MS", "5000"),
            ("ENTRIES_PER_SHARD", "50000"),
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
            ("OIDC_DEFAULT_ROLE", "root"),
            ("SECRETS_KEY_FILE", "/nonexistent/key"),
            ("LOG_FORMAT", "xml"),
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
    fn a_blank_variable_counts_as_unset() {
        let config = config(&[("USERS_PAGE_SIZE", " "), ("OIDC_ISSUER", "")]).unwrap();
        assert_eq!(config.page_size, 50);
        assert!(config.sso.is_none());
    }

    #[test]
    fn durations_sizes_and_booleans_share_one_vocabulary() {
        let config = config(&[
            ("CASSANDRA_REQUEST_TIMEOUT", "1500ms"),
            ("SESSION_IDLE_TIMEOUT", "1h"),
            ("IMPORT_MAX_BYTES", "2MiB"),
            ("SESSION_COOKIE_SECURE", "yes"),
            ("CASSANDRA_CONSTRAINTS", "off"),
        ])
        .unwrap();
        assert_eq!(config.request_timeout, Duration::from_millis(1500));
        assert_eq!(config.sign_in.idle_timeout, Duration::from_secs(3600));
        assert_eq!(config.import_max_bytes, 2 << 20);
        assert!(config.sign_in.cookie_secure);
        assert!(!config.constraints_for_new_tables);
    }

    /// What keeps every error naming its variable: a setting's value name is its variable, and
    /// its flag the same words (`USERS_PAGE_SIZE`, `--users-page-size`).
    #[test]
    fn every_setting_is_a_variable_and_a_flag_of_the_same_name() {
        use clap::Args;
        let command = Settings::augment_args(clap::Command::new("settings"));
        for arg in command.get_arguments() {
            let variable = arg.get_env().and_then(|v| v.to_str()).expect("a variable");
            let flag = variable.to_lowercase().replace('_', "-");
            assert_eq!(arg.get_long(), Some(flag.as_str()), "{variable}");
            let value_names = arg.get_value_names().unwrap_or_default();
            assert_eq!(value_names.first().map(|n| n.as_str()), Some(variable));
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secrets = [
            ("CASSANDRA_PASSWORD", "cassandra password 1"),
            ("METRICS_TOKEN", "metrics token 0123456789"),
            ("OIDC_CLIENT_SECRET", "client secret 2"),
        ];
        let mut vars = secrets.to_vec();
        vars.push(("CASSANDRA_USERNAME", "app"));
        let settings = Settings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        let shown = format!("{settings:?} {:?}", Config::from_settings(settings.clone()));
        for (variable, secret) in secrets {
            assert!(!shown.contains(secret), "{variable} shown");
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
