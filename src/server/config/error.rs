//! A bad setting, as one line that names its variable.

use clap::error::{ContextKind, ContextValue};

/// One bad setting: the variable and what is wrong with it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(variable: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            variable: variable.to_owned(),
            problem: problem.into(),
        }
    }

    /// The setting that clap could not take, when the error is about one: its value name is its
    /// variable (`--users-page-size <USERS_PAGE_SIZE>`). `None` for errors of the command line's
    /// own words (an unknown subcommand, a missing argument), which clap explains itself.
    pub fn from_clap(error: &clap::Error) -> Option<ConfigError> {
        let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
            return None;
        };
        let variable = arg.split_once('<')?.1.split_once('>')?.0;
        if !variable
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return None;
        }
        let problem = match std::error::Error::source(error) {
            Some(cause) => cause.to_string(),
            None => error.kind().to_string(),
        };
        Some(ConfigError::new(variable, problem))
    }
}
