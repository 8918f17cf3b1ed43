//! Applications that act for a user after its consent: the OAuth 2.0
//! authorization-code flow (RFC 6749 §4.1) with PKCE (RFC 7636, S256 only)
//! for public clients an operator registered. *Authorize* issues a code
//! (ten minutes, once); the token endpoint turns it into an API token with
//! exactly the scopes consented to, bound to the application; the user sees
//! and revokes its applications. A replayed code revokes what it granted.

use std::net::IpAddr;

use sqlx::PgPool;

use super::Actor;
use crate::{
    db::{
        self,
        log::{Action, NewEntry, Who},
        oauth::{Client, CreateClientError, Grant, NewCode},
        scope::{Operator, System, Tx},
    },
    domain::{
        accounts::AccountId,
        oauth::{self as rules, requested_scopes, valid_challenge, valid_redirect_uri},
        scopes::{Holder, Scope},
        tokens,
    },
    error::{Conflict, Error, Invalid},
};

/// An authorization request as the application sent it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Request {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// A request that may be shown for consent.
#[derive(Debug, Clone)]
pub struct Consent {
    pub client: Client,
    pub scopes: Vec<Scope>,
    pub state: Option<String>,
    pub challenge: String,
}

/// Why a request is not shown for consent.
#[derive(Debug)]
pub enum Refusal {
    /// The client or its redirect URI is unknown: the error is shown here,
    /// never sent to an address nobody registered (RFC 6749 §4.1.2.1).
    Here(&'static str),
    /// Everything else goes back to the application.
    Back(String),
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        tracing::warn!(?error, "authorization request");
        Refusal::Here("oauth.failed")
    }
}

/// Checks an authorization request for a user who may grant as `holder`.
pub async fn check(pool: &PgPool, request: &Request, holder: Holder) -> Result<Consent, Refusal> {
    let client_id = request.client_id.as_deref().unwrap_or_default();
    let mut tx = Tx::begin(pool, System).await.map_err(Error::from)?;
    let client = db::oauth::client(&mut tx, client_id)
        .await
        .map_err(Error::from)?
        .ok_or(Refusal::Here("oauth.unknown_client"))?;
    drop(tx);
    // The redirect URI may be left out (there is one), else it must match.
    if request
        .redirect_uri
        .as_deref()
        .is_some_and(|uri| uri != client.redirect_uri)
    {
        return Err(Refusal::Here("oauth.wrong_redirect"));
    }
    let state = request.state.clone();
    let back = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(state) = &state {
            params.push(("state", state));
        }
        Refusal::Back(rules::redirect_with(&client.redirect_uri, &params))
    };
    if request.response_type.as_deref() != Some("code") {
        return Err(back("unsupported_response_type", "only response_type=code"));
    }
    let challenge = request.code_challenge.clone().unwrap_or_default();
    if request.code_challenge_method.as_deref() != Some("S256") || !valid_challenge(&challenge) {
        return Err(back(
            "invalid_request",
            "PKCE is required: code_challenge with code_challenge_method=S256",
        ));
    }
    let Some(scopes) = requested_scopes(request.scope.as_deref().unwrap_or_default(), holder)
    else {
        return Err(back(
            "invalid_scope",
            "unknown scope, or one this user cannot grant",
        ));
    };
    Ok(Consent {
        client,
        scopes,
        state,
        challenge,
    })
}

/// The user's answer: *Authorize* issues a code, *Deny* nothing. Returns
/// where the browser goes back to the application.
pub async fn decide(
    pool: &PgPool,
    actor: &Actor,
    consent: &Consent,
    authorize: bool,
) -> Result<String, Error> {
    let client = &consent.client;
    let scopes: Vec<String> = consent.scopes.iter().map(|s| s.as_str().into()).collect();
    let mut tx = Tx::begin(pool, actor.home).await?;
    let mut params = Vec::new();
    let code = tokens::random_secret();
    let action = if authorize {
        let new = NewCode {
            hash: &tokens::hash(&code),
            client: client.id,
            account: actor.account,
            redirect_uri: &client.redirect_uri,
            scopes: &scopes,
            challenge: &consent.challenge,
        };
        db::oauth::create_code(&mut tx, &new).await?;
        params.push(("code", code.as_str()));
        Action::OauthAuthorize
    } else {
        params.push(("error", "access_denied"));
        Action::OauthDeny
    };
    if let Some(state) = &consent.state {
        params.push(("state", state));
    }
    let detail = scopes.join(" ");
    db::log::add(&mut tx, &actor.entry(action, &client.name, &detail)).await?;
    tx.commit().await?;
    Ok(rules::redirect_with(&client.redirect_uri, &params))
}

/// A token request (RFC 6749 §4.1.3), form-encoded.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub code_verifier: Option<String>,
}

/// A token endpoint error (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    InvalidRequest(&'static str),
    InvalidClient,
    InvalidGrant(&'static str),
    UnsupportedGrantType,
}

/// The access token and what it may do.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub scopes: Vec<String>,
}

