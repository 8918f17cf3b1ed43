-- Who acted, in parts the portal words in the reader's language: the
-- reseller a reseller user acted for, and the API token (or application)
-- the action came through. `actor` keeps only the account's name.
ALTER TABLE action_log
    ADD COLUMN actor_reseller text,
    ADD COLUMN actor_via text;

-- Entries written before: "name (reseller R)" and "name (API token "x")";
-- `actor_via` is a code: `api:<token name>` or `cli`.
UPDATE action_log
   SET actor_via = 'api:' || substring(actor FROM ' \(API token "(.*)"\)$'),
       actor = regexp_replace(actor, ' \(API token ".*"\)$', '')
 WHERE actor ~ ' \(API token ".*"\)$';
UPDATE action_log
   SET actor_reseller = substring(actor FROM ' \(reseller (.*)\)$'),
       actor = regexp_replace(actor, ' \(reseller .*\)$', '')
 WHERE actor ~ ' \(reseller .*\)$';
UPDATE action_log
   SET actor_via = 'cli',
       actor = regexp_replace(actor, ' \(command line\)$', '')
 WHERE actor ~ ' \(command line\)$';
