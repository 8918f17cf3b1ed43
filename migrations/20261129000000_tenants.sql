-- Resellers, tenants (customers and standalone accounts), licences, and
-- row-level security on every tenant-scoped table (issue 13, PRODUCT.md
-- §6–§7). ARCHITECTURE.md ("control: the tenant model") explains the model
-- and both isolation layers. Never edit this file once landed.
--
-- * A tenant owns hosts, tokens and log entries. Every dynamic-DNS account
--   that existed becomes a standalone tenant (no reseller) with itself as its
--   one user; a reseller's customer is a tenant with a reseller and a
--   customer number. One code path serves both.
-- * `accounts` holds everyone who signs in: standalone account holders
--   (`standalone`), users of a customer tenant (`tenant_user`) and reseller
--   portal users (`reseller_user`). Sessions, API tokens, reset links and
--   TOTP credentials keep pointing at `accounts`, so sign-in, 2FA and resets
--   work alike for all three.
-- * Row-level security: control runs as `spdyn_app`, which owns nothing;
--   each transaction states its scope with
--   set_config('spdyn.scope', 'tenant:<id>' | 'reseller:<id>' | 'operator'
--   | 'system', true); without a scope a query sees no rows. dnsd runs as
--   `spdyn_dnsd`, which may read its views and call its functions only.

-- Roles are cluster-wide: create them once (concurrent migrations of other
-- databases in the same cluster may race to create them).
DO $$
BEGIN
    CREATE ROLE spdyn_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
    CREATE ROLE spdyn_dnsd NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
-- The owner (the role running migrations) switches to the runtime roles
-- with SET ROLE.
DO $$
BEGIN
    EXECUTE format('GRANT spdyn_app, spdyn_dnsd TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- The scope of the current transaction. A missing or empty setting is NULL
-- and matches nothing; a malformed one fails the query.
CREATE FUNCTION spdyn_scope() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('spdyn.scope', true), '') $$;

-- Operators and the system's own jobs see every row.
CREATE FUNCTION spdyn_scope_all() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(spdyn_scope() IN ('operator', 'system'), false) $$;

CREATE FUNCTION spdyn_scope_tenant() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT CASE WHEN spdyn_scope() LIKE 'tenant:%' THEN substr(spdyn_scope(), 8)::bigint END $$;

CREATE FUNCTION spdyn_scope_reseller() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT CASE WHEN spdyn_scope() LIKE 'reseller:%' THEN substr(spdyn_scope(), 10)::bigint END $$;

-- The one visibility rule of rows that carry a tenant and its reseller.
CREATE FUNCTION spdyn_visible(tenant bigint, reseller bigint) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT spdyn_scope_all() OR tenant = spdyn_scope_tenant() OR reseller = spdyn_scope_reseller() $$;

CREATE TABLE resellers (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resellers_name_key UNIQUE (name)
);

-- Customer numbers are handed out in order; the tenant domain
-- `<number>.<suffix>` is derived (the suffix is configuration).
CREATE SEQUENCE customer_numbers START 100001;

CREATE TABLE tenants (
    id              bigserial PRIMARY KEY,
    reseller_id     bigint REFERENCES resellers (id) ON DELETE RESTRICT,
    customer_number text CHECK (customer_number ~ '^[0-9]{1,12}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Standalone tenants: hosts they may have. A customer's quota is the
    -- quantity of its licences.
    host_quota      integer CHECK (host_quota >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_customer_number_key UNIQUE (customer_number),
    CONSTRAINT tenants_kind CHECK ((reseller_id IS NULL) = (customer_number IS NULL)
                                   AND (reseller_id IS NULL) = (host_quota IS NOT NULL)),
    -- Target of the (tenant, reseller) foreign keys below: a row's reseller
    -- is always its tenant's.
    CONSTRAINT tenants_id_reseller_key UNIQUE (id, reseller_id)
);
CREATE INDEX tenants_reseller_idx ON tenants (reseller_id, name);

-- A standalone tenant for every account, with the account's quota.
ALTER TABLE tenants ADD COLUMN legacy_account_id bigint;
INSERT INTO tenants (name, host_quota, legacy_account_id)
    SELECT name, host_quota, id FROM accounts ORDER BY id;

ALTER TABLE accounts
    ADD COLUMN kind text NOT NULL DEFAULT 'standalone'
        CHECK (kind IN ('standalone', 'tenant_user', 'reseller_user')),
    ADD COLUMN tenant_id bigint REFERENCES tenants (id) ON DELETE CASCADE,
    ADD COLUMN reseller_id bigint REFERENCES resellers (id) ON DELETE CASCADE,
    -- In its tenant: admin (every permission) or read_only (sees, changes
    -- nothing). Standalone account holders are their tenant's admin.
    ADD COLUMN role text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'read_only'));
