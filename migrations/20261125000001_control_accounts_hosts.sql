-- spdyn control plane, first schema: accounts, hosts, update tokens, sessions,
-- API tokens, password resets, action log, mail outbox and the change feed.
-- The tables planned for resellers, tenants, licences, tenant users and TOTP
-- are described in ARCHITECTURE.md ("control: data model") and land with
-- their issues as new migrations. Never edit this file once landed.

-- Dynamic-DNS accounts. The sign-in name doubles as the dyndns2 account name
-- for legacy account-mode updates, so it follows dnsd's rule.
CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9._@-]{2,64}$'),
    -- Not unique: one person may hold several accounts; a reset mail goes to
    -- every account with the address, which also keeps sign-up from telling
    -- whether an address is known.
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    language      text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'de')),
    is_admin      boolean NOT NULL DEFAULT false,
    enabled       boolean NOT NULL DEFAULT true,
    host_quota    integer NOT NULL CHECK (host_quota >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_email_idx ON accounts (lower(email));

-- Dynamic hosts. `name` is the lowercase FQDN: one label under `zone`.
CREATE TABLE hosts (
    id               bigserial PRIMARY KEY,
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
    name             text NOT NULL CHECK (length(name) <= 253),
    zone             text NOT NULL,
    ttl              integer NOT NULL CHECK (ttl BETWEEN 30 AND 86400),
    wildcard         boolean NOT NULL DEFAULT false,
    enabled          boolean NOT NULL DEFAULT true,
    -- Written by dnsd through its outbox (issue 5); control only shows them.
    ipv4             inet CHECK (family(ipv4) = 4),
    ipv6             inet CHECK (family(ipv6) = 6),
    ipv4_changed_at  timestamptz,
    ipv6_changed_at  timestamptz,
    updated_at       timestamptz,
    last_client_addr inet,
    last_user_agent  text,
    txt              text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Last change of the settings made through control.
    changed_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT hosts_name_key UNIQUE (name)
);
CREATE INDEX hosts_account_idx ON hosts (account_id, name);

-- At most one update token per host, stored only as SHA-256.
CREATE TABLE update_tokens (
    host_id          bigint PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
    token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Written by dnsd through its outbox (issue 5).
    first_used_at    timestamptz,
    last_used_at     timestamptz,
    last_client_addr inet,
    last_user_agent  text
);

-- Server-side web sessions, keyed by SHA-256 of the cookie value. Sessions
-- without an account exist only to carry the CSRF token of the sign-in,
-- sign-up and reset forms; signing in replaces them.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    account_id   bigint REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    source_addr  inet,
    user_agent   text
);
CREATE INDEX sessions_account_idx ON sessions (account_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Personal API tokens (bearer), stored as SHA-256, with scopes.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id);

-- Password-reset links: single use, expiring, stored as SHA-256.
CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_account_idx ON password_resets (account_id);

-- Every change and every sign-in attempt. `account_id` is the account whose
-- log shows the entry (NULL for sign-ins to unknown names); `actor` is a
-- snapshot of who acted, so entries survive renames and deletions.
CREATE TABLE action_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    account_id  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    source_addr inet
);
CREATE INDEX action_log_account_idx ON action_log (account_id, id DESC);
-- Sign-in throttling counts recent failures per target name and per source.
CREATE INDEX action_log_failure_target_idx ON action_log (action, target, at);
CREATE INDEX action_log_failure_source_idx ON action_log (action, source_addr, at);

-- Mails waiting for the SMTP sender. The body is cleared once sent: reset
-- links must not stay readable in the database.
CREATE TABLE mail_outbox (
    id              bigserial PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    to_addr         text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    last_error      text
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- What dnsd must know, in commit order. Appended in the same transaction as
-- the change and announced with NOTIFY spdyn_feed; dnsd applies entries in
-- `seq` order and remembers the last one it applied.
CREATE TABLE change_feed (
    seq     bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    kind    text NOT NULL,
    payload jsonb NOT NULL
);
