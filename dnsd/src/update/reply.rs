//! dyndns2 answer codes and the one place they become HTTP responses.

use std::{fmt, net::IpAddr};

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// One line of an update answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Good(Vec<IpAddr>),
    NoChg(Vec<IpAddr>),
    BadAuth,
    NotYours,
    NotFqdn,
    NoHost,
    Fatal,
    NumHost,
    /// Locked or throttled; the lock ends after this many seconds.
    Abuse {
        retry_after: u64,
    },
    NotDonator,
    DnsErr,
    /// Server-side problem; retry later.
    ServerError,
}

impl Reply {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Good(_) => "good",
            Self::NoChg(_) => "nochg",
            Self::BadAuth => "badauth",
            Self::NotYours => "!yours",
            Self::NotFqdn => "notfqdn",
            Self::NoHost => "nohost",
            Self::Fatal => "fatal",
            Self::NumHost => "numhost",
            Self::Abuse { .. } => "abuse",
            Self::NotDonator => "!donator",
            Self::DnsErr => "dnserr",
            Self::ServerError => "911",
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())?;
        if let Self::Good(addrs) | Self::NoChg(addrs) = self {
            for (i, addr) in addrs.iter().enumerate() {
                f.write_str(if i == 0 { " " } else { "," })?;
                write!(f, "{addr}")?;
            }
        }
        Ok(())
    }
}

/// A whole update answer: one line per requested host, in request order.
#[derive(Debug)]
pub enum UpdateResponse {
    Lines(Vec<Reply>),
    /// No credentials at all: challenge the client.
    Challenge {
        realm: String,
    },
    /// A parameter is malformed; nothing was changed.
    BadParam(&'static str),
}

impl IntoResponse for UpdateResponse {
    fn into_response(self) -> Response {
        let (status, body, retry_after, challenge) = match self {
            Self::Lines(lines) => {
                let retry_after = lines
                    .iter()
                    .filter_map(|line| match line {
                        Reply::Abuse { retry_after } => Some(*retry_after),
                        _ => None,
                    })
                    .max();
                let body = lines
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n");
                (StatusCode::OK, body, retry_after, None)
            }
            Self::Challenge { realm } => (
                StatusCode::UNAUTHORIZED,
                Reply::BadAuth.to_string(),
                None,
                Some(realm),
            ),
            Self::BadParam(name) => (
                StatusCode::BAD_REQUEST,
                format!("badparam {name}"),
                None,
                None,
            ),
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if let Some(realm) = challenge {
            let realm = realm.replace('"', "");
            if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_print_the_bare_code_then_addresses() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            Reply::Good(vec![v4, v6]).to_string(),
            "good 192.0.2.1,2001:db8::1"
        );
        assert_eq!(Reply::NoChg(vec![v6]).to_string(), "nochg 2001:db8::1");
        assert_eq!(Reply::Good(vec![]).to_string(), "good");
        assert_eq!(Reply::Abuse { retry_after: 5 }.to_string(), "abuse");
        assert_eq!(Reply::NotYours.to_string(), "!yours");
        assert_eq!(Reply::ServerError.to_string(), "911");
    }
}
