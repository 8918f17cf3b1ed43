//! HTTP routes: the server-rendered web UI and the JSON API.

pub mod api;
pub mod log_query;
pub mod oauth;
pub mod web;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{domain::hosts::HostId, error::Error};

/// A host id from a path segment; anything unparseable is simply not found.
pub(crate) fn host_id(raw: &str) -> Result<HostId, Error> {
    raw.parse().map(HostId).map_err(|_| Error::NotFound)
}

/// RFC 3339 in UTC, as the API and the CSV export show times.
pub(crate) fn rfc3339(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A CSV file to save under `filename`.
pub(crate) fn csv_download(filename: &'static str, csv: String) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response()
}