UPDATE accounts a SET tenant_id = t.id FROM tenants t WHERE t.legacy_account_id = a.id;
ALTER TABLE accounts
    DROP COLUMN host_quota,
    ADD CONSTRAINT accounts_kind_scope CHECK (
        (kind = 'standalone' AND tenant_id IS NOT NULL AND reseller_id IS NULL)
        OR (kind = 'tenant_user' AND tenant_id IS NOT NULL AND reseller_id IS NOT NULL AND NOT is_admin)
        OR (kind = 'reseller_user' AND tenant_id IS NULL AND reseller_id IS NOT NULL AND NOT is_admin)),
    ADD CONSTRAINT accounts_tenant_reseller_fkey FOREIGN KEY (tenant_id, reseller_id)
        REFERENCES tenants (id, reseller_id) ON DELETE CASCADE,
    DROP CONSTRAINT accounts_name_key;
-- Standalone names are global (they are dyndns2 user names); reseller users
-- sign in by name alone too; tenant users' names are unique in their tenant.
CREATE UNIQUE INDEX accounts_standalone_name_key ON accounts (name) WHERE kind = 'standalone';
CREATE UNIQUE INDEX accounts_reseller_user_name_key ON accounts (name) WHERE kind = 'reseller_user';
CREATE UNIQUE INDEX accounts_tenant_user_name_key ON accounts (tenant_id, name) WHERE kind = 'tenant_user';
CREATE UNIQUE INDEX accounts_standalone_tenant_key ON accounts (tenant_id) WHERE kind = 'standalone';
CREATE INDEX accounts_reseller_idx ON accounts (reseller_id) WHERE reseller_id IS NOT NULL;
ALTER TABLE tenants DROP COLUMN legacy_account_id;

-- A reseller user who opened a customer's portal acts in that tenant.
ALTER TABLE sessions ADD COLUMN acting_tenant_id bigint REFERENCES tenants (id) ON DELETE SET NULL;

CREATE TABLE licences (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL,
    reseller_id bigint NOT NULL,
    product     text NOT NULL CHECK (product IN ('dyndns')),
    -- Hosts the licence covers.
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    -- Valid from the start of valid_from through the end of valid_until (UTC).
    valid_from  date NOT NULL,
    valid_until date NOT NULL,
    -- What dnsd was told: past its grace period, its hosts answer !donator.
    -- control's licence sweep keeps it in step with the date.
    past_grace  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT licences_dates CHECK (valid_until >= valid_from),
    CONSTRAINT licences_tenant_reseller_fkey FOREIGN KEY (tenant_id, reseller_id)
        REFERENCES tenants (id, reseller_id) ON DELETE CASCADE,
    CONSTRAINT licences_id_tenant_key UNIQUE (id, tenant_id)
);
CREATE INDEX licences_tenant_idx ON licences (tenant_id, valid_until);
CREATE INDEX licences_reseller_idx ON licences (reseller_id, valid_until);

-- Hosts belong to a tenant (and, in a customer tenant, to one of its
-- licences).
ALTER TABLE hosts
    ADD COLUMN tenant_id bigint,
    ADD COLUMN reseller_id bigint,
    ADD COLUMN licence_id bigint;
UPDATE hosts h SET tenant_id = a.tenant_id FROM accounts a WHERE a.id = h.account_id;

