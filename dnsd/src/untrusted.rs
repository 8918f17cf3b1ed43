//! Client-supplied text made safe to log: quoted, with control characters,
//! quotes and backslashes escaped, and cut to a bounded length, so a client
//! can neither forge log lines or fields nor flood the log.

use std::fmt;

/// Characters of client text kept in a log line; the rest is replaced by `…`.
pub const MAX_LOGGED_CHARS: usize = 64;

/// Wraps client text for a log field: `tracing::info!(account = %Untrusted(&user), …)`.
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self
            .0
            .char_indices()
            .nth(MAX_LOGGED_CHARS)
            .map_or(self.0.len(), |(at, _)| at);
        f.write_str("\"")?;
        for c in self.0[..cut].chars() {
            write!(f, "{}", c.escape_debug())?;
        }
        if cut < self.0.len() {
            f.write_str("…")?;
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_quotes_are_escaped() {
        let forged = "alice\" level=ERROR\n2026-01-01 INFO fake line\r\u{1b}[31m\u{202e}\\";
        assert_eq!(
            Untrusted(forged).to_string(),
            r#""alice\" level=ERROR\n2026-01-01 INFO fake line\r\u{1b}[31m\u{202e}\\""#
        );
        assert_eq!(Untrusted("bob").to_string(), "\"bob\"");
        assert_eq!(Untrusted("").to_string(), "\"\"");
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let long = "ä".repeat(MAX_LOGGED_CHARS + 10);
        let logged = Untrusted(&long).to_string();
        assert_eq!(
            logged,
            format!("\"{}…\"", "ä".repeat(MAX_LOGGED_CHARS)),
            "64 characters, not bytes, then the marker"
        );
        let exact = "x".repeat(MAX_LOGGED_CHARS);
        assert_eq!(Untrusted(&exact).to_string(), format!("\"{exact}\""));
    }
}
