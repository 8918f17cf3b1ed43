"""dnsd nodes that follow Postgres (`--system`): what a deployment does that
a standalone server does not.

The hosts live in control's database (a private cluster, `stack.Stack`);
every node here is a plain dnsd with `[sync]`, started from an empty store.

- *join*: a new node bootstraps from the database: time from `exec` until
  the last host answers its address, and its memory then (against Knot's at
  the same zone size in the same run).
- *outbox drain*: the node takes dyndns2 updates as fast as wrk sends them
  while a psql session holds the change feed's lock (as if Postgres were
  unreachable: every accepted update waits in the node's outbox); then the
  lock is released and the node catches up. Sampled every 100 ms from
  `/metrics`: confirmed = good answers − pending; the drain rate is
  confirmed updates per second from the release until the outbox is empty.
  Postgres is asked afterwards how many hosts it has with the new
  addresses.
- *feed lag*: four nodes each take 1,000 updates/s of their own quarter of
  the hosts (open loop); meanwhile the harness updates a probe host on one
  node every 100 ms and asks the other three by DNS until each serves the new
  address: the lag is from `good` until the last of them does.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import time
from pathlib import Path

from . import data, load, servers, system, updates
from .dnsclient import Resolver
from .stack import FEED_LOCK, Stack

NODES = 4
# Updates per second each node takes while the feed lag is measured.
NODE_RATE = 1_000
# The probe hosts (h0 .. h<PROBES-1>) belong to no generator.
PROBES = 1_000
# Address generations: the drain's updates, the nodes' streams, the probes.
GEN_DRAIN, GEN_NODES, GEN_PROBE = 5_000, 6_000, 7_000


class FedDnsd(servers.Dnsd):
    """dnsd following the database: no import, an empty store at start."""

    def __init__(self, root: Path, ds: data.Dataset, log, binary: Path, index: int, stack: Stack):
        self.name = f"node{index}"
        self.stack = stack
        super().__init__(root, ds, log, binary)
        self.metrics_port = system.free_port()

    def prepare(self) -> None:
        self.config.write_text(
            self.config_text(
                f'\n[sync]\ndatabase_url = "{self.stack.db_url}"\n\n'
                f'[metrics]\nlisten = "127.0.0.1:{self.metrics_port}"\n'
            )
        )

    def start(self, timeout: float = 600.0, probe: tuple[str, str] | None = None) -> float:
        """Up when the probe answers and the node says it is bootstrapped: the
        last host can answer before the bootstrap's last step, and until that
        step updates are answered 911 (come back later)."""
        t0 = time.monotonic()
        super().start(timeout, probe)
        if not system.wait_until(lambda: self.metrics().get("spdyn_sync_bootstrapped") == 1, timeout, 0.002):
            raise RuntimeError(f"{self.name} answered but did not finish its bootstrap")
        self.startup_s = time.monotonic() - t0
        return self.startup_s

    def metrics(self) -> dict[str, float]:
        """The node's unlabelled metrics, plus `good` (updates answered good)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            key, _, value = line.rpartition(" ")
            if "{" not in key:
                out[key] = float(value)
            elif key.startswith("spdyn_updates_total{") and 'code="good"' in key:
                out["good"] = out.get("good", 0.0) + float(value)
        return out

    def token(self, i: int) -> str:
        return self.stack.token(i)


def bench(
    args, binaries: dict[str, Path], stack: Stack, ds: data.Dataset, root: Path, runs: Path, log, knot_rss_kib
) -> dict:
    """Every measurement above at the dataset's size, against a started
    `stack`; `knot_rss_kib`: Knot's RSS with the same zone in this run (None
    without Knot)."""
    res: dict = {"hosts": ds.hosts}
    nodes: list[FedDnsd] = []
    try:
        t0 = time.monotonic()
        stack.add_tenant("fleet", None, ds.hosts, data.ZONE)
        res["seed_s"] = time.monotonic() - t0
        log(f"system: {ds.hosts} hosts in Postgres in {res['seed_s']:.1f} s")
        # A node is up when the last host answers what Postgres has for it.
        name = data.host_name(ds.hosts - 1)

        def probe() -> tuple[str, str]:
            return name, stack.psql(f"SELECT host(ipv4) FROM hosts WHERE name = '{name}'").strip()

        first = FedDnsd(root, ds, log, binaries["dnsd"], 1, stack)
        nodes.append(first)
        first.prepare()
        system.wait_quiet(log, args.quiet_wait)
        res["join_s"] = first.start(timeout=600, probe=probe())
        res["join_memory"] = first.memory().as_dict()
        res["knot_rss_kib"] = knot_rss_kib
        log(f"system: node1 joined in {res['join_s']:.1f} s, RSS {res['join_memory']['rss_kib'] / 1024:.1f} MiB")

        res["drain"] = drain(args, first, stack, ds, runs, log)

        for index in range(2, NODES + 1):
            node = FedDnsd(root, ds, log, binaries["dnsd"], index, stack)
            nodes.append(node)
            node.prepare()
            node.start(timeout=600, probe=probe())
        res["feed_lag"] = feed_lag(args, nodes, stack, ds, runs, log)
    finally:
        for node in nodes:
            node.close()
    return res




