//! The action log's filter as a query string, shared by the portal's log
//! pages, their CSV exports and the API: who acted, which action, which
//! days, and the page.

use serde::Deserialize;
use time::{Date, OffsetDateTime, Time};
use utoipa::IntoParams;

use crate::{
    db::log::{Action, Filter},
    domain::dates::parse_date,
    error::{Error, Invalid},
};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct LogQuery {
    /// Only entries by this account (its name).
    pub actor: Option<String>,
    /// Only entries of this action code, e.g. `host.create`.
    pub action: Option<String>,
    /// From this day on (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Through this day (`YYYY-MM-DD`, UTC).
    pub until: Option<String>,
    /// Only entries with an id below this (paging: the last id of a page).
    pub before: Option<i64>,
    /// Entries per page, 1–1000 (default 100; API only).
    pub limit: Option<i64>,
}

/// A form field left empty means "any".
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|f| !f.is_empty())
}

fn day(field: &Option<String>) -> Result<Option<Date>, Error> {
    given(field)
        .map(parse_date)
        .transpose()
        .map_err(|_| Invalid::Dates.into())
}

impl LogQuery {
    /// The filter it asks for; an unknown action or a malformed day is
    /// refused (422), an empty field means any.
    pub fn filter(&self) -> Result<Filter, Error> {
        let action = given(&self.action)
            .map(|code| {
                Action::ALL
                    .iter()
                    .find(|a| a.as_str() == code)
                    .map(|a| a.as_str().to_owned())
                    .ok_or(Invalid::Action)
            })
            .transpose()?;
        let midnight = |d: Date| OffsetDateTime::new_utc(d, Time::MIDNIGHT);
        let until = day(&self.until)?
            .map(|d| d.next_day().ok_or(Invalid::Dates))
            .transpose()?;
        Ok(Filter {
            actor: given(&self.actor).map(str::to_owned),
            action,
            from: day(&self.from)?.map(midnight),
            until: until.map(midnight),
            before: self.before,
        })
    }

    /// The filter as a query string for links (the next page, the CSV),
    /// with `before` for the next page.
    pub fn query_string(&self, before: Option<i64>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if let Some(value) = given(value) {
                out.append_pair(name, value);
            }
        }
        if let Some(before) = before {
            out.append_pair("before", &before.to_string());
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> LogQuery {
        let text = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let uri: axum::http::Uri = format!("/log?{text}").parse().unwrap();
        axum::extract::Query::<LogQuery>::try_from_uri(&uri)
            .unwrap()
            .0
    }

    #[test]
    fn empty_fields_mean_any_and_days_cover_whole_days() {
        let none = query(&[("actor", ""), ("action", " "), ("from", "")]).filter();
        let none = none.unwrap();
        assert!(none.actor.is_none() && none.action.is_none() && none.from.is_none());
        let some = query(&[
            ("actor", "anna"),
            ("action", "host.create"),
            ("from", "2026-11-01"),
            ("until", "2026-11-30"),
        ])
        .filter()
        .unwrap();
        assert_eq!(some.actor.as_deref(), Some("anna"));
        assert_eq!(
            some.from.unwrap().to_string(),
            "2026-11-01 0:00:00.0 +00:00:00"
        );
        assert_eq!(
            some.until.unwrap().to_string(),
            "2026-12-01 0:00:00.0 +00:00:00"
        );
    }

    #[test]
    fn unknown_actions_and_malformed_days_are_refused() {
        assert!(query(&[("action", "host.explode")]).filter().is_err());
        assert!(query(&[("from", "30.11.2026")]).filter().is_err());
        assert!(query(&[("until", "2026-02-30")]).filter().is_err());
    }

    #[test]
    fn links_keep_the_filter() {
        let q = query(&[("actor", "a b"), ("action", ""), ("from", "2026-11-01")]);
        assert_eq!(
            q.query_string(Some(7)),
            "actor=a+b&from=2026-11-01&before=7"
        );
    }
}
