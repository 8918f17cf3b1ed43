"""control as the system under test: a private PostgreSQL cluster, the schema, and `control serve`.

The cluster is made the way scripts/up.sh's control makes one (`control postgres start`, durable:
fsync on, unlike the tests' `--fast` clusters, since the outbox drain and the feed pay for it in
production; PostgreSQL runs as the `postgres` user when we are root); `control serve` applies the
migrations and creates the first administrator on its first start, printing the password once on
stdout. Both run pinned to the server core by default (`core`), so a load generator on the other
core never takes their CPU and they never take its: the figures are what one core serves.

Tenants with many hosts are made in bulk SQL (`add_tenant`), but in the shape control gives them:
as the application role `spdyn_app` in the tenant's row-level-security scope, with the feed lock
taken first and one `host.upsert` change-feed entry per host (what dnsd follows), so a dnsd syncing
from this database sees what it would see had control made every host. An account that can sign
in is made through the portal's own sign-up form, so its argon2id hash is control's. Host names and
token hashes are unique across tenants: each tenant with hosts h0, h1, … needs a zone of its own
(`extra_zones`, by default SECOND_ZONE besides the main one), and tokens outside the main zone carry
the zone (`Stack.token`).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

from . import system

# The advisory lock every transaction that appends to the change feed takes
# first (control/src/db/scope.rs FEED_LOCK, "spdynf"): seq order = commit order.
FEED_LOCK = 0x7370_6479_6E66
# What control stores as the hash of an account that has no password yet
# (control/src/db/accounts.rs NO_PASSWORD): nothing verifies against it.
NO_PASSWORD = "!"
# Account names as control accepts them (domain::accounts::AccountName).
ACCOUNT_NAME = re.compile(r"^[a-z0-9._@-]{2,64}$")
ZONE_NAME = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
# Scopes of the API tokens made for the bench: reading is all it does.
API_SCOPES = ["read:hosts", "read:account"]
START_TIMEOUT = 120.0
# A second zone control offers by default, so a second tenant with hosts h0, h1, … (the portal
# bench's, portal.py) can live beside the dataset's in the main zone.
SECOND_ZONE = "portal.example"


def host_address(i: int) -> str:
    """The A record add_tenant gives host h<i>: 10.0.0.1 + i (deterministic, in 10/8)."""
    return str(ipaddress.IPv4Address(0x0A00_0001 + i % 0xFF_FFFE))


class HttpAnswer:
    """One HTTP answer, read whole (the harness's own small requests only; load comes from wrk)."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """name -> value of every Set-Cookie (a cleared one maps to "")."""
        out = {}
        for k, v in self.headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                out[name.strip()] = rest.split(";", 1)[0]
        return out

    def text(self) -> str:
        return self.body.decode(errors="replace")


def request(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> HttpAnswer:
    """One request without following redirects (a sign-in answers 303 with its cookie)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return HttpAnswer(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def form_csrf(base: str, path: str) -> tuple[str, str]:
    """GETs a form page before sign-in; returns (form cookie header, CSRF token). Forms before
    sign-in carry HMAC(key, nonce) with the nonce in the `spdyn_form` cookie (auth/form_key.rs):
    the pair stays valid for every POST made with that cookie, so a load run can reuse it."""
    page = request(base, "GET", path)
    if page.status != 200:
        raise RuntimeError(f"GET {path} answered {page.status}")
    nonce = page.cookies().get("spdyn_form")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text())
    if not nonce or not m:
        raise RuntimeError(f"GET {path}: no form cookie or CSRF field")
    return f"spdyn_form={nonce}", m.group(1)


def post_form(base: str, path: str, fields: dict[str, str], cookie: str) -> HttpAnswer:
    body = urllib.parse.urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return request(base, "POST", path, body, headers)


def sign_in(base: str, name: str, password: str) -> str:
    """Signs in through the portal's form (GET /login for the CSRF token, POST /login);
    returns the session's Cookie header value."""
    cookie, csrf = form_csrf(base, "/login")
    answer = post_form(base, "/login", {"name": name, "password": password, "csrf": csrf}, cookie)
    session = answer.cookies().get("spdyn_session")
    if answer.status != 303 or not session:
        raise RuntimeError(f"sign-in of {name} answered {answer.status}: {answer.text()[:300]}")
    return f"spdyn_session={session}"


class Stack:
    """A private PostgreSQL cluster (`control postgres start --dir`), the schema (applied by
    `control serve` at start, as in production) and `control serve` on a free 127.0.0.1 port."""

    def __init__(
        self,
        root: Path,
        control_bin: Path,
        log,
        zone: str,
        core: int | None = system.SERVER_CORE,
        extra_zones: tuple[str, ...] = (SECOND_ZONE,),
    ):
        self.root = Path(root)
        self.control_bin = Path(control_bin)
        self.log = log
        self.zone = zone.lower().rstrip(".")
        # Every zone control offers. Host names are unique across tenants (hosts_name_key), and
        # add_tenant names hosts h0, h1, …: two tenants need two zones.
        extra = (z.lower().rstrip(".") for z in extra_zones)
        self.zones = list(dict.fromkeys([self.zone, *extra]))
        for z in self.zones:
            if not ZONE_NAME.match(z):
                raise ValueError(f"{z!r} is not a zone name")
        # None: unpinned. Else control, the cluster and every process they start run on this core
        # (affinity is inherited), and control sizes its runtime and argon2 slots to it.
        self.core = core
        self.pg_dir = self.root / "postgres"
        self.config = self.root / "control.toml"
        self.stdout_file = self.root / "control.out"
        self.log_file = self.root / "control.log"
        self.proc: subprocess.Popen | None = None
        self.cluster_started = False
        self.db_url = ""
        self.control_url = ""
        self.admin_name = ""
        self.admin_password = ""
        # Accounts made by add_tenant with a password (the API token comes from signing in).
        self.passwords: dict[str, str] = {}
        self.version = ""

    # -- start and stop ---------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        """Our environment without control's overrides: the config file is the whole truth."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL__")}
        env.pop("CONTROL_CONFIG", None)
        env.pop("RUST_LOG", None)
        env["RUST_BACKTRACE"] = "0"  # an error is one line, not a backtrace
        return env

    def _preexec(self):
        core = self.core

        def setup() -> None:
            if core is not None:
                os.sched_setaffinity(0, {core})
            os.setsid()  # own process group: close() signals exactly ours

        return setup

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # As root, PostgreSQL runs as `postgres`, which must be able to enter the cluster directory
        # (and every directory above it: control's error names the one it cannot).
        self.root.chmod(self.root.stat().st_mode | 0o711)
        out = subprocess.run([str(self.control_bin), "--version"], capture_output=True, text=True)
        self.version = out.stdout.strip()
        t0 = time.monotonic()
        out = subprocess.run(
            [str(self.control_bin), "postgres", "start", "--dir", str(self.pg_dir)],
            capture_output=True, text=True, env=self._env(), preexec_fn=self._preexec(), timeout=180,
        )  # fmt: skip
        self.cluster_started = True  # even a failed start may have left a server: close() stops it
        if out.returncode != 0:
            raise RuntimeError(f"control postgres start failed: {(out.stderr or out.stdout)[:2000]}")
        urls = [l for l in out.stdout.split() if l.startswith("postgres://")]
        if not urls:
            raise RuntimeError(f"control postgres start printed no URL: {out.stdout[-500:]}")
        self.db_url = urls[-1]
        self.log(f"control: PostgreSQL cluster up in {time.monotonic() - t0:.1f} s")
        self._write_config()
        self._spawn()

    def _write_config(self) -> None:
        # Lifted for the load test, each with why (everything else is control's default):
        # - http.max_connections_per_source (default 256): every simulated client of the bench
        #   comes from 127.0.0.1, while real ones come from many addresses; the sign-in run holds
        #   220 connections at once and a new one while the last run's are still closing would be
        #   refused.
        # - accounts.signin_failures_per_account / _per_source (default 5 / 20): the throttle
        #   counts attempts *in flight* too, so 200 concurrent sign-ins of one account from one
        #   address would be refused (429) after the first 5: the run would measure the throttle.
        # Not lifted: the argon2 slots (one per CPU, auth/password.rs), which bound sign-ins/s and
        # are what the sign-in run measures; the database pool (10, the default).
        text = f"""
data_dir = "control"

[http]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1"
max_connections = 4096
max_connections_per_source = 100000

[database]
url = "{self.db_url}"
max_connections = 10

[hosts]
zones = {json.dumps(self.zones)}
default_ttl = 60
update_url = "http://127.0.0.1/nic/update"

[accounts]
signup = true
default_host_quota = 5
first_admin = "admin"
first_admin_email = "admin@example.net"
signin_failures_per_account = 1000000000
signin_failures_per_source = 1000000000
signin_window_minutes = 15

[mail]
from = "spdyn <noreply@example.net>"
mail_dir = "control/mail"

[log]
format = "text"
filter = "info,sqlx=warn"
"""
        fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)

    def _spawn(self) -> None:
        t0 = time.monotonic()
        with self.stdout_file.open("ab") as stdout, self.log_file.open("ab") as stderr:
            self.proc = subprocess.Popen(
                [str(self.control_bin), "--config", str(self.config), "serve"],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=self.root,
                env=self._env(), preexec_fn=self._preexec(),
            )  # fmt: skip

        def ready() -> bool:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"control exited with {self.proc.returncode}:\n{self._tail()}")
            return "control ready" in self.log_file.read_text(errors="replace")

        if not system.wait_until(ready, START_TIMEOUT, 0.05):
            raise RuntimeError(f"control did not become ready in {START_TIMEOUT:.0f} s:\n{self._tail()}")
        text = self.log_file.read_text(errors="replace")
        m = re.findall(r"listening service=control-http addr=(\S+)", text)
        if not m:
            raise RuntimeError(f"control named no control-http address:\n{self._tail()}")
        self.control_url = f"http://{m[-1]}"
        # Printed once, on the first start (startup.rs): "first admin created (shown only now):
        # name=admin password=…". stdout is a file: it may land a moment after the ready line.
        def admin() -> re.Match | None:
            return re.search(r"first admin created.*name=(\S+) password=(\S+)", self.stdout_file.read_text())

        if not self.admin_name:
            if not system.wait_until(lambda: admin() is not None, 5, 0.05):
                raise RuntimeError("control printed no first administrator")
            self.admin_name, self.admin_password = admin().groups()
        self.log(f"control: serving {self.control_url} ({time.monotonic() - t0:.1f} s, migrations included)")

    def _tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """control's process (for CPU accounting; the cluster's processes are not included)."""
        return [self.proc.pid] if self.proc and self.proc.poll() is None else []

    def postgres_pids(self) -> list[int]:
        """The cluster's processes: the postmaster (first line of postmaster.pid) and its children."""
        try:
            master = int((self.pg_dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True)
        return [master, *(int(p) for p in out.stdout.split())]

    def close(self) -> None:
        """Stops control (SIGTERM to its own process group, SIGKILL after 15 s), then the cluster.
        Safe to call after a failed start, and twice."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.proc = None
        if self.cluster_started:
            out = subprocess.run(
                [str(self.control_bin), "postgres", "stop", "--dir", str(self.pg_dir)],
                capture_output=True, text=True, env=self._env(), timeout=120,
            )  # fmt: skip
            if out.returncode != 0:
                self.log(f"warning: control postgres stop failed: {(out.stderr or out.stdout)[-500:]}")
            else:
                self.cluster_started = False

    # -- SQL --------------------------------------------------------------------------------------
    def psql(self, sql: str, variables: dict[str, str] | None = None) -> str:
        """Runs SQL (one or more statements, psql meta-commands allowed) as the superuser; returns
        stdout (-At: tuples only, unaligned). Stops at the first error and raises with it."""
        cmd = ["/usr/bin/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.db_url, "-f", "-"]
        for k, v in (variables or {}).items():
            cmd += ["-v", f"{k}={v}"]
        out = subprocess.run(cmd, input=sql, capture_output=True, text=True, env=self._env())
        if out.returncode != 0:
            raise RuntimeError(f"psql failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
        return out.stdout

    # -- tenants ----------------------------------------------------------------------------------
    def add_tenant(self, account: str, password: str | None, hosts: int, zone: str) -> int:
        """A standalone account (its own tenant, as a sign-up makes) with `hosts` hosts h<i>.<zone>
        for i in 0 … hosts-1, each enabled, TTL 60, A record host_address(i) and update token
        self.token(i, zone) — f"tok{i}" in the main zone (stored as its SHA-256, as control and
        dnsd do). Returns the tenant id.

        With a password the account is made by the portal's sign-up form (control hashes it with
        argon2id), else in SQL with control's "no password yet" hash. The tenant's host quota is
        raised to fit (the operator's action, db::tenants::set_quota), then the hosts are inserted
        in one transaction in the tenant's scope as spdyn_app — row-level security checks every
        row — with one host.upsert feed entry each, from the view control publishes from."""
        if not ACCOUNT_NAME.match(account):
            raise ValueError(f"{account!r} is not an account name control accepts")
        zone = zone.lower().rstrip(".")
        if zone not in self.zones:
            raise ValueError(f"zone {zone} is not one of control's ({', '.join(self.zones)})")
        taken = self.psql("SELECT count(*) FROM hosts WHERE name = 'h0.' || :'zone';", {"zone": zone})
        if hosts > 0 and int(taken) > 0:
            raise ValueError(
                f"h0.{zone} exists already (another tenant's): host names are unique, so give each "
                f"tenant its own zone (Stack(..., extra_zones=...))"
            )
        t0 = time.monotonic()
        if password is not None:
            self._signup(account, password)
            self.passwords[account] = password
        else:
            self._insert_account(account)
        tenant = int(self.psql(
            "SELECT tenant_id FROM accounts WHERE kind = 'standalone' AND name = :'account';",
            {"account": account},
        ).strip())  # fmt: skip
        if hosts > 0:
            self._insert_hosts(tenant, hosts, zone)
        self.log(f"control: tenant {tenant} ({account}) with {hosts} hosts in {time.monotonic() - t0:.1f} s")
        return tenant

    def _signup(self, account: str, password: str) -> None:
        cookie, csrf = form_csrf(self.control_url, "/signup")
        fields = {"name": account, "email": f"{account}@example.net", "password": password, "csrf": csrf}
        answer = post_form(self.control_url, "/signup", fields, cookie)
        if answer.status != 303:
            raise RuntimeError(f"sign-up of {account} answered {answer.status}: {answer.text()[:500]}")

    def _insert_account(self, account: str) -> None:
        # As db::accounts::create does it: tenant and account in one statement, in the system
        # scope, the account published to the feed (dnsd checks account-mode updates with it).
        self.psql(
            f"""
BEGIN;
SELECT pg_advisory_xact_lock({FEED_LOCK}), set_config('spdyn.scope', 'system', true) \\g /dev/null
SET LOCAL ROLE spdyn_app;
WITH tenant AS (INSERT INTO tenants (name, host_quota) VALUES (:'account', 5) RETURNING id)
INSERT INTO accounts (name, email, password_hash, language, is_admin, kind, tenant_id)
SELECT :'account', :'email', '{NO_PASSWORD}', 'en', false, 'standalone', id FROM tenant
RETURNING id AS account_id \\gset
INSERT INTO change_feed (kind, payload)
SELECT 'account.upsert', payload FROM dnsd_account_rows WHERE id = :account_id
RETURNING seq \\gset
SELECT pg_notify('spdyn_feed', :'seq') \\g /dev/null
COMMIT;
""",
            {"account": account, "email": f"{account}@example.net"},
        )

    def _insert_hosts(self, tenant: int, hosts: int, zone: str) -> None:
        self.psql(
            f"""
BEGIN;
-- The feed lock first, as every transaction that appends to the feed (db/feed.rs).
SELECT pg_advisory_xact_lock({FEED_LOCK}), set_config('spdyn.scope', 'operator', true) \\g /dev/null
SET LOCAL ROLE spdyn_app;
-- The operator raises the quota (db::tenants::set_quota); standalone tenants only.
UPDATE tenants SET host_quota = greatest(host_quota,
        (SELECT count(*) FROM hosts WHERE tenant_id = {tenant}) + {hosts})
 WHERE id = {tenant} AND reseller_id IS NULL;
SELECT set_config('spdyn.scope', 'tenant:{tenant}', true) \\g /dev/null
-- The tenant row locked, as db::hosts::create locks it before counting against the quota.
SELECT host_quota FROM tenants WHERE id = {tenant} FOR UPDATE \\g /dev/null
WITH made AS (
    INSERT INTO hosts (tenant_id, reseller_id, licence_id, name, zone, ttl, wildcard, enabled,
                       ipv4, ipv4_changed_at, updated_at)
    SELECT {tenant}, NULL, NULL, 'h' || i || '.' || :'zone', :'zone', 60, false, true,
           '10.0.0.1'::inet + (i % 16777214), now(), now()
    FROM generate_series(0, {hosts - 1}) AS i
    RETURNING id
)
SELECT min(id) AS lo, max(id) AS hi FROM made \\gset
-- Token of h<i>: self.token(i, zone), stored as SHA-256 of its bytes (common/src/tokens.rs).
INSERT INTO update_tokens (host_id, token_hash)
SELECT id, sha256(convert_to('tok' || substr(split_part(name, '.', 1), 2) || :'token_suffix', 'UTF8'))
FROM hosts WHERE tenant_id = {tenant} AND id BETWEEN :lo AND :hi;
-- One host.upsert per host, in id order, from the one definition of the payload.
WITH published AS (
    INSERT INTO change_feed (kind, payload)
    SELECT 'host.upsert', payload FROM dnsd_host_rows WHERE id BETWEEN :lo AND :hi ORDER BY id
    RETURNING seq
)
SELECT pg_notify('spdyn_feed', max(seq)::text) FROM published \\g /dev/null
COMMIT;
""",
            {"zone": zone, "token_suffix": self._token_suffix(zone)},
        )

    def _token_suffix(self, zone: str) -> str:
        # Token hashes are unique across all hosts (update_tokens_token_hash_key): "tok0" can be
        # one host's only, so hosts of the other zones carry the zone in their tokens.
        zone = zone.lower().rstrip(".")
        return "" if zone == self.zone else f"-{zone}"

    def token(self, i: int, zone: str | None = None) -> str:
        """The update token add_tenant gave h<i> in `zone` (default: the main zone): "tok<i>",
        and "tok<i>-<zone>" in the other zones."""
        return f"tok{i}{self._token_suffix(zone or self.zone)}"

    def api_token(self, account: str) -> str:
        """A bearer token for /api/v1 acting as `account`, scopes read:hosts and read:account.
        An account with a known password signs in for it (POST /api/v1/auth/token, as an API
        client would); else the token is stored the way ops::api_tokens::create stores one:
        `spdyn_` + 256 random bits, SHA-256 in api_tokens, in the account's tenant scope."""
        if account in self.passwords:
            body = json.dumps({
                "name": account, "password": self.passwords[account],
                "token_name": "bench", "scopes": API_SCOPES,
            }).encode()  # fmt: skip
            answer = request(
                self.control_url, "POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"}
            )
            if answer.status != 201:
                raise RuntimeError(f"POST /api/v1/auth/token answered {answer.status}: {answer.text()[:300]}")
            return json.loads(answer.body)["token"]
        token = "spdyn_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        digest = hashlib.sha256(token.encode()).hexdigest()
        scopes = "{" + ",".join(API_SCOPES) + "}"
        made = self.psql(
            """
SELECT tenant_id AS tenant, id AS account_id FROM accounts
 WHERE kind = 'standalone' AND name = :'account' \\gset
BEGIN;
SELECT set_config('spdyn.scope', 'tenant:' || :'tenant', true) \\g /dev/null
SET LOCAL ROLE spdyn_app;
INSERT INTO api_tokens (account_id, name, token_hash, scopes)
VALUES (:account_id, 'bench', decode(:'digest', 'hex'), :'scopes') RETURNING id;
COMMIT;
""",
            {"account": account, "digest": digest, "scopes": scopes},
        )
        if not made.strip():
            raise RuntimeError(f"no API token made for {account}")
        return token
