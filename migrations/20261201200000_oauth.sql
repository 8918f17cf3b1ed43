-- Applications (OAuth 2.0 clients, RFC 6749) an operator registered: public
-- clients that must use PKCE (RFC 7636, S256); `client_id` is what the
-- application sends, `redirect_uri` the one address codes go to.
CREATE TABLE oauth_clients (
    id           bigserial PRIMARY KEY,
    client_id    text NOT NULL UNIQUE CHECK (length(client_id) BETWEEN 16 AND 64),
    name         text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    redirect_uri text NOT NULL CHECK (length(redirect_uri) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Authorization codes: SHA-256 of the code, single use, ten minutes, bound
-- to the client, the redirect URI, the account that authorized, the scopes
-- and the PKCE challenge. A used code stays (`used_at`) until it expires, so
-- a replay is recognised and revokes what the code granted.
CREATE TABLE oauth_codes (
    code_hash      bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    client_id      bigint NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    scopes         text[] NOT NULL,
    code_challenge text NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);

-- A grant is an API token bound to the application (and the code that made
-- it); personal tokens have neither.
ALTER TABLE api_tokens
    ADD COLUMN oauth_client_id bigint REFERENCES oauth_clients (id) ON DELETE CASCADE,
    ADD COLUMN oauth_code_hash bytea;
CREATE INDEX api_tokens_oauth_code_idx ON api_tokens (oauth_code_hash)
    WHERE oauth_code_hash IS NOT NULL;

-- Clients are the operators' (and the system's, which checks requests);
-- codes, like tokens, follow their account.
ALTER TABLE oauth_clients ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY oauth_clients_scope ON oauth_clients USING (spdyn_scope_all());
ALTER TABLE oauth_codes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY oauth_codes_scope ON oauth_codes
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));
