"""The four servers under test, each started the same way.

Every server runs from its own state directory under the run's temp dir,
listens only on 127.0.0.1 on a free high port, is pinned to core 0 and lives
in its own CPU cgroup (quota off until a capacity run turns it on). A server
is "up" when it gives the correct answer for the zone's last host: that is
also how startup time is measured, the same way for all of them.
"""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

from . import data, system
from .dnsclient import Resolver


class Server:
    name = "?"
    # Shown in tables; filled with the version the binary reports.
    version = ""

    def __init__(self, root: Path, ds: data.Dataset, log):
        self.dir = root / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ds = ds
        self.log = log
        self.port = system.free_port()
        self.proc: subprocess.Popen | None = None
        self.cgroup = system.make_cgroup(self.name)
        self.startup_s: float | None = None

    # -- to implement -------------------------------------------------------
    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Writes config and state; may start and stop the server (dnsd import)."""

    # -- common ---------------------------------------------------------------
    def start(self, timeout: float = 300.0, probe: tuple[str, str] | None = None) -> float:
        """Starts the server and returns seconds until its first correct answer
        (`probe`: a name and the address it must have; the dataset's last host
        as loaded by default)."""
        logfile = (self.dir / "server.log").open("ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            preexec_fn=system.pin_and_join(self.cgroup, system.SERVER_CORE),
        )
        logfile.close()
        name, want = probe or self.ds.probe
        resolver = Resolver(self.port)
        try:
            ok = system.wait_until(
                lambda: self._alive() and resolver.ask(name) == [want], timeout, 0.002
            )
        finally:
            resolver.close()
        if not ok:
            tail = (self.dir / "server.log").read_text(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"{self.name} did not answer {name} correctly:\n{tail}")
        self.startup_s = time.monotonic() - t0
        return self.startup_s

    def _alive(self) -> bool:
        if self.proc and self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.proc.returncode}: "
                + (self.dir / "server.log").read_text(errors="replace")[-2000:]
            )
        return True

    def pids(self) -> list[int]:
        assert self.proc
        return self.cgroup.pids(self.proc.pid)

    def cpu_seconds(self) -> float:
        return system.cpu_seconds(self.pids())

    def memory(self) -> system.Memory:
        return system.memory(self.pids())

    def restart(self, crash: bool = False) -> float:
        """Stops the server (with SIGKILL when `crash`) and starts it again; it
        is up when the dataset's last host answers what it answered before
        (updates may have moved it, and what was acknowledged must stay)."""
        name = self.ds.probe[0]
        resolver = Resolver(self.port)
        try:
            before = resolver.ask(name)
        finally:
            resolver.close()
        if crash:
            self.crash()
        else:
            self.stop()
        return self.start(probe=(name, before[0]) if before else None)

    def crash(self) -> None:
        """SIGKILL to the server's process group: no chance to save anything."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        system.wait_until(lambda: not self.cgroup.members(), 5, 0.05)
        self.proc = None

    def stop(self) -> None:
        """SIGTERM to the server's own process group (it was started with
        setsid), SIGKILL after 15 s. Only ever our own child's group."""
        if not self.proc or self.proc.poll() is not None:
            self.proc = None
            return
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        # Forked children (NSD) may outlive the parent for a moment.
        system.wait_until(lambda: not self.cgroup.members(), 5, 0.05)
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.cgroup.remove()


class Floor(Server):
    name = "floor"

    def __init__(self, root, ds, log, binary: Path):
        self.binary = binary
        super().__init__(root, ds, log)
        self.version = "recvmmsg/sendmmsg, QR flip"

    def command(self):
        return [str(self.binary), "--listen", f"127.0.0.1:{self.port}"]

    def start(self, timeout: float = 30.0) -> float:
        # The floor answers with the query itself, so "correct" is any reply.
        logfile = (self.dir / "server.log").open("ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            preexec_fn=system.pin_and_join(self.cgroup, system.SERVER_CORE),
        )
        logfile.close()
        resolver = Resolver(self.port)
        try:
            if not system.wait_until(
                lambda: self._alive() and resolver.ask("probe." + data.ZONE) is not None, timeout
            ):
                raise RuntimeError("floor did not answer")
        finally:
            resolver.close()
        self.startup_s = time.monotonic() - t0
        return self.startup_s


