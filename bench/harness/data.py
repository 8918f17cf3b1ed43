"""Deterministic benchmark data: one zone, one query file, update files.

Every server gets the same hosts and the same queries. The data depends only
on the host count (and FORMAT_VERSION), so it is generated once per host count
and reused from the results directory.

Host i is `h<i>.<ZONE>`, with an A record from 100.64.0.0/10 and, for every
second host, an AAAA from 2001:db8::/32. These are record data only: no
traffic ever goes to them (everything the benchmark sends goes to 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import json
import random
from dataclasses import dataclass
from pathlib import Path

ZONE = "bench.example"
NS = ("ns1.example.net.", "ns2.example.net.")
HOSTMASTER = "hostmaster.example.net"
HOST_TTL = 60
NEGATIVE_TTL = 60
SOA_TTL = 3600

# Bump when the generated files change shape, so stale caches are rebuilt.
FORMAT_VERSION = 2

V4_BASE = int(ipaddress.IPv4Address("100.64.0.0"))
V4_SPAN = 1 << 22  # 100.64.0.0/10
V6_BASE = int(ipaddress.IPv6Address("2001:db8::"))

# Query mix from the issue: 80 % A of existing hosts, 10 % AAAA of hosts that
# have one, 10 % names that do not exist (NXDOMAIN).
MIX_A, MIX_AAAA = 0.80, 0.10


def host_name(i: int) -> str:
    return f"h{i}.{ZONE}"


def host_index(name: str) -> int:
    """The i of `host_name(i)`."""
    return int(name[1 : name.index(".")])


def has_aaaa(i: int) -> bool:
    return i % 2 == 0


def wire_name(name: str) -> bytes:
    """A name in DNS wire format."""
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def ipv4(i: int, generation: int = 0) -> str:
    """Address of host i after `generation` updates (0 = as loaded).

    Each generation moves every host to a different address, so an update
    that sets generation g+1 is always a change.
    """
    return str(ipaddress.IPv4Address(V4_BASE + (i + generation * 1_000_003) % V4_SPAN))


def ipv6(i: int) -> str:
    return str(ipaddress.IPv6Address(V6_BASE + i))


@dataclass(frozen=True)
class Dataset:
    hosts: int
    dir: Path

    @property
    def zone_file(self) -> Path:
        return self.dir / f"{ZONE}.zone"

    @property
    def csv_file(self) -> Path:
        """`hostname,ipv4,ipv6` for `dnsd host import`."""
        return self.dir / "hosts.csv"

    @property
    def query_file(self) -> Path:
        """dnsperf input: `name type` per line."""
        return self.dir / "queries.txt"

    @property
    def probe(self) -> tuple[str, str]:
        """A host and its address, asked to tell a server is serving the zone."""
        last = self.hosts - 1
        return host_name(last), ipv4(last)


def dataset(root: Path, hosts: int) -> Dataset:
    """Returns the dataset for `hosts`, generating it if missing or stale."""
    ds = Dataset(hosts, (root / f"data-{hosts}").resolve())
    stamp = ds.dir / "stamp.json"
    want = {"version": FORMAT_VERSION, "hosts": hosts}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return ds
    ds.dir.mkdir(parents=True, exist_ok=True)
    _write_zone(ds)
    _write_csv(ds)
    _write_queries(ds)
    stamp.write_text(json.dumps(want))
    return ds


def _write_zone(ds: Dataset) -> None:
    with ds.zone_file.open("w") as out:
        out.write(f"$ORIGIN {ZONE}.\n$TTL {SOA_TTL}\n")
        # Serial 1; refresh/retry/expire/minimum as dnsd's defaults.
        out.write(f"@ SOA {NS[0]} {HOSTMASTER}. 1 3600 600 1209600 {NEGATIVE_TTL}\n")
        for ns in NS:
            out.write(f"@ NS {ns}\n")
        for i in range(ds.hosts):
            out.write(f"h{i} {HOST_TTL} A {ipv4(i)}\n")
            if has_aaaa(i):
                out.write(f"h{i} {HOST_TTL} AAAA {ipv6(i)}\n")


def _write_csv(ds: Dataset) -> None:
    with ds.csv_file.open("w") as out:
        out.write("hostname,ipv4,ipv6\n")
        for i in range(ds.hosts):
            out.write(f"{host_name(i)},{ipv4(i)},{ipv6(i) if has_aaaa(i) else ''}\n")


def _write_queries(ds: Dataset) -> None:
    # At least 100k queries so dnsperf does not cycle through a tiny set, and
    # one per host at 1M so the whole table is touched (cache effects count).
    count = max(100_000, ds.hosts)
    rng = random.Random(20240601 + ds.hosts)
    with ds.query_file.open("w") as out:
        for n in range(count):
            roll = rng.random()
            if roll < MIX_A:
                out.write(f"{host_name(rng.randrange(ds.hosts))} A\n")
            elif roll < MIX_A + MIX_AAAA:
                # Even hosts have AAAA.
                i = 2 * rng.randrange((ds.hosts + 1) // 2)
                out.write(f"{host_name(i)} AAAA\n")
            else:
                out.write(f"nx{n}.{ZONE} A\n")


# Update k of a spread sequence goes to host (k * SPREAD) mod hosts: a
# prime, so consecutive updates land far apart in the table.
SPREAD = 7919


def knot_update_file(
    ds: Dataset, path: Path, count: int, generation: int = 1, spread: bool = False
) -> Path:
    """dnsperf -u input: each message replaces one host's A record.

    Message k updates host k mod hosts (with `spread`, the host the dyndns2
    generator of `updates.py` updates k-th), so consecutive updates touch
    different hosts and every one changes the address (as a dyndns2 update
    would).
    """
    with path.open("w") as out:
        for k in range(count):
            i = (k * SPREAD if spread else k) % ds.hosts
            gen = generation + k // ds.hosts
            out.write(f"{ZONE}\n")
            out.write(f"delete {host_name(i)} A\n")
            out.write(f"add {host_name(i)} {HOST_TTL} A {ipv4(i, gen)}\n")
            out.write("send\n")
    return path
