-- A requested change of an account's e-mail address, waiting for the link
-- sent to the new address (stored as SHA-256, single use, expiring). One
-- per account: a new request replaces the previous one.
CREATE TABLE email_changes (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id  bigint NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    new_email   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

ALTER TABLE email_changes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY email_changes_scope ON email_changes
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));