class Dnsd(Server):
    name = "dnsd"
    ADMIN_SECRET = "bench-admin-secret-of-at-least-32-characters"
    # Response rate limiting off, as in the peers' setups.
    RRL = "[dns.rrl]\nenabled = false\n"

    def __init__(self, root, ds, log, binary: Path, transfers: bool = False):
        self.binary = binary
        # Serving transfers keeps an IXFR history: only when they are measured.
        self.transfers = '[[zone.allow_transfer]]\naddress = "127.0.0.1"\n' if transfers else ""
        super().__init__(root, ds, log)
        self.http_port = system.free_port()
        self.admin_port = system.free_port()
        self.config = self.dir / "dnsd.toml"
        # Every update token made so far (they are shown only once).
        self.tokens: dict[str, str] = {}
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
        self.version = out.stdout.strip()

    def command(self):
        return [str(self.binary), "--config", str(self.config), "run"]

    def cli(self, *args: str, timeout: float = 3600) -> str:
        out = subprocess.run(
            [str(self.binary), "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"dnsd {' '.join(args)} failed: {out.stderr[-2000:]}")
        return out.stdout

    def config_text(self, extra: str = "") -> str:
        # Abuse limits are for routers, not for a load generator hammering
        # every host: switch them out of the way (documented in bench/README).
        return (
            f"""
[store]
path = "state"

[dns]
listen = ["127.0.0.1:{self.port}"]
udp_workers = 1

{self.RRL}
[[zone]]
name = "{data.ZONE}"
ns = {list(data.NS)!r}
hostmaster = "{data.HOSTMASTER}"
ttl = {data.SOA_TTL}
negative_ttl = {data.NEGATIVE_TTL}
host_ttl = {data.HOST_TTL}
{self.transfers}
[update]
listen = ["127.0.0.1:{self.http_port}"]
max_connections_per_source = 1000000

[update.abuse]
min_change_interval_secs = 0
nochg_limit = 1000000000
auth_fail_limit = 1000000000
host_auth_fail_limit = 1000000000
checkip_per_minute = 1000000000

[admin]
listen = "127.0.0.1:{self.admin_port}"
secret = "{self.ADMIN_SECRET}"

[log]
filter = "warn,dnsd=info,spdyn::listen=info"
{extra}""".replace("'", '"')
        )

    def prepare(self) -> None:
        self.config.write_text(self.config_text())
        # One UDP worker, as Knot and NSD get one; every load connection
        # comes from one address. Older dnsd builds without these keys
        # reject them (unknown field): drop them for them.
        if subprocess.run(
            [str(self.binary), "--config", str(self.config), "check-config"], capture_output=True
        ).returncode != 0:
            text = self.config.read_text()
            for key in ("udp_workers = 1\n", "max_connections_per_source = 1000000\n", Dnsd.RRL):
                text = text.replace(key, "")
            self.config.write_text(text)
            self.cli("check-config")
        # Load the hosts once through the real import path, then stop: the
        # measured start is a restart from a populated store, as in production.
        t0 = time.monotonic()
        logfile = (self.dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            preexec_fn=system.pin_and_join(self.cgroup, system.SERVER_CORE),
        )
        logfile.close()
        if not system.wait_until(
            lambda: self._alive() and "dnsd ready" in (self.dir / "server.log").read_text(), 60
        ):
            raise RuntimeError("dnsd did not become ready")
        self.cli("host", "import", str(self.ds.csv_file))
        self.import_s = time.monotonic() - t0
        self.log(f"dnsd: imported {self.ds.hosts} hosts in {self.import_s:.1f} s")
        self.stop()

    def change_address(self, i: int, generation: int) -> None:
        """One dyndns2 update of host `i`, as a router sends it (first call
        exchanges the host's token); returns once it answered `good`."""
        name = data.host_name(i)
        auth = base64.b64encode(f"{name}:{self.token(i)}".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.request(
                "GET",
                f"/nic/update?hostname={name}&myip={data.ipv4(i, generation)}",
                headers={"Authorization": f"Basic {auth}"},
            )
            body = conn.getresponse().read().decode()
        finally:
            conn.close()
        if not body.startswith("good"):
            raise RuntimeError(f"dnsd update of {name} answered {body!r}")

    def token(self, i: int) -> str:
        """Host `i`'s update token (exchanged through the CLI the first time)."""
        name = data.host_name(i)
        if name not in self.tokens:
            self.tokens[name] = self.cli("host", "token", name).strip().splitlines()[-1]
        return self.tokens[name]

    def export_tokens(self) -> dict[str, str]:
        """Creates a token for every host without one; returns hostname ->
        token for every host and writes them all to `tokens.csv`."""
        new = self.dir / "tokens-new.csv"
        self.cli("tokens", "export", "--out", str(new))
        for line in new.read_text().splitlines()[1:]:
            host, _, token = line.partition(",")
            self.tokens[host] = token
        new.unlink()
        lines = ["hostname,token", *(f"{host},{token}" for host, token in self.tokens.items())]
        (self.dir / "tokens.csv").write_text("\n".join(lines) + "\n")
        return dict(self.tokens)


class DnsdRrl(Dnsd):
    """dnsd with response rate limiting on, at limits the single dnsperf
    source never reaches: every answer is accounted, none is limited, so the
    difference to `dnsd` is the cost of the accounting."""

    name = "dnsd-rrl"
    RRL = "[dns.rrl]\nenabled = true\nrate = 1000000\nlarge_rate = 1000000\n"


class Knot(Server):
    name = "knot"

    def __init__(self, root, ds, log):
        super().__init__(root, ds, log)
        out = subprocess.run([system.which("knotd"), "--version"], capture_output=True, text=True)
        self.version = out.stdout.strip().split("\n")[0]

    def command(self):
        return [system.which("knotd"), "-c", str(self.dir / "knot.conf")]

    def prepare(self) -> None:
        (self.dir / "db").mkdir(exist_ok=True)
        # The zone file is read in place; journal and timers live in the temp
        # dir (on disk, not tmpfs) so updates pay for durability as in production.
        # zonefile-sync -1: changes stay in the journal and the 100k-line zone
        # file is not rewritten after every update (the usual DDNS setup).
        # journal-db-mode robust (Knot's default, stated): the journal's LMDB
        # syncs each transaction, as dnsd's journal does each group.
        # No mod-rrl: response rate limiting is off.
        (self.dir / "knot.conf").write_text(
            f"""
server:
    rundir: "{self.dir}"
    listen: 127.0.0.1@{self.port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

log:
  - target: stderr
    any: warning

database:
    storage: "{self.dir}/db"
    journal-db-mode: robust

acl:
  - id: bench_update
    address: 127.0.0.1
    action: update
  - id: bench_transfer
    address: 127.0.0.1
    action: transfer

template:
  - id: default
    storage: "{self.ds.dir}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    semantic-checks: off

zone:
  - domain: {data.ZONE}
    acl: [bench_update, bench_transfer]
"""
        )


    def change_address(self, i: int, generation: int) -> None:
        """One RFC 2136 update of host `i`'s A record; returns once Knot
        answered NOERROR (the change is in its journal and zone)."""
        zone, name = data.wire_name(data.ZONE), data.wire_name(data.host_name(i))
        a, n_in, any_class, soa = 1, 1, 255, 6
        message = struct.pack(">HHHHHH", 0x2136, 5 << 11, 1, 0, 2, 0)
        message += zone + struct.pack(">HH", soa, n_in)
        message += name + struct.pack(">HHIH", a, any_class, 0, 0)  # delete the A RRset
        addr = socket.inet_aton(data.ipv4(i, generation))
        message += name + struct.pack(">HHIH", a, n_in, data.HOST_TTL, len(addr)) + addr
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.sendto(message, ("127.0.0.1", self.port))
            reply = sock.recv(512)
        rcode = reply[3] & 0x0F
        if reply[:2] != message[:2] or rcode:
            raise RuntimeError(f"Knot refused the update of {data.host_name(i)} (rcode {rcode})")


class Nsd(Server):
    name = "nsd"

    def __init__(self, root, ds, log):
        super().__init__(root, ds, log)
        out = subprocess.run([system.which("nsd"), "-v"], capture_output=True, text=True)
        self.version = (out.stdout + out.stderr).strip().split("\n")[0]

    def command(self):
        # -d: stay in the foreground (it still forks its server and xfrd).
        return [system.which("nsd"), "-d", "-c", str(self.dir / "nsd.conf")]

    def prepare(self) -> None:
        # database "": no nsd.db, the zone file is parsed at start (NSD's
        # recommended mode since 4.x). minimal-responses: no NS RRset in the
        # authority section of positive answers, as dnsd and Knot send.
        # rrl-ratelimit 0 + whitelist 0: rate limiting fully off.
        # Receive buffers: NSD 4.6 has no option for it (it forces its own
        # size), nor has Knot; the run records what each socket got.
        (self.dir / "nsd.conf").write_text(
            f"""
server:
    ip-address: 127.0.0.1@{self.port}
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{self.dir}"
    database: ""
    zonelistfile: "{self.dir}/zone.list"
    xfrdfile: "{self.dir}/xfrd.state"
    xfrdir: "{self.dir}"
    pidfile: "{self.dir}/nsd.pid"
    logfile: "{self.dir}/nsd.log"
    verbosity: 0
    minimal-responses: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    tcp-count: 10

remote-control:
    control-enable: no

zone:
    name: {data.ZONE}
    zonefile: "{self.ds.zone_file}"
"""
        )
