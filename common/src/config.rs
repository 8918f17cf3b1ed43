//! TOML configuration with `PREFIX__SECTION__KEY=value` environment
//! overrides, and secrets that may come from files.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("environment override {var}: {reason}")]
    Env { var: String, reason: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Parses TOML `text`, applies the overrides among `vars` whose names start
/// with `prefix` (e.g. `DNSD__ADMIN__SECRET=…` sets `[admin] secret`), and
/// deserialises the result.
pub fn parse_with_env<T: DeserializeOwned>(
    text: &str,
    prefix: &str,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError> {
    let mut doc: toml::Table = toml::from_str(text)?;
    for (var, value) in vars {
        if let Some(path) = var.strip_prefix(prefix) {
            apply_override(&mut doc, path, &value).map_err(|reason| ConfigError::Env {
                var: var.clone(),
                reason,
            })?;
        }
    }
    Ok(toml::Value::Table(doc).try_into()?)
}

/// Reads a configuration file as text.
pub fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

/// A secret given inline or in a file (trimmed), if either is set. An empty
/// inline value (e.g. blanked from the environment) defers to the file.
pub fn optional_secret(
    inline: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<String>, ConfigError> {
    if let Some(value) = inline.filter(|v| !v.is_empty()) {
        return Ok(Some(value.to_owned()));
    }
    file.map(|path| Ok(read(path)?.trim().to_owned()))
        .transpose()
}

/// Like [`optional_secret`], for a secret that must be there (`what` names
/// the setting in the error).
pub fn secret(
    inline: Option<&str>,
    file: Option<&Path>,
    what: &str,
) -> Result<String, ConfigError> {
    optional_secret(inline, file)?
        .ok_or_else(|| ConfigError::Invalid(format!("{what} or {what}_file is required")))
}

/// Sets `doc[a][b]… = value` for the path `A__B__…`. The value is read as a
/// TOML value when it parses as one (numbers, booleans, arrays), else as a
/// string.
fn apply_override(doc: &mut toml::Table, path: &str, value: &str) -> Result<(), String> {
    let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
    let (last, parents) = keys.split_last().ok_or("empty key")?;
    let mut table = doc;
    for key in parents {
        let entry = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{key}` is not a table"))?;
    }
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()));
    table.insert(last.clone(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Sample {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        port: u16,
        list: Vec<String>,
    }

    #[test]
    fn overrides_set_nested_values_with_toml_types() {
        let text = "name = \"file\"\n[inner]\nport = 1\nlist = []\n";
        let vars = [
            ("X__NAME".to_owned(), "from env".to_owned()),
            ("X__INNER__PORT".to_owned(), "53".to_owned()),
            ("X__INNER__LIST".to_owned(), r#"["a", "b"]"#.to_owned()),
            ("OTHER__NAME".to_owned(), "ignored".to_owned()),
        ];
        let sample: Sample = parse_with_env(text, "X__", vars).unwrap();
        assert_eq!(sample.name, "from env");
        assert_eq!(sample.inner.port, 53);
        assert_eq!(sample.inner.list, vec!["a", "b"]);
    }

    #[test]
    fn overriding_through_a_value_is_an_error() {
        let vars = [("X__NAME__DEEP".to_owned(), "1".to_owned())];
        let result: Result<Sample, _> =
            parse_with_env("name = \"a\"\n[inner]\nport = 1\nlist = []\n", "X__", vars);
        assert!(matches!(result, Err(ConfigError::Env { .. })));
    }

    #[test]
    fn secrets_come_inline_or_from_a_file() {
        let dir = std::env::temp_dir().join(format!("spdyn-secret-{}", std::process::id()));
        std::fs::write(&dir, "from-file\n").unwrap();
        assert_eq!(secret(Some("inline"), Some(&dir), "x").unwrap(), "inline");
        assert_eq!(secret(Some(""), Some(&dir), "x").unwrap(), "from-file");
        assert!(secret(None, None, "x").is_err());
        std::fs::remove_file(&dir).unwrap();
    }
}
