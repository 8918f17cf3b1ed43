//! The `[log]` section both binaries read, and the subscriber it sets up.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// tracing-subscriber filter; `RUST_LOG` wins when set, the binary's
    /// default applies when neither is.
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber, writing to stderr.
pub fn init(config: &LogConfig, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(config.filter.as_deref().unwrap_or(default_filter))
    });
    // A log line that cannot be written is dropped. By default the
    // subscriber reports it with `eprintln!`, which panics when stderr is a
    // closed pipe (a log reader that ended first, e.g. on Ctrl-C), and that
    // panic would cut the clean stop short.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    match config.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}
