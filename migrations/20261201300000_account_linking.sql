-- A dynamic-DNS account linked to a reseller portal user (PRODUCT.md §8):
-- exactly one each way. The column is single-valued (one reseller user per
-- account) and unique (one account per reseller user), so two concurrent
-- link attempts cannot both win. Only standalone accounts link.
ALTER TABLE accounts
    ADD COLUMN linked_reseller_user_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    ADD CONSTRAINT accounts_linked_reseller_user_key UNIQUE (linked_reseller_user_id),
    ADD CONSTRAINT accounts_linked_standalone
        CHECK (linked_reseller_user_id IS NULL OR kind = 'standalone');

-- dnsd refuses account-mode updates (user/password in the URL) of a linked
-- account: its password no longer signs in anywhere.
CREATE OR REPLACE VIEW dnsd_account_rows WITH (security_invoker = true) AS
SELECT a.id,
       a.name,
       jsonb_build_object(
           'name', a.name,
           'password_hash', a.password_hash,
           'enabled', a.enabled,
           'linked', a.linked_reseller_user_id IS NOT NULL,
           'two_factor', EXISTS (
               SELECT 1 FROM totp_credentials c
               WHERE c.account_id = a.id AND c.enabled_at IS NOT NULL)
       ) AS payload
FROM accounts a
WHERE a.kind = 'standalone';
