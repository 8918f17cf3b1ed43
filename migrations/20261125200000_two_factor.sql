-- Two-factor sign-in (TOTP, RFC 6238) and recovery codes (issue 6).
-- Never edit this file once landed.

-- One TOTP credential per account. The secret is sealed with AEAD
-- (AES-256-GCM, key from control's configuration) and the account id as
-- associated data, so a row copied onto another account does not decrypt.
-- `enabled_at` is NULL while enrolment waits for the first correct code.
-- `last_used_step` is the last accepted 30-second step: a code of that step
-- or an earlier one is refused (replay protection).
-- Later (ARCHITECTURE.md, "Principals"): reseller and tenant users get their
-- own credentials; a tenant user linked to a reseller account (RSP) uses the
-- reseller user's credential instead of one of its own.
CREATE TABLE totp_credentials (
    account_id        bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret_ciphertext bytea NOT NULL,
    secret_nonce      bytea NOT NULL CHECK (length(secret_nonce) = 12),
    enabled_at        timestamptz,
    last_used_step    bigint,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as SHA-256 of their normalised form
-- (each carries 80 random bits, so a fast hash cannot be brute-forced).
CREATE TABLE recovery_codes (
    id         bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recovery_codes_account_code_key UNIQUE (account_id, code_hash)
);

-- A session after a correct password of an account with 2FA, waiting for the
-- code: it reaches nothing but the code prompt and sign-out, and lives
-- minutes. The code rotates it into a signed-in session.
ALTER TABLE sessions ADD COLUMN second_factor_pending boolean NOT NULL DEFAULT false;

-- Failed codes are counted per tried account and per source address, like
-- failed passwords (the existing action_log indexes cover the query).
