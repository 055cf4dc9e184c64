//! Settings read from variables that a lookup gives instead of the process environment: each
//! variable a group of settings declares becomes its flag, on a copy of the command that reads no
//! environment. Tests run servers with settings of their own side by side this way.

use super::error::ConfigError;
use clap::{Args, FromArgMatches};

/// The group of settings `A` as `lookup` gives its variables (a blank one counts as unset).
pub fn parse_from_lookup<A: Args + FromArgMatches>(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<A, ConfigError> {
    let command = A::augment_args(clap::Command::new("settings").no_binary_name(true));
    let flags: Vec<String> = command
        .get_arguments()
        .filter_map(|arg| {
            let value = lookup(arg.get_env()?.to_str()?)?;
            let flag = arg.get_long()?;
            (!value.trim().is_empty()).then(|| format!("--{flag}={value}"))
        })
        .collect();
    let matches = command
        .mut_args(|arg| arg.env(None))
        .try_get_matches_from(flags)
        .map_err(|error| unexpected(&error))?;
    A::from_arg_matches(&matches).map_err(|error| unexpected(&error))
}

/// A clap error about a setting, or (what the flags built from variables cannot cause) any other.
fn unexpected(error: &clap::Error) -> ConfigError {
    ConfigError::from_clap(error)
        .unwrap_or_else(|| ConfigError::new("settings", error.to_string().trim().to_owned()))
}
