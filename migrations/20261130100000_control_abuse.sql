-- Abuse limits of control (issue 21).

-- Per-source limits count an IPv4 address singly and an IPv6 address by its
-- /64 (one subscriber's LAN: a client holds a whole /64 and could otherwise
-- give itself 2^64 fresh budgets). The unit is stored with every entry
-- (`source_net`) and indexed: under row-level security a query may use an
-- index only through leak-proof comparisons, which an expression over
-- `source_addr` is not.
CREATE FUNCTION spdyn_source_net(addr inet) RETURNS inet
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT network(set_masklen(addr, CASE WHEN family(addr) = 6 THEN 64 ELSE 32 END))::inet $$;
ALTER TABLE action_log
    ADD COLUMN source_net inet GENERATED ALWAYS AS (spdyn_source_net(source_addr)) STORED;
DROP INDEX action_log_failure_source_idx;
CREATE INDEX action_log_source_net_idx ON action_log (action, source_net, at);

-- Password-reset requests are limited per account.
CREATE INDEX action_log_account_action_idx ON action_log (action, account_id, at)
    WHERE account_id IS NOT NULL;

-- The log is kept `accounts.log_retention_days`; housekeeping deletes by age.
CREATE INDEX action_log_at_idx ON action_log (at);

-- A session opened by setting the password through a reset link: the 2FA
-- enrolment that follows at once needs no password again (the user just
-- chose it), for a few minutes.
ALTER TABLE sessions ADD COLUMN password_set_at timestamptz;
