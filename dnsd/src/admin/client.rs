//! Client side of the admin API, used by the CLI subcommands.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use serde::{Serialize, de::DeserializeOwned};

use super::{AddAccount, AddHost, ErrorBody, HostView, ImportHost, Licence, NewToken};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the running dnsd at {addr}: {source} (is it started?)")]
    Unreachable {
        addr: SocketAddr,
        source: reqwest::Error,
    },
    #[error("dnsd answered {status}: {message}")]
    Refused { status: StatusCode, message: String },
    #[error("unexpected answer from dnsd: {0}")]
    Decode(reqwest::Error),
}

#[derive(Debug)]
pub struct AdminClient {
    http: reqwest::Client,
    addr: SocketAddr,
    secret: String,
}

impl AdminClient {
    pub fn new(addr: SocketAddr, secret: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            addr,
            secret,
        }
    }

    /// Sends a request and turns any non-success answer into an error.
    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response, ClientError> {
        let url = format!("http://{}{path}", self.addr);
        let mut request = self.http.request(method, url).bearer_auth(&self.secret);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unreachable {
                addr: self.addr,
                source,
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let message = response
            .json::<ErrorBody>()
            .await
            .map_or_else(|_| status.to_string(), |b| b.error);
        Err(ClientError::Refused { status, message })
    }

    async fn json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let response = self.send(method, path, body).await?;
        response.json().await.map_err(ClientError::Decode)
    }

    pub async fn add_host(&self, host: &AddHost) -> Result<NewToken, ClientError> {
        self.json(Method::POST, "/hosts", Some(host)).await
    }

    /// Imports one batch; returns how many hosts were new.
    pub async fn import_hosts(&self, hosts: &[ImportHost]) -> Result<usize, ClientError> {
        self.json(Method::POST, "/hosts/import", Some(&hosts)).await
    }

    pub async fn list_hosts(&self) -> Result<Vec<HostView>, ClientError> {
        self.json::<(), _>(Method::GET, "/hosts", None).await
    }

    pub async fn remove_host(&self, name: &str) -> Result<(), ClientError> {
        self.send::<()>(Method::DELETE, &format!("/hosts/{name}"), None)
            .await
            .map(drop)
    }

    pub async fn exchange_token(&self, name: &str) -> Result<NewToken, ClientError> {
        self.json::<(), _>(Method::POST, &format!("/hosts/{name}/token"), None)
            .await
    }

    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), ClientError> {
        let action = if enabled { "enable" } else { "disable" };
        self.send::<()>(Method::POST, &format!("/hosts/{name}/{action}"), None)
            .await
            .map(drop)
    }

    pub async fn set_licence(&self, name: &str, expired: bool) -> Result<(), ClientError> {
        self.send(
            Method::POST,
            &format!("/hosts/{name}/licence"),
            Some(&Licence { expired }),
        )
        .await
        .map(drop)
    }

    pub async fn add_account(&self, account: &AddAccount) -> Result<(), ClientError> {
        self.send(Method::POST, "/accounts", Some(account))
            .await
            .map(drop)
    }

    pub async fn export_tokens(&self) -> Result<Vec<NewToken>, ClientError> {
        self.json::<(), _>(Method::POST, "/tokens/export", None)
            .await
    }
}