def drain(args, node: FedDnsd, stack: Stack, ds: data.Dataset, runs: Path, log) -> dict:
    """wrk at full speed for `args.seconds` while the feed is locked, then the
    outbox sampled until it is empty (at most 300 s after the release)."""
    listing = {data.host_name(i): stack.token(i) for i in range(ds.hosts)}
    script = updates.write_wrk_inputs(runs, listing, ds.hosts, gen=GEN_DRAIN)
    before = node.metrics()
    since = stack.psql("SELECT now()").strip()
    system.wait_quiet(log, args.quiet_wait)
    holder = subprocess.Popen(
        ["/usr/bin/psql", "-X", "-q", "-d", stack.db_url, "-c",
         f"SET application_name = 'bench-feed-lock'; SELECT pg_advisory_lock({FEED_LOCK}); SELECT pg_sleep(3600)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    system.wait_until(
        lambda: stack.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted").strip() != "0", 10
    )
    accepted = updates.wrk_run(node.http_port, script, args.seconds, runs / "drain-wrk.out")
    t0 = time.monotonic()
    stack.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench-feed-lock'")
    holder.wait(timeout=30)
    samples = []  # (seconds since the release, good, pending)
    while time.monotonic() < t0 + 300:
        m = node.metrics()
        good = m.get("good", 0.0) - before.get("good", 0.0)
        pending = m.get("spdyn_outbox_pending", 0.0)
        samples.append((time.monotonic() - t0, good, pending))
        if pending == 0:
            break
        time.sleep(0.1)
    good = accepted["good"]
    emptied = samples[-1][0]
    # Every accepted update was waiting at the release: all of them over the
    # time the outbox took to empty.
    backlog = samples[0][2]
    rate = backlog / emptied if emptied > 0 else None
    in_db = int(
        stack.psql(
            f"SELECT count(*) FROM hosts WHERE name LIKE 'h%.{data.ZONE}' AND updated_at >= '{since}'"
        )
    )
    out = {
        "good": good,
        "other": accepted["other"],
        "accepted_per_s": accepted["updates_per_s"],
        "backlog": backlog,
        "drain_per_s": rate,
        "empty_after_s": emptied,
        "hosts_updated_in_db": in_db,
        "samples": samples,
    }
    log(
        f"system: outbox: {good} good in {args.seconds} s with the feed locked, backlog {backlog:.0f}, "
        f"empty {emptied:.1f} s after the release ({rate or 0:.0f}/s), {in_db} hosts updated in Postgres"
    )
    return out


def feed_lag(args, nodes: list[FedDnsd], stack: Stack, ds: data.Dataset, runs: Path, log) -> dict:
    """NODE_RATE updates/s into each node (its own quarter of the hosts past
    the probes) while probes measure how long the others take to follow."""
    seconds = max(2, 2 * args.seconds)
    gens = []
    for k, node in enumerate(nodes):
        tokens = node.dir / "share.csv"
        share = range(PROBES + k, ds.hosts, len(nodes)) if ds.hosts > PROBES + len(nodes) else range(k, ds.hosts, len(nodes))
        tokens.write_text("hostname,token\n" + "".join(f"{data.host_name(i)},{stack.token(i)}\n" for i in share))
        gens.append(updates.rate_run(node.http_port, tokens, NODE_RATE, seconds, runs / f"node-rate-{k}.json", gen=GEN_NODES))
    time.sleep(0.5)
    busy0, at0 = system.cpu_busy_seconds(), time.monotonic()
    # Where the CPU goes: the nodes, Postgres (all its backends), the rest.
    nodes0 = sum(n.cpu_seconds() for n in nodes)
    pg0 = system.cpu_seconds(stack.postgres_pids())
    resolvers = {node.name: Resolver(node.port, timeout=0.05) for node in nodes}
    lags: list[float] = []
    t_end = time.monotonic() + seconds - 1
    k = 0
    while time.monotonic() < t_end:
        i = k % min(PROBES, ds.hosts)
        source = nodes[k % len(nodes)]
        source.change_address(i, GEN_PROBE + k // PROBES)
        good_at = time.perf_counter()
        want = [data.ipv4(i, GEN_PROBE + k // PROBES)]
        waiting = [n for n in nodes if n is not source]
        while waiting and time.perf_counter() - good_at < 10:
            waiting = [n for n in waiting if resolvers[n.name].ask(data.host_name(i)) != want]
            if waiting:
                time.sleep(0.001)
        lags.append(time.perf_counter() - good_at if not waiting else float("inf"))
        k += 1
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - good_at)))
    elapsed = time.monotonic() - at0
    busy = (system.cpu_busy_seconds() - busy0) / elapsed
    nodes_cores = (sum(n.cpu_seconds() for n in nodes) - nodes0) / elapsed
    pg_cores = (system.cpu_seconds(stack.postgres_pids()) - pg0) / elapsed
    for r in resolvers.values():
        r.close()
    streams = [updates.collect(g, runs / f"node-rate-{n}.json") for n, g in enumerate(gens)]
    lags.sort()
    out = {
        "nodes": len(nodes),
        "rate_per_node": NODE_RATE,
        "probes": len(lags),
        "p50_ms": load.percentile(lags, 0.5) * 1e3,
        "p99_ms": load.percentile(lags, 0.99) * 1e3,
        "max_ms": lags[-1] * 1e3,
        "busy_cores": busy,
        "nodes_cores": nodes_cores,
        "postgres_cores": pg_cores,
        "streams": [
            {"codes": s["codes"], "achieved_per_s": s["achieved_per_s"], "p99_ms": s["p99_ms"]} for s in streams
        ],
    }
    log(
        f"system: feed lag with {len(nodes)} nodes x {NODE_RATE}/s: p50 {out['p50_ms']:.0f} ms, "
        f"p99 {out['p99_ms']:.0f} ms, max {out['max_ms']:.0f} ms over {len(lags)} probes; "
        f"streams {[s['codes'] for s in streams]}"
    )
    return out


def render(res: dict) -> list[str]:
    hosts = res["hosts"]
    rss = res["join_memory"]["rss_kib"]
    d, f = res["drain"], res["feed_lag"]
    lines = [
        "",
        f"System (Postgres + control + fed dnsd nodes), {hosts} hosts in Postgres (seeded in {res['seed_s']:.0f} s)",
        f"  join: ready in {res['join_s']:.1f} s, RSS {rss / 1024:.1f} MiB"
        + (f" (Knot {res['knot_rss_kib'] / 1024:.1f} MiB)" if res.get("knot_rss_kib") else ""),
        f"  outbox: {d['good']} good in wrk's run with the feed locked ({d['accepted_per_s']:.0f}/s accepted), "
        f"backlog {d['backlog']:.0f}, empty {d['empty_after_s']:.1f} s after the release "
        f"({d['drain_per_s'] or 0:.0f}/s); {d['hosts_updated_in_db']} hosts updated in Postgres",
        f"  feed lag, {f['nodes']} nodes x {f['rate_per_node']}/s each: p50 {f['p50_ms']:.0f} ms, p99 "
        f"{f['p99_ms']:.0f} ms, max {f['max_ms']:.0f} ms ({f['probes']} probes; {f['busy_cores']:.2f} of "
        f"{os.cpu_count()} cores busy: nodes {f['nodes_cores']:.2f}, Postgres {f['postgres_cores']:.2f}); streams "
        + ", ".join(f"{s['achieved_per_s']:.0f}/s {s['codes']}" for s in f["streams"]),
    ]
    rows = [(f"fed node joins with {hosts} hosts in <= 60 s", f"{res['join_s']:.1f} s", res["join_s"] <= 60)]
    if res.get("knot_rss_kib"):
        ratio = rss / res["knot_rss_kib"]
        rows.append((f"joined node's RSS <= 0.75 x Knot ({hosts} hosts)", f"{ratio:.2f} x", ratio <= 0.75))
    drained = d["drain_per_s"] or 0
    rows.append(("outbox drain >= 10,000 updates/s (one node)", f"{drained:.0f}/s", drained >= 10_000))
    streams_ok = all(set(s["codes"]) == {"good"} for s in f["streams"])
    rows.append(
        (f"feed lag p99 <= 1 s, {f['nodes']} nodes x {f['rate_per_node']}/s", f"{f['p99_ms']:.0f} ms",
         f["p99_ms"] <= 1000 and streams_ok)
    )  # fmt: skip
    width = max(len(r[0]) for r in rows)
    lines.append("  targets")
    for name, measured, ok in rows:
        lines.append(f"    {name:<{width}}  {measured:>12}  {'PASS' if ok else 'FAIL'}")
    return lines
