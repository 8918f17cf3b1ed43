"""The machine side: CPU cgroups, /proc accounting, pinning, ports, packages."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = int(subprocess.run(["getconf", "CLK_TCK"], capture_output=True, text=True).stdout or 100)

# Cores: the server gets core 0, every load generator core 1 (the setup).
SERVER_CORE = 0
LOAD_CORE = 1


# ---------------------------------------------------------------------------
# CPU cgroups: v1 `cpu` controller (this machine) or v2 `cpu.max`.


class Cgroup:
    """One CPU cgroup per server, so its quota and throttling are its own."""

    def __init__(self, name: str):
        self.name = name
        self.path: Path | None = None

    # Subclasses implement these.
    def create(self) -> None: ...
    def set_quota(self, fraction: float | None) -> None: ...
    def throttling(self) -> tuple[int, int]:
        """(nr_periods, nr_throttled) so far."""
        stat = _read_kv(self.path / "cpu.stat") if self.path else {}
        return stat.get("nr_periods", 0), stat.get("nr_throttled", 0)

    def add_self(self) -> None:
        """Moves the calling process into the group (used in a child before exec)."""
        if self.path:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def members(self) -> list[int]:
        """Processes in the group now (empty without a real cgroup)."""
        if not self.path:
            return []
        return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]

    def pids(self, fallback: int) -> list[int]:
        """Every process in the group (a server may fork, as NSD does)."""
        return self.members() or [fallback]

    def remove(self) -> None:
        if self.path and self.path.exists():
            try:
                self.path.rmdir()
            except OSError:
                pass  # still has processes; the next run reuses it


class CgroupV1(Cgroup):
    ROOT = Path("/sys/fs/cgroup/cpu")
    PERIOD_US = 10_000  # the 10 ms period

    def create(self) -> None:
        self.path = self.ROOT / f"spdyn-bench-{self.name}"
        self.path.mkdir(exist_ok=True)
        (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
        self.set_quota(None)

    def set_quota(self, fraction: float | None) -> None:
        quota = -1 if fraction is None else int(self.PERIOD_US * fraction)
        (self.path / "cpu.cfs_quota_us").write_text(str(quota))


class CgroupV2(Cgroup):
    PERIOD_US = 10_000

    def __init__(self, name: str, root: Path):
        super().__init__(name)
        self.root = root

    def create(self) -> None:
        # The cpu controller must be enabled for children of our parent group.
        try:
            (self.root / "cgroup.subtree_control").write_text("+cpu")
        except OSError:
            pass  # already on, or not allowed (then cpu.max will be missing)
        self.path = self.root / f"spdyn-bench-{self.name}"
        self.path.mkdir(exist_ok=True)
        if not (self.path / "cpu.max").exists():
            raise RuntimeError(f"cgroup v2 at {self.root} has no cpu controller")
        self.set_quota(None)

    def set_quota(self, fraction: float | None) -> None:
        quota = "max" if fraction is None else str(int(self.PERIOD_US * fraction))
        (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")


class NoCgroup(Cgroup):
    """Fallback when no CPU controller is writable: pinning only, no quota."""

    def create(self) -> None:
        self.path = None

    def set_quota(self, fraction: float | None) -> None:
        pass


def cgroup_kind() -> str:
    """'v1', 'v2' or 'none': which CPU controller this machine lets us use."""
    if (CgroupV1.ROOT / "cpu.cfs_quota_us").exists() and os.access(CgroupV1.ROOT, os.W_OK):
        return "v1"
    root = _v2_root()
    if root and "cpu" in (root / "cgroup.controllers").read_text().split():
        return "v2"
    return "none"


def _v2_root() -> Path | None:
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2":
            root = Path(fields[1])
            # Nest under our own group when we are not at the root.
            own = Path("/proc/self/cgroup").read_text().splitlines()
            rel = next((l.split("::", 1)[1] for l in own if l.startswith("0::")), "/")
            parent = root / rel.lstrip("/")
            return parent.parent if rel not in ("", "/") else root
    return None


def make_cgroup(name: str) -> Cgroup:
    kind = cgroup_kind()
    group: Cgroup
    if kind == "v1":
        group = CgroupV1(name)
    elif kind == "v2":
        group = CgroupV2(name, _v2_root())
    else:
        group = NoCgroup(name)
    group.create()
    return group


def _read_kv(path: Path) -> dict[str, int]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            out[key] = int(value)
    return out


# ---------------------------------------------------------------------------
# /proc accounting.


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes (all their threads), in seconds.

    Fields are counted after the `)` that ends the command name, because the
    name itself may contain spaces or parentheses.
    """
    ticks = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # exited
        rest = raw[raw.rindex(")") + 2 :].split()
        # After ")": state(3) ppid(4) ... utime(14) stime(15); rest[0] is field 3.
        ticks += int(rest[14 - 3]) + int(rest[15 - 3])
    return ticks / CLK_TCK


@dataclass
class Memory:
    rss_kib: int  # sum of VmRSS
    hwm_kib: int  # sum of VmHWM (peak RSS)
    pss_kib: int  # sum of Pss: shared pages split between processes
    procs: int

    def as_dict(self) -> dict:
        return {
            "rss_kib": self.rss_kib,
            "hwm_kib": self.hwm_kib,
            "pss_kib": self.pss_kib,
            "procs": self.procs,
        }


