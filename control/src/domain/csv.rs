//! CSV writing (RFC 4180) for the token list and the action-log export.

/// One CSV line, fields quoted when they need it, CRLF-terminated. Fields that
/// a spreadsheet would run as a formula get a leading apostrophe (CSV
/// injection), since log fields such as user agents come from strangers.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let field = field.as_ref();
        let defused = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{field}")
        } else {
            field.to_owned()
        };
        if defused.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&defused.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&defused);
        }
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_stay_plain_and_special_ones_are_quoted() {
        assert_eq!(
            line(&["a.dyn.example", "abcd-efgh"]),
            "a.dyn.example,abcd-efgh\r\n"
        );
        assert_eq!(
            line(&["x,y", "say \"hi\""]),
            "\"x,y\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(line(&["two\nlines"]), "\"two\nlines\"\r\n");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(line(&["=cmd()"]), "'=cmd()\r\n");
        assert_eq!(line(&["-1+2", "@x"]), "'-1+2,'@x\r\n");
    }
}