/// Exchanges a code for an API token: the code unused and unexpired, for
/// this client and redirect URI, and the verifier the challenge was made
/// from. A code presented a second time is refused and what it granted is
/// revoked (it may have leaked).
pub async fn exchange(
    pool: &PgPool,
    request: &TokenRequest,
    source: Option<IpAddr>,
) -> Result<Issued, TokenError> {
    let db = |error: sqlx::Error| {
        tracing::error!(%error, "token endpoint");
        TokenError::InvalidRequest("try again")
    };
    if request.grant_type.as_deref() != Some("authorization_code") {
        return Err(TokenError::UnsupportedGrantType);
    }
    let (Some(code), Some(client_id), Some(verifier)) = (
        request.code.as_deref(),
        request.client_id.as_deref(),
        request.code_verifier.as_deref(),
    ) else {
        return Err(TokenError::InvalidRequest(
            "code, client_id and code_verifier are required",
        ));
    };
    let mut tx = Tx::begin(pool, System).await.map_err(db)?;
    let client = db::oauth::client(&mut tx, client_id)
        .await
        .map_err(db)?
        .ok_or(TokenError::InvalidClient)?;
    let code_hash = tokens::hash(code);
    let stored = db::oauth::take_code(&mut tx, &code_hash)
        .await
        .map_err(db)?
        .ok_or(TokenError::InvalidGrant("unknown code"))?;
    if stored.used {
        let revoked = db::oauth::revoke_code_grants(&mut tx, &code_hash)
            .await
            .map_err(db)?;
        let entry = NewEntry {
            account: Some(AccountId(stored.account_id)),
            tenant: None,
            reseller: None,
            actor: Who::named(&client.name),
            action: Action::OauthReplay,
            target: &client.name,
            detail: &format!("revoked={revoked}"),
            source,
        };
        log_for_account(&mut tx, entry).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        return Err(TokenError::InvalidGrant("the code was used already"));
    }
    let refusal = if stored.client_id != client.id {
        Some("the code is another client's")
    } else if stored.expired {
        Some("the code has expired")
    } else if request
        .redirect_uri
        .as_deref()
        .is_some_and(|uri| uri != stored.redirect_uri)
    {
        Some("redirect_uri differs from the authorization request's")
    } else if !rules::verifier_matches(verifier, &stored.code_challenge) {
        Some("code_verifier does not match the code_challenge")
    } else {
        None
    };
    if let Some(reason) = refusal {
        // The code is spent either way: a guess cannot be retried.
        tx.commit().await.map_err(db)?;
        return Err(TokenError::InvalidGrant(reason));
    }
    let token = tokens::api_token();
    let account = AccountId(stored.account_id);
    db::oauth::create_grant(
        &mut tx,
        account,
        &client,
        &tokens::hash(&token),
        &code_hash,
        &stored.scopes,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Issued {
        token,
        scopes: stored.scopes,
    })
}

/// Logs an entry about an account in its own log (its tenant's, or its
/// reseller's).
async fn log_for_account(tx: &mut Tx<System>, entry: NewEntry<'_>) -> sqlx::Result<()> {
    let Some(id) = entry.account else {
        return db::log::add(tx, &entry).await;
    };
    let owner = db::accounts::by_id(tx, id).await?;
    let entry = NewEntry {
        tenant: owner.as_ref().and_then(|a| a.tenant()),
        reseller: owner.as_ref().and_then(|a| a.reseller()),
        ..entry
    };
    db::log::add(tx, &entry).await
}

/// Registers an application (operators).
pub async fn register(
    pool: &PgPool,
    operator: &Actor,
    name: &str,
    redirect_uri: &str,
) -> Result<Client, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Invalid::Name.into());
    }
    let redirect_uri = redirect_uri.trim();
    if !valid_redirect_uri(redirect_uri) {
        return Err(Invalid::RedirectUri.into());
    }
    let mut tx = Tx::begin(pool, Operator).await?;
    let client = db::oauth::create_client(&mut tx, &tokens::random_secret(), name, redirect_uri)
        .await
        .map_err(|e| match e {
            CreateClientError::NameTaken => Error::Conflict(Conflict::NameTaken),
            CreateClientError::Db(e) => Error::Db(e),
        })?;
    let entry = operator.entry(Action::OauthClientCreate, name, redirect_uri);
    db::log::add(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(client)
}

/// The registered applications (operators).
pub async fn clients(pool: &PgPool) -> Result<Vec<Client>, Error> {
    let mut tx = Tx::begin(pool, Operator).await?;
    Ok(db::oauth::clients(&mut tx).await?)
}

/// The applications the actor granted access to.
pub async fn grants(pool: &PgPool, actor: &Actor) -> Result<Vec<Grant>, Error> {
    let mut tx = Tx::begin(pool, actor.home).await?;
    Ok(db::oauth::grants(&mut tx, actor.account).await?)
}

/// Revokes an application's access at once; returns its name.
pub async fn revoke(pool: &PgPool, actor: &Actor, client: i64) -> Result<String, Error> {
    let mut tx = Tx::begin(pool, actor.home).await?;
    let name = db::oauth::revoke_grant(&mut tx, actor.account, client)
        .await?
        .ok_or(Error::NotFound)?;
    db::log::add(&mut tx, &actor.entry(Action::OauthRevoke, &name, "")).await?;
    tx.commit().await?;
    Ok(name)
}
