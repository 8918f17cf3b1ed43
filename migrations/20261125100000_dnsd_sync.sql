-- What dnsd reads from and writes to Postgres (issue 5).
--
-- * dnsd_host_payloads / dnsd_account_payloads: the one definition of the
--   JSON shape of `host.upsert` / `account.upsert` feed entries. Control
--   appends feed entries from them; a fresh dnsd bootstraps from them.
-- * dnsd_apply_host_states(jsonb): how a dnsd outbox batch lands: each host
--   state is merged last-writer-wins per address family (ties broken by the
--   address, exactly as dnsd's sync::merge does), and a `host.state` feed
--   entry tells every other node.
-- Never edit this file once landed.

-- Milliseconds since the epoch, the unit dnsd keeps its timestamps in.
CREATE FUNCTION dnsd_ms(ts timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT (extract(epoch FROM ts) * 1000)::bigint $$;

CREATE FUNCTION dnsd_ts(ms bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT CASE WHEN ms > 0 THEN to_timestamp(ms / 1000.0) END $$;

CREATE VIEW dnsd_host_payloads AS
SELECT h.id,
       h.name,
       jsonb_build_object(
           'name', h.name,
           'account', a.name,
           'ttl', h.ttl,
           'wildcard', h.wildcard,
           'enabled', h.enabled,
           -- Licences arrive with PRODUCT.md §6; until then none has expired.
           'licence_expired', false,
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
JOIN accounts a ON a.id = h.account_id
LEFT JOIN update_tokens t ON t.host_id = h.id;

CREATE VIEW dnsd_account_payloads AS
SELECT a.id,
       a.name,
       jsonb_build_object(
           'name', a.name,
           'password_hash', a.password_hash,
           'enabled', a.enabled,
           -- Reseller linking arrives with PRODUCT.md §8.
           'linked', false
       ) AS payload
FROM accounts a;

CREATE FUNCTION dnsd_apply_host_states(states jsonb) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    s record;
    merged jsonb;
    seq bigint;
    applied integer := 0;
BEGIN
    -- The feed lock control takes too (control/src/db/feed.rs): sequence
    -- order stays commit order.
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
        WHERE h.name = s.name;
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
        FROM hosts h
        WHERE h.name = s.name AND t.host_id = h.id;

        SELECT p.payload INTO merged FROM dnsd_host_payloads p WHERE p.name = s.name;
        INSERT INTO change_feed (kind, payload) VALUES ('host.state', merged) RETURNING change_feed.seq INTO seq;
        PERFORM pg_notify('spdyn_feed', seq::text);
        applied := applied + 1;
    END LOOP;
    RETURN applied;
END;
$$;