def memory(pids: list[int]) -> Memory:
    """Memory of a server's processes.

    For one process Pss ≈ VmRSS. For a forking server (NSD's children share the
    zone with their parent copy-on-write) summing VmRSS counts shared pages
    several times, so Pss is the fair sum; both are kept.
    """
    rss = hwm = pss = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm += int(line.split()[1])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return Memory(rss, hwm, pss, len(pids))


def pin_and_join(group: Cgroup, core: int):
    """A preexec_fn: join the cgroup and pin to `core` before exec, so every
    thread and child the server ever makes is inside both."""

    def setup() -> None:
        group.add_self()
        os.sched_setaffinity(0, {core})
        os.setsid()  # own process group: we can signal the whole server

    return setup


# ---------------------------------------------------------------------------
# Misc.


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (servers bind both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            # Stay clear of the ephemeral range dnsperf's own sockets use.
            return port
    raise RuntimeError("no free port")


def udp_receive_buffer(port: int) -> int | None:
    """The receive buffer the kernel gave the UDP socket on 127.0.0.1:`port`
    (`ss`'s skmem rb), as the server asked for it and net.core.rmem_max let it."""
    out = subprocess.run(
        ["ss", "-lunmH", f"sport = :{port}"], capture_output=True, text=True
    ).stdout
    m = re.search(r"\brb(\d+)", out)
    return int(m.group(1)) if m else None


# What dnsd's 4 MiB request gives (the kernel doubles a requested size).
SERVER_RCVBUF = 8 << 20
RMEM_DEFAULT = Path("/proc/sys/net/core/rmem_default")


def equal_receive_buffers(log) -> int | None:
    """Sets the default UDP receive buffer to what dnsd gets, so a server that
    asks for none (Knot) gets the same; returns the old value to restore.
    NSD 4.6 forces its own 1 MiB (SO_RCVBUFFORCE, no option to change it):
    each run records every server's effective size and the kernel's drops."""
    try:
        old = int(RMEM_DEFAULT.read_text())
        RMEM_DEFAULT.write_text(str(SERVER_RCVBUF))
        return old
    except OSError as e:
        log(f"warning: cannot set {RMEM_DEFAULT} ({e}): receive buffers are each server's own")
        return None


def restore_receive_buffers(old: int | None) -> None:
    if old is not None:
        RMEM_DEFAULT.write_text(str(old))


# command -> Debian package that provides it.
PACKAGES = {
    "dnsperf": "dnsperf",
    "resperf": "dnsperf",
    "knotd": "knot",
    "nsd": "nsd",
    "wrk": "wrk",
    "perf": "linux-perf",
    "taskset": "util-linux",
    "psql": "postgresql-client",
}


def ensure_packages(commands: list[str], log) -> list[str]:
    """Installs the Debian packages for missing commands; returns what is still missing."""
    missing = sorted({PACKAGES[c] for c in commands if not _which(c)})
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing {' '.join(missing)}")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
            env=env,
            capture_output=True,
        )
        stop_distro_services(log)
    return [c for c in commands if not _which(c)]


def _which(command: str) -> str | None:
    return shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")


def which(command: str) -> str:
    path = _which(command)
    if not path:
        raise RuntimeError(f"{command} not found")
    return path


def stop_distro_services(log) -> None:
    """The knot and nsd packages may start their own services on port 53.

    We never use them (our servers run from a temp dir on high ports); stop
    and disable them so they neither take CPU nor answer anything.
    """
    for service in ("knot", "nsd"):
        if shutil.which("systemctl") and Path("/run/systemd/system").exists():
            subprocess.run(["systemctl", "disable", "--now", service], capture_output=True)
        elif shutil.which("service"):
            subprocess.run(["service", service, "stop"], capture_output=True)
    # Anything still running from the distro config (not ours: ours carry -c
    # with a path under the results dir) is reported, not killed blindly.
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            cmd = (pid_dir / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = Path(cmd[0].decode(errors="replace")).name if cmd and cmd[0] else ""
        if name in ("knotd", "nsd") and not any(b"spdyn-bench" in c for c in cmd):
            log(f"warning: a distro {name} (pid {pid_dir.name}) is running; it may take CPU")


def wait_until(predicate, timeout: float, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def cpu_busy_seconds() -> float:
    """All CPUs' non-idle time so far (from /proc/stat), in seconds."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in fields[:8]]  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK


def wait_quiet(log, max_wait: float, threshold: float = 0.15) -> float:
    """Waits (up to max_wait s) until the machine is nearly idle.

    Someone else compiling on a 2-core machine shares core 0 with the server
    and ruins both capacity and latency numbers. Returns the busy cores seen
    in the last sample, so a run can be marked as disturbed.
    """
    deadline = time.monotonic() + max_wait
    warned = False
    while True:
        b0, t0 = cpu_busy_seconds(), time.monotonic()
        time.sleep(0.5)
        busy = (cpu_busy_seconds() - b0) / (time.monotonic() - t0)
        if busy < threshold or time.monotonic() >= deadline:
            if busy >= threshold:
                log(f"warning: machine still busy ({busy:.2f} cores in use); measuring anyway")
            return busy
        if not warned:
            log(f"machine busy ({busy:.2f} cores in use by others); waiting up to {max_wait:.0f} s")
            warned = True


def udp_rcvbuf_errors() -> int:
    """Datagrams the kernel dropped because a socket's receive buffer was full."""
    lines = [l.split() for l in Path("/proc/net/snmp").read_text().splitlines() if l.startswith("Udp:")]
    header, values = lines[0], lines[1]
    return int(values[header.index("RcvbufErrors")])
