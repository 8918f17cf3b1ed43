-- dnsd learns whether an account has 2FA on (issue 21): account-mode
-- updates (name + password) of such an account answer `badauth`, so a
-- password alone never changes its hosts and dnsd is no password oracle for
-- it; its tokens keep working. Never edit this file once landed.

-- The payload gains `two_factor`; the view keeps its columns (id, name,
-- payload) and its caller's rights (security_invoker: REPLACE resets the
-- options it is not given). A credential counts once enrolment is confirmed.
CREATE OR REPLACE VIEW dnsd_account_rows WITH (security_invoker = true) AS
SELECT a.id,
       a.name,
       jsonb_build_object(
           'name', a.name,
           'password_hash', a.password_hash,
           'enabled', a.enabled,
           -- Reseller linking arrives with PRODUCT.md §8.
           'linked', false,
           'two_factor', EXISTS (
               SELECT 1 FROM totp_credentials c
               WHERE c.account_id = a.id AND c.enabled_at IS NOT NULL)
       ) AS payload
FROM accounts a
WHERE a.kind = 'standalone';

-- Accounts that have 2FA on already are published again, so a dnsd that
-- did not know the flag learns it from the feed. The feed lock comes first,
-- as in every transaction that appends (ARCHITECTURE.md, lock order); this
-- runs as the owner, which row-level security binds too: the system scope.
SELECT pg_advisory_xact_lock(126926559211110), -- 0x73706479_6e66, "spdynf"
       set_config('spdyn.scope', 'system', true);
WITH published AS (
    INSERT INTO change_feed (kind, payload)
    SELECT 'account.upsert', r.payload
    FROM dnsd_account_rows r
    WHERE (r.payload ->> 'two_factor')::boolean
    ORDER BY r.id
    RETURNING seq
)
SELECT pg_notify('spdyn_feed', max(seq)::text) FROM published HAVING count(*) > 0;