-- The feed payloads: one JSON shape, read by dnsd (everything, through the
-- functions below) and by control (one host, in its own scope). The views
-- run with the caller's rights, so row-level security applies to them.
CREATE VIEW dnsd_host_rows WITH (security_invoker = true) AS
SELECT h.id,
       h.name,
       jsonb_build_object(
           'name', h.name,
           -- Account-mode updates (user + password) exist for standalone
           -- accounts only; a customer's hosts take tokens.
           'account', a.name,
           'ttl', h.ttl,
           'wildcard', h.wildcard,
           'enabled', h.enabled,
           'licence_expired', coalesce(l.past_grace, false),
           'ipv4', host(h.ipv4),
           'ipv6', host(h.ipv6),
           'ipv4_changed_ms', coalesce(dnsd_ms(h.ipv4_changed_at), 0),
           'ipv6_changed_ms', coalesce(dnsd_ms(h.ipv6_changed_at), 0),
           'txt', to_jsonb(h.txt),
           'updated_ms', coalesce(dnsd_ms(h.updated_at), 0),
           'last_client_addr', host(h.last_client_addr),
           'last_user_agent', h.last_user_agent,
           'token_hash', encode(t.token_hash, 'hex'),
           'token_first_used_ms', dnsd_ms(t.first_used_at),
           'token_last_used_ms', dnsd_ms(t.last_used_at)
       ) AS payload
FROM hosts h
LEFT JOIN accounts a ON a.tenant_id = h.tenant_id AND a.kind = 'standalone'
LEFT JOIN update_tokens t ON t.host_id = h.id
LEFT JOIN licences l ON l.id = h.licence_id;

CREATE VIEW dnsd_account_rows WITH (security_invoker = true) AS
SELECT a.id,
       a.name,
       jsonb_build_object(
           'name', a.name,
           'password_hash', a.password_hash,
           'enabled', a.enabled,
           -- Reseller linking arrives with PRODUCT.md §8.
           'linked', false
       ) AS payload
FROM accounts a
WHERE a.kind = 'standalone';

