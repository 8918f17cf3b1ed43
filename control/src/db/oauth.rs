//! OAuth applications (clients), authorization codes, and the grants they
//! became: API tokens bound to an application.

use time::OffsetDateTime;

use super::scope::{Operator, Scope, System, Tx};
use crate::domain::{accounts::AccountId, oauth::CODE_LIFETIME_SECS, tokens::SecretHash};

/// A registered application.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Client {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub redirect_uri: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateClientError {
    #[error("an application with this name exists")]
    NameTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn create_client(
    tx: &mut Tx<Operator>,
    client_id: &str,
    name: &str,
    redirect_uri: &str,
) -> Result<Client, CreateClientError> {
    sqlx::query_as(
        "INSERT INTO oauth_clients (client_id, name, redirect_uri) VALUES ($1, $2, $3)
         RETURNING id, client_id, name, redirect_uri, created_at",
    )
    .bind(client_id)
    .bind(name)
    .bind(redirect_uri)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| {
        if e.as_database_error()
            .is_some_and(|d| d.constraint() == Some("oauth_clients_name_key"))
        {
            CreateClientError::NameTaken
        } else {
            CreateClientError::Db(e)
        }
    })
}

pub async fn clients(tx: &mut Tx<Operator>) -> sqlx::Result<Vec<Client>> {
    sqlx::query_as(
        "SELECT id, client_id, name, redirect_uri, created_at FROM oauth_clients ORDER BY name",
    )
    .fetch_all(tx.conn())
    .await
}

/// The application a request names.
pub async fn client(tx: &mut Tx<System>, client_id: &str) -> sqlx::Result<Option<Client>> {
    sqlx::query_as(
        "SELECT id, client_id, name, redirect_uri, created_at FROM oauth_clients
         WHERE client_id = $1",
    )
    .bind(client_id)
    .fetch_optional(tx.conn())
    .await
}

/// What an authorization code was issued for.
#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    pub hash: &'a SecretHash,
    pub client: i64,
    pub account: AccountId,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub challenge: &'a str,
}

pub async fn create_code(tx: &mut Tx<impl Scope>, code: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, client_id, account_id, redirect_uri, scopes,
                                  code_challenge, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 second')",
    )
    .bind(code.hash.as_slice())
    .bind(code.client)
    .bind(code.account.0)
    .bind(code.redirect_uri)
    .bind(code.scopes)
    .bind(code.challenge)
    .bind(CODE_LIFETIME_SECS)
    .execute(tx.conn())
    .await
    .map(drop)
}

/// A code presented at the token endpoint.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Code {
    pub client_id: i64,
    pub account_id: i64,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub code_challenge: String,
    pub expired: bool,
    /// It was exchanged before: a replay.
    pub used: bool,
}

/// Takes a code: marks it used and returns it as it was (expired or used
/// before included, so the caller can tell a replay). Locks the row, so two
/// concurrent exchanges of one code cannot both see it unused.
pub async fn take_code(tx: &mut Tx<System>, hash: &SecretHash) -> sqlx::Result<Option<Code>> {
    let code: Option<Code> = sqlx::query_as(
        "SELECT client_id, account_id, redirect_uri, scopes, code_challenge,
                expires_at <= now() AS expired, used_at IS NOT NULL AS used
         FROM oauth_codes WHERE code_hash = $1 FOR UPDATE",
    )
    .bind(hash.as_slice())
    .fetch_optional(tx.conn())
    .await?;
    if code.as_ref().is_some_and(|c| !c.used) {
        sqlx::query("UPDATE oauth_codes SET used_at = now() WHERE code_hash = $1")
            .bind(hash.as_slice())
            .execute(tx.conn())
            .await?;
    }
    Ok(code)
}

/// The grant a code made: an API token bound to the application.
pub async fn create_grant(
    tx: &mut Tx<System>,
    account: AccountId,
    client: &Client,
    token: &SecretHash,
    code: &SecretHash,
    scopes: &[String],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (account_id, name, token_hash, scopes, oauth_client_id,
                                 oauth_code_hash)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account.0)
    .bind(&client.name)
    .bind(token.as_slice())
    .bind(scopes)
    .bind(client.id)
    .bind(code.as_slice())
    .execute(tx.conn())
    .await
    .map(drop)
}

/// Revokes what a replayed code granted (RFC 6749 §4.1.2).
pub async fn revoke_code_grants(tx: &mut Tx<System>, code: &SecretHash) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM api_tokens WHERE oauth_code_hash = $1")
        .bind(code.as_slice())
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}

/// An application the account granted access to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub client_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub granted_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub tokens: i64,
}

/// The account's granted applications, one row per application.
pub async fn grants(tx: &mut Tx<impl Scope>, account: AccountId) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as(
        "SELECT oauth_client_id AS client_id, max(name) AS name,
                (SELECT array_agg(DISTINCT s ORDER BY s) FROM api_tokens t2, unnest(t2.scopes) s
                  WHERE t2.account_id = $1 AND t2.oauth_client_id = t.oauth_client_id) AS scopes,
                min(created_at) AS granted_at, max(last_used_at) AS last_used_at,
                count(*) AS tokens
         FROM api_tokens t
         WHERE account_id = $1 AND oauth_client_id IS NOT NULL
         GROUP BY oauth_client_id ORDER BY 2",
    )
    .bind(account.0)
    .fetch_all(tx.conn())
    .await
}

/// Revokes every token the account granted the application; returns the
/// application's name, or `None` when there was nothing to revoke.
pub async fn revoke_grant(
    tx: &mut Tx<impl Scope>,
    account: AccountId,
    client: i64,
) -> sqlx::Result<Option<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "DELETE FROM api_tokens WHERE account_id = $1 AND oauth_client_id = $2 RETURNING name",
    )
    .bind(account.0)
    .bind(client)
    .fetch_all(tx.conn())
    .await?;
    Ok(names.into_iter().next())
}

/// Removes codes that expired more than a day ago.
pub async fn prune_codes(tx: &mut Tx<System>) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'")
        .execute(tx.conn())
        .await
        .map(|r| r.rows_affected())
}
