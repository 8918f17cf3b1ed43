//! "What is my address": `GET /` and `/checkip` answer one plain line,
//! `/checkip/json` the shape existing spDYN clients parse.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    UpdateState,
    client_ip::{ClientAddress, client_address},
    policy::retry_secs,
};
use crate::store::now_millis;

/// The checkip routes, for the update listeners and checkip-only listeners.
pub fn routes() -> Router<UpdateState> {
    Router::new()
        .route("/", get(plain))
        .route("/checkip", get(plain))
        .route("/checkip/json", get(json))
}

async fn plain(
    State(state): State<UpdateState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    answer(&state, peer, &headers, |client| {
        (
            "text/plain; charset=utf-8",
            format!("{}\n", client.effective()),
        )
    })
}

async fn json(
    State(state): State<UpdateState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    answer(&state, peer, &headers, |client| {
        let mut info =
            vec![serde_json::json!({"ip": client.peer.to_string(), "source": "REMOTE_ADDR"})];
        if let Some(forwarded) = client.forwarded {
            info.push(
                serde_json::json!({"ip": forwarded.to_string(), "source": "HTTP_X_FORWARDED_FOR"}),
            );
        }
        (
            "application/json",
            serde_json::json!({ "ipinfo": info }).to_string(),
        )
    })
}

/// Rate-limits the source, then answers uncached with what `render` makes.
fn answer(
    state: &UpdateState,
    peer: SocketAddr,
    headers: &HeaderMap,
    render: impl FnOnce(&ClientAddress) -> (&'static str, String),
) -> Response {
    let client = client_address(peer, headers, &state.trusted_proxies);
    if let Some(response) = rate_limited(state, client.effective()) {
        return response;
    }
    let (content_type, body) = render(&client);
    uncached(content_type, body)
}

/// The 429 answer when the source asked too often.
fn rate_limited(state: &UpdateState, source: std::net::IpAddr) -> Option<Response> {
    let ms = state.policy.checkip(source, now_millis()).err()?;
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down\n").into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_secs(ms)));
    Some(response)
}

fn uncached(content_type: &'static str, body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