-- dnsd's bootstrap reads every payload: these run as the owner, in the
-- system scope, and return the rows of the views above.
CREATE FUNCTION dnsd_host_snapshot() RETURNS TABLE (id bigint, name text, payload jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public SET spdyn.scope = 'system'
    AS $$ SELECT id, name, payload FROM dnsd_host_rows $$;
CREATE FUNCTION dnsd_account_snapshot() RETURNS TABLE (id bigint, name text, payload jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public SET spdyn.scope = 'system'
    AS $$ SELECT id, name, payload FROM dnsd_account_rows $$;
-- The names dnsd reads keep their columns (id, name, payload).
CREATE OR REPLACE VIEW dnsd_host_payloads AS SELECT id, name, payload FROM dnsd_host_snapshot();
CREATE OR REPLACE VIEW dnsd_account_payloads AS SELECT id, name, payload FROM dnsd_account_snapshot();

ALTER TABLE hosts
    DROP COLUMN account_id,
    ALTER COLUMN tenant_id SET NOT NULL,
    ADD CONSTRAINT hosts_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT,
    ADD CONSTRAINT hosts_tenant_reseller_fkey FOREIGN KEY (tenant_id, reseller_id)
        REFERENCES tenants (id, reseller_id),
    ADD CONSTRAINT hosts_licence_tenant_fkey FOREIGN KEY (licence_id, tenant_id)
        REFERENCES licences (id, tenant_id),
    -- Only a customer's hosts have a licence, and always one.
    ADD CONSTRAINT hosts_licence_iff_reseller CHECK ((licence_id IS NULL) = (reseller_id IS NULL));
CREATE INDEX hosts_tenant_idx ON hosts (tenant_id, name);
CREATE INDEX hosts_reseller_idx ON hosts (reseller_id) WHERE reseller_id IS NOT NULL;
CREATE INDEX hosts_licence_idx ON hosts (licence_id) WHERE licence_id IS NOT NULL;

-- The outbox drain, as before (the merge rule is unchanged), now running
-- as the owner in the system scope, reading one payload per host by id.
CREATE OR REPLACE FUNCTION dnsd_apply_host_states(states jsonb) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public SET spdyn.scope = 'system'
    AS $$
DECLARE
    s record;
    target bigint;
    merged jsonb;
    seq bigint;
    applied integer := 0;
BEGIN
    -- The feed lock first, before any row lock: control takes it first too
    -- (control/src/db/feed.rs), so the two never wait for each other in
    -- opposite orders, and sequence order stays commit order.
    PERFORM pg_advisory_xact_lock(126926559211110); -- 0x73706479_6e66, "spdynf"
    FOR s IN
        SELECT * FROM jsonb_to_recordset(states) AS x(
            name text, ipv4 inet, ipv6 inet,
            ipv4_changed_ms bigint, ipv6_changed_ms bigint,
            txt text[], updated_ms bigint,
            last_client_addr inet, last_user_agent text,
            token_first_used_ms bigint, token_last_used_ms bigint)
    LOOP
        -- Every CASE sees the row as it was before this UPDATE.
        UPDATE hosts h SET
            ipv4 = CASE WHEN (coalesce(s.ipv4_changed_ms, 0), coalesce(s.ipv4, '0.0.0.0'::inet))
                           > (coalesce(dnsd_ms(h.ipv4_changed_at), 0), coalesce(h.ipv4, '0.0.0.0'::inet))
                        THEN s.ipv4 ELSE h.ipv4 END,
            ipv4_changed_at = CASE WHEN (coalesce(s.ipv4_changed_ms, 0), coalesce(s.ipv4, '0.0.0.0'::inet))
                           > (coalesce(dnsd_ms(h.ipv4_changed_at), 0), coalesce(h.ipv4, '0.0.0.0'::inet))
                        THEN dnsd_ts(s.ipv4_changed_ms) ELSE h.ipv4_changed_at END,
            ipv6 = CASE WHEN (coalesce(s.ipv6_changed_ms, 0), coalesce(s.ipv6, '::'::inet))
                           > (coalesce(dnsd_ms(h.ipv6_changed_at), 0), coalesce(h.ipv6, '::'::inet))
                        THEN s.ipv6 ELSE h.ipv6 END,
            ipv6_changed_at = CASE WHEN (coalesce(s.ipv6_changed_ms, 0), coalesce(s.ipv6, '::'::inet))
                           > (coalesce(dnsd_ms(h.ipv6_changed_at), 0), coalesce(h.ipv6, '::'::inet))
                        THEN dnsd_ts(s.ipv6_changed_ms) ELSE h.ipv6_changed_at END,
            txt = CASE WHEN coalesce(s.updated_ms, 0) > coalesce(dnsd_ms(h.updated_at), 0)
                       THEN coalesce(s.txt, '{}') ELSE h.txt END,
            last_client_addr = CASE WHEN coalesce(s.updated_ms, 0) > coalesce(dnsd_ms(h.updated_at), 0)
                       THEN s.last_client_addr ELSE h.last_client_addr END,
            last_user_agent = CASE WHEN coalesce(s.updated_ms, 0) > coalesce(dnsd_ms(h.updated_at), 0)
                       THEN s.last_user_agent ELSE h.last_user_agent END,
            updated_at = greatest(h.updated_at, dnsd_ts(s.updated_ms))
        WHERE h.name = s.name
        RETURNING h.id INTO target;
        IF NOT FOUND THEN
            CONTINUE; -- deleted meanwhile: nothing to keep
        END IF;
        UPDATE update_tokens t SET
            first_used_at = least(t.first_used_at, dnsd_ts(s.token_first_used_ms)),
            last_used_at = greatest(t.last_used_at, dnsd_ts(s.token_last_used_ms)),
            last_client_addr = CASE WHEN coalesce(s.token_last_used_ms, 0) > coalesce(dnsd_ms(t.last_used_at), 0)
                               THEN s.last_client_addr ELSE t.last_client_addr END,
            last_user_agent = CASE WHEN coalesce(s.token_last_used_ms, 0) > coalesce(dnsd_ms(t.last_used_at), 0)
                               THEN s.last_user_agent ELSE t.last_user_agent END
        WHERE t.host_id = target;

        SELECT r.payload INTO merged FROM dnsd_host_rows r WHERE r.id = target;
        INSERT INTO change_feed (kind, payload) VALUES ('host.state', merged) RETURNING change_feed.seq INTO seq;
        PERFORM pg_notify('spdyn_feed', seq::text);
        applied := applied + 1;
    END LOOP;
    RETURN applied;
END;
$$;

-- The action log belongs to a tenant (and its reseller); entries of a
-- reseller's own work (customers, licences) carry only the reseller, the
-- operators' only themselves.
ALTER TABLE action_log
    ADD COLUMN tenant_id bigint REFERENCES tenants (id) ON DELETE SET NULL,
    ADD COLUMN reseller_id bigint REFERENCES resellers (id) ON DELETE SET NULL;
UPDATE action_log l SET tenant_id = a.tenant_id FROM accounts a WHERE a.id = l.account_id;
CREATE INDEX action_log_tenant_idx ON action_log (tenant_id, id DESC);
CREATE INDEX action_log_reseller_idx ON action_log (reseller_id, id DESC) WHERE reseller_id IS NOT NULL;

-- API scopes in one style (`read:hosts`); the old names are still accepted
-- as input.
UPDATE api_tokens SET scopes = ARRAY(
    SELECT CASE s WHEN 'account:read' THEN 'read:account'
                  WHEN 'hosts:read' THEN 'read:hosts'
                  WHEN 'hosts:write' THEN 'write:hosts'
                  WHEN 'tokens:write' THEN 'write:tokens'
                  WHEN 'log:read' THEN 'read:log'
                  ELSE s END
    FROM unnest(scopes) AS s);

-- Daily digest of the dashboard's items, if the user asks for it.
ALTER TABLE accounts
    ADD COLUMN digest boolean NOT NULL DEFAULT false,
    ADD COLUMN digest_sent_on date;

-- Row-level security. FORCE: the owner is bound too (it still bypasses as a
-- superuser or with BYPASSRLS; the application never is either).
ALTER TABLE resellers ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY resellers_scope ON resellers USING (
    spdyn_scope_all() OR id = spdyn_scope_reseller()
    OR id = (SELECT t.reseller_id FROM tenants t WHERE t.id = spdyn_scope_tenant()));

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_scope ON tenants USING (spdyn_visible(id, reseller_id));

ALTER TABLE accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY accounts_scope ON accounts USING (spdyn_visible(tenant_id, reseller_id));

ALTER TABLE hosts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY hosts_scope ON hosts USING (spdyn_visible(tenant_id, reseller_id));

ALTER TABLE licences ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY licences_scope ON licences USING (spdyn_visible(tenant_id, reseller_id));

ALTER TABLE action_log ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY action_log_scope ON action_log USING (spdyn_visible(tenant_id, reseller_id));

-- Rows that hang off a host or an account are visible with it (the
-- subqueries are themselves subject to the policies above).
ALTER TABLE update_tokens ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY update_tokens_scope ON update_tokens
    USING (EXISTS (SELECT 1 FROM hosts h WHERE h.id = host_id));

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_scope ON sessions
    USING (spdyn_scope_all() OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_scope ON api_tokens
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));

ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY password_resets_scope ON password_resets
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));

