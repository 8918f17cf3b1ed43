"""Memory and CPU per query in the states a running server is in (`--states`):
fresh from a clean restart (the capacity rounds before this), after the
updates users make without a restart, and after a crash restart.

*used*: dnsd first has a token made for every host (`dnsd tokens export`, as
an operator does) and then takes `--state-updates` dyndns2 updates over HTTP,
each a changed address of another host; Knot takes as many RFC 2136 updates
of the same hosts (the same addresses); NSD has no dynamic updates and
serves its zone unchanged. *many* (with `--state-many N`): the same kinds of
updates as fast as each server takes them until N were taken in all. *crash*:
every server is killed with SIGKILL and started again (dnsd replays its
journal, Knot its journal). In each state: resident memory before any query,
then capacity rounds as in step 4.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from . import data, load, servers, system, updates

# Updates in the used and many states get addresses of their own generations.
GEN_STATE, GEN_MANY = 3_000, 20_000
# dyndns2 updates per second while the used state is made (open loop).
STATE_RATE = 4_000


def bench(args, made: dict, ds: data.Dataset, runs: Path, log, rotated, fresh: dict) -> dict:
    """Per state, per server: memory and capacity runs. `fresh` holds each
    server's memory at start and its capacity rounds already measured."""
    # The floor has no state, dnsd-rrl takes no updates here.
    made = {name: server for name, server in made.items() if name in ("dnsd", "knot", "nsd")}
    out: dict = {"fresh": {name: fresh[name] for name in made}}
    count = args.state_updates
    if "dnsd" in made:
        dnsd = made["dnsd"]
        assert isinstance(dnsd, servers.Dnsd)
        dnsd.export_tokens()
        seconds = max(1.0, count / STATE_RATE)
        system.wait_quiet(log, args.quiet_wait)
        gen = updates.rate_run(
            dnsd.http_port, dnsd.dir / "tokens.csv", STATE_RATE, seconds, runs / "state-updates.json",
            gen=GEN_STATE,
        )  # fmt: skip
        r = updates.collect(gen, runs / "state-updates.json")
        log(f"used state: dnsd took {count} updates: {r['codes']}")
        if r["codes"].get("good", 0) < count * 0.99:
            raise RuntimeError(f"dnsd answered {r['codes']} to the state's updates")
    if "knot" in made:
        system.wait_quiet(log, args.quiet_wait)
        knot_updates(made["knot"], ds, runs, log, "used", count, GEN_STATE)
    out["used"] = measure(args, made, ds, runs, log, rotated, "used")
    if args.state_many > count:
        many(args, made, ds, runs, log, args.state_many - count)
        out["many"] = measure(args, made, ds, runs, log, rotated, "many")
    for server in made.values():
        server.restart(crash=True)
    out["crash"] = measure(args, made, ds, runs, log, rotated, "crash")
    return out


def many(args, made: dict, ds: data.Dataset, runs: Path, log, count: int) -> None:
    """`count` more updates into dnsd (wrk, 100 in flight, in runs sized to
    what is left) and Knot (dnsperf -u, 100 in flight), at full speed."""
    if "dnsd" in made:
        dnsd = made["dnsd"]
        assert isinstance(dnsd, servers.Dnsd)
        taken, chunk, rate = 0, 0, 10_000.0
        while taken < count:
            # Each run starts its own generations, so no update repeats an address.
            script = updates.write_wrk_inputs(runs, dnsd.tokens, ds.hosts, gen=GEN_MANY + chunk * 1_000)
            seconds = max(1, min(30, round((count - taken) / rate)))
            r = updates.wrk_run(dnsd.http_port, script, seconds, runs / f"many-dnsd-{chunk}.out")
            if r["other"]:
                raise RuntimeError(f"dnsd answered {r['other']} of the many state's updates with other than good")
            taken += r["good"]
            rate = max(r["updates_per_s"], 100.0)
            chunk += 1
        log(f"many state: dnsd took {taken} more updates")
    if "knot" in made:
        knot_updates(made["knot"], ds, runs, log, "many", count, GEN_MANY)


def knot_updates(knot, ds: data.Dataset, runs: Path, log, state: str, count: int, generation: int) -> None:
    """`count` RFC 2136 updates (each host's A record replaced, spread over the hosts as the dyndns2
    generator spreads them), 100 in flight, each sent once; all must be answered NOERROR."""
    ufile = data.knot_update_file(ds, runs / f"knot-{state}.txt", count, generation=generation, spread=True)
    r = load.dnsperf(
        knot.port, ufile, 3600, ["-u", "-c", "8", "-q", str(updates.IN_FLIGHT), "-n", "1"],
        runs / f"knot-{state}.out",
    )  # fmt: skip
    ufile.unlink()
    log(f"{state} state: Knot took {count} updates: {r['rcodes']}")
    if r["rcodes"].get("NOERROR", 0) < count * 0.99:
        raise RuntimeError(f"Knot answered {r['rcodes']} to the {state} state's updates")


def measure(args, made: dict, ds, runs: Path, log, rotated, state: str) -> dict:
    res = {name: {"memory": server.memory().as_dict(), "capacity": []} for name, server in made.items()}
    for rnd in range(1, args.rounds + 1):
        for name, server in rotated(made, rnd):
            system.wait_quiet(log, args.quiet_wait)
            r = load.capacity_run(server, ds.query_file, args.seconds, runs, f"cap-{state}-{name}-{rnd}")
            res[name]["capacity"].append(r)
            log(f"{state} state, round {rnd} {name}: {r['us_per_query']:.2f} µs/q")
    for name in made:
        log(f"{state} state: {name} RSS {res[name]['memory']['rss_kib'] / 1024:.1f} MiB")
    return res


def render(size: int, res: dict) -> list[str]:
    """A row per server and state; the targets of issue 18 checked in each."""
    lines = [
        f"States, {size} hosts: fresh (clean restart), used (tokens exported and updates taken, no "
        "restart), crash (SIGKILL, start); RSS before queries, CPU/query median of the rounds",
        f"  {'state':<6} {'server':<8} {'RSS MiB':>8} {'CPU/query µs':>13}",
    ]
    verdicts = []
    for state, rows in res.items():
        us = {
            name: statistics.median(c["us_per_query"] for c in r["capacity"] if c["us_per_query"])
            for name, r in rows.items()
            if r["capacity"]
        }
        for name, r in rows.items():
            lines.append(
                f"  {state:<6} {name:<8} {r['memory']['rss_kib'] / 1024:>8.1f} "
                f"{us.get(name, float('nan')):>13.2f}"
            )
        if "dnsd" in rows and "knot" in rows:
            ratio = rows["dnsd"]["memory"]["rss_kib"] / rows["knot"]["memory"]["rss_kib"]
            verdicts.append(
                f"  RSS dnsd / Knot, {state}: {ratio:.2f} (target <= 0.75: {'PASS' if ratio <= 0.75 else 'FAIL'})"
            )
        peers = [p for p in ("knot", "nsd") if p in us]
        if "dnsd" in us and peers:
            best = min(us[p] for p in peers)
            ratio = us["dnsd"] / best
            verdicts.append(
                f"  CPU/query dnsd / best peer, {state}: {ratio:.2f} "
                f"(target <= 0.80: {'PASS' if ratio <= 0.8 else 'FAIL'})"
            )
    return lines + verdicts
