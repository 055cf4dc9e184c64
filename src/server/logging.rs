//! Where the server's log goes and in what form: to stderr, as text for people (the default) or,
//! with `LOG_FORMAT=json`, as one JSON object per line for log collectors. `RUST_LOG` filters it.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`: `text` or `json`.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.trim() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("must be text or json, not {other:?}")),
        }
    }
}

/// Starts logging in `format`. The driver's own messages repeat on every connection attempt; the
/// app logs one line per problem (`startup::connect_in_background`), so they are off unless
/// `RUST_LOG` asks for them (`RUST_LOG=info,scylla=warn`).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,scylla=off"));
    // Colours only for a person at a terminal, not in a file, a journal or a container's log.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // Each line carries the event's fields at the top level and the request's span (its id
        // and operator) under "span".
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_or_json_and_a_typo_is_refused() {
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(" text"), Ok(LogFormat::Text));
        let error = LogFormat::parse("jsno").unwrap_err();
        assert!(error.contains("must be text or json"), "{error}");
    }
}