ALTER TABLE totp_credentials ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY totp_credentials_scope ON totp_credentials
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));

ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY recovery_codes_scope ON recovery_codes
    USING (EXISTS (SELECT 1 FROM accounts a WHERE a.id = account_id));

-- Privileges. The application may read and write the tables (the policies
-- decide which rows) but owns nothing; dnsd reads the feed and its views
-- and calls its function. Tables of later migrations get the same grants.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO spdyn_app, spdyn_dnsd;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO spdyn_app;
REVOKE ALL ON _sqlx_migrations FROM spdyn_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO spdyn_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO spdyn_app;
REVOKE EXECUTE ON FUNCTION dnsd_host_snapshot(), dnsd_account_snapshot(),
    dnsd_apply_host_states(jsonb) FROM spdyn_app;
REVOKE SELECT ON dnsd_host_payloads, dnsd_account_payloads FROM spdyn_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO spdyn_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO spdyn_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO spdyn_app;
GRANT SELECT ON change_feed, dnsd_host_payloads, dnsd_account_payloads TO spdyn_dnsd;
GRANT EXECUTE ON FUNCTION dnsd_host_snapshot(), dnsd_account_snapshot(),
    dnsd_apply_host_states(jsonb), dnsd_ms(timestamptz), dnsd_ts(bigint),
    spdyn_scope(), spdyn_scope_all(), spdyn_scope_tenant(), spdyn_scope_reseller(),
    spdyn_visible(bigint, bigint) TO spdyn_dnsd;
