"""`bench/run`: the whole benchmark as one command. See bench/README.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import data, fleet, load, portal, servers, states, system, updates, xfr
from .stack import Stack

REPO = Path(__file__).resolve().parents[2]
ORDER = ["floor", "dnsd", "knot", "nsd"]
# Every server, in table order; `dnsd-rrl` runs only when asked for.
ALL = ["floor", "dnsd", "dnsd-rrl", "knot", "nsd"]
PEERS = ["knot", "nsd"]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Capacity per core, CPU per query, latency, memory, startup and update "
        "rate of dnsd against Knot DNS, NSD and a do-nothing floor server.",
    )
    p.add_argument("--hosts", type=int, default=100_000, help="zone size (default 100000)")
    p.add_argument("--rounds", type=int, default=3, help="capacity rounds (default 3)")
    p.add_argument("--seconds", type=int, default=10, help="length of each load run (default 10)")
    p.add_argument(
        "--rates", default="10000,50000", help="fixed query rates for p99 latency (default 10000,50000)"
    )
    p.add_argument("--latency-seconds", type=int, default=5, help="length of each latency run")
    p.add_argument("--scaling", action="store_true", help="also run 10k, 100k and 1M hosts")
    p.add_argument("--updates", action="store_true", help="also run the update benchmarks")
    p.add_argument(
        "--xfr", action="store_true", help="also run the zone transfer benchmark (dnsd and Knot)"
    )
    p.add_argument(
        "--states",
        action="store_true",
        help="also measure memory and CPU/query after updates without a restart and after a crash restart",
    )
    p.add_argument(
        "--state-updates", type=int, default=60_000, help="updates taken before the 'used' state (default 60000)"
    )
    p.add_argument(
        "--state-many",
        type=int,
        default=0,
        help="with --states: also a state after this many updates in all (e.g. 1000000), before the crash",
    )
    p.add_argument(
        "--system",
        action="store_true",
        help="also Postgres + control + fed dnsd nodes at the largest size: a node joining, the outbox "
        "drain, the feed lag with 4 nodes, control under 200 clients",
    )
    p.add_argument("--update-rate", type=int, default=1000, help="fixed update rate (default 1000/s)")
    p.add_argument("--profile", action="store_true", help="perf-record dnsd and the floor under load")
    p.add_argument(
        "--servers",
        default=",".join(ORDER),
        help="comma-separated subset of floor,dnsd,dnsd-rrl,knot,nsd (dnsd-rrl: dnsd with rate "
        "limiting on at limits never reached, to measure its cost; not in the default)",
    )
    p.add_argument("--results", type=Path, default=REPO / "target" / "bench", help="results dir")
    p.add_argument("--no-build", action="store_true", help="use the existing release binaries")
    p.add_argument(
        "--quiet-wait", type=float, default=120, help="max seconds to wait for an idle machine per run"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check tools, build, and run a tiny smoke version of everything (< 2 min)",
    )
    args = p.parse_args(argv)
    if args.dry_run:
        # Small enough to finish quickly, big enough to exercise every path.
        args.hosts, args.rounds, args.seconds = 2_000, 1, 1
        args.rates, args.latency_seconds = "2000", 1
        args.updates, args.scaling, args.update_rate = True, False, 200
        args.xfr = args.states = args.system = True
        args.state_updates, args.state_many = 500, 1_500
        args.quiet_wait = 5
    wanted = args.servers.split(",")
    if args.dry_run and args.servers == ",".join(ORDER):
        wanted.append("dnsd-rrl")  # the smoke run covers every server
    args.server_list = [s for s in ALL if s in wanted]
    args.rate_list = [int(r) for r in args.rates.split(",") if r]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if os.geteuid() != 0:
        log("warning: not root: cgroup quotas and package installs will probably fail")
    needed = ["taskset", "dnsperf"]
    if "knot" in args.server_list:
        needed.append("knotd")
    if "nsd" in args.server_list:
        needed.append("nsd")
    if args.updates or args.system:
        needed.append("wrk")
    if args.system:
        needed.append("psql")
    if args.profile:
        needed.append("perf")
    missing = system.ensure_packages(needed, log)
    system.stop_distro_services(log)
    for tool in missing:
        if tool in ("knotd", "nsd") and not args.dry_run:
            name = "knot" if tool == "knotd" else "nsd"
            log(f"warning: {tool} is not available; {name} is skipped")
            args.server_list.remove(name)
        else:
            log(f"error: {tool} is required and could not be installed")
            return 1
    if os.cpu_count() and os.cpu_count() < 2:
        log("error: needs 2 cores (server on core 0, load on core 1)")
        return 1
    cg = system.cgroup_kind()
    log(f"cgroup CPU controller: {cg}")
    if cg == "none":
        log("warning: no writable CPU cgroup: no quota, capacity comes from CPU accounting only")

    binaries = build(args)
    rmem = system.equal_receive_buffers(log)
    try:
        return run(args, binaries, cg)
    finally:
        system.restore_receive_buffers(rmem)


def run(args, binaries: dict[str, Path], cg: str) -> int:
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outdir = args.results / f"run-{stamp}"
    outdir.mkdir(parents=True)
    results: dict = {
        "started": stamp,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine_info(cg),
        "sizes": {},
    }
    sizes = [10_000, 100_000, 1_000_000] if args.scaling else [args.hosts]
    if args.scaling and args.hosts not in sizes:
        sizes.append(args.hosts)
    for hosts in sorted(sizes):
        with_updates = args.updates and hosts == args.hosts
        with_system = args.system and hosts == max(sizes)
        results["sizes"][hosts] = bench_size(args, binaries, hosts, outdir, with_updates, with_system)
        (outdir / "results.json").write_text(json.dumps(results, indent=2))
    latest = args.results / "latest.json"
    latest.write_text(json.dumps(results, indent=2))
    report = render(results, args)
    print(report)
    (outdir / "report.txt").write_text(report)
    log(f"raw results: {outdir / 'results.json'} (also {latest})")
    return 0


def build(args) -> dict[str, Path]:
    target = REPO / "target" / "release"
    if not args.no_build:
        log("building dnsd, the floor and control (cargo build --release)")
        control = ["-p", "control"] if args.system else []
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "dnsd", "-p", "bench-floor", *control],
            cwd=REPO,
            check=True,
        )
    binaries = {"dnsd": target / "dnsd", "floor": target / "floor"}
    if args.system:
        binaries["control"] = target / "control"
    for name, path in binaries.items():
        if not path.exists():
            raise SystemExit(f"{path} is missing (build it, or drop --no-build)")
    return binaries


def machine_info(cg: str) -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return out.stdout.strip()

    return {
        # What was measured: the commit, and whether dnsd/ had local changes.
        "commit": git("rev-parse", "--short", "HEAD"),
        "dnsd_dirty": bool(git("status", "--porcelain", "--", "dnsd", "common")),
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": os.uname().release,
        "cgroup": cg,
        "clk_tck": system.CLK_TCK,
    }


def make_servers(args, binaries, ds, root) -> dict[str, servers.Server]:
    made: dict[str, servers.Server] = {}
    for name in args.server_list:
        if name == "floor":
            made[name] = servers.Floor(root, ds, log, binaries["floor"])
        elif name == "dnsd":
            made[name] = servers.Dnsd(root, ds, log, binaries["dnsd"], transfers=args.xfr)
        elif name == "dnsd-rrl":
            made[name] = servers.DnsdRrl(root, ds, log, binaries["dnsd"])
        elif name == "knot":
            made[name] = servers.Knot(root, ds, log)
        elif name == "nsd":
            made[name] = servers.Nsd(root, ds, log)
    return made


def bench_size(args, binaries, hosts: int, outdir: Path, with_updates: bool, with_system: bool) -> dict:
    log(f"=== {hosts} hosts")
    ds = data.dataset(args.results, hosts)
    runs = outdir / f"hosts-{hosts}"
    runs.mkdir()
    # Server state (configs, dnsd's sled store, Knot's journal) in a temp dir
    # on disk; the name marks our processes for stop_distro_services.
    root = Path(tempfile.mkdtemp(prefix="spdyn-bench-"))
    made = make_servers(args, binaries, ds, root)
    out: dict = {"servers": {}}
    try:
        for name, server in made.items():
            server.prepare()
            system.wait_quiet(log, args.quiet_wait)
            startup = server.start()
            mem = server.memory()
            rcvbuf = system.udp_receive_buffer(server.port)
            log(
                f"{name}: up in {startup * 1e3:.0f} ms, RSS {mem.rss_kib / 1024:.1f} MiB, "
                f"UDP receive buffer {rcvbuf} bytes"
            )
            out["servers"][name] = {
                "version": server.version,
                "startup_s": startup,
                "memory_idle": mem.as_dict(),
                "capacity": [],
                "latency": [],
                "import_s": getattr(server, "import_s", None),
                "udp_rcvbuf_bytes": rcvbuf,
            }
        # Warm-up: one short unrecorded run each (page faults, caches).
        for name, server in made.items():
            load.dnsperf(server.port, ds.query_file, 1, ["-c", "8", "-q", "500"], runs / f"warmup-{name}.txt")
        # Capacity: interleaved round by round so slow drifts hit all alike.
        for rnd in range(1, args.rounds + 1):
            for name, server in rotated(made, rnd):
                busy = system.wait_quiet(log, args.quiet_wait)
                r = load.capacity_run(server, ds.query_file, args.seconds, runs, f"cap-{name}-{rnd}")
                r["round"], r["busy_before"] = rnd, busy
                out["servers"][name]["capacity"].append(r)
                log(
                    f"round {rnd} {name}: {r['capacity_per_core'] / 1e3:.0f}k q/s/core, "
                    f"{r['us_per_query']:.2f} µs/q, throttled {r['throttled_ratio'] or 0:.2f}, "
                    f"lost {r['lost']}, background {r['background_cores']:.2f} cores"
                )
        for name, server in made.items():
            out["servers"][name]["memory_loaded"] = server.memory().as_dict()
        # Latency at fixed rates, no quota.
        for n, rate in enumerate(args.rate_list):
            for name, server in rotated(made, n + 1):
                system.wait_quiet(log, args.quiet_wait)
                r = load.latency_run(
                    server, ds.query_file, rate, args.latency_seconds, runs / f"lat-{name}-{rate}.txt"
                )
                # The per-query file is large and fully summarised: drop it.
                (runs / f"lat-{name}-{rate}.txt").unlink()
                out["servers"][name]["latency"].append(r)
                log(
                    f"{name} @ {rate}/s: p50 {r['p50_us']:.0f} µs, p99 {r['p99_us']:.0f} µs, "
                    f"lost {r['lost']}, background {r['background_cores']:.2f} cores"
                )
        # States and transfers at the main size only (--hosts), like updates.
        main_size = hosts == args.hosts
        if args.states and main_size:
            fresh = {
                name: {"memory": s["memory_idle"], "capacity": s["capacity"]}
                for name, s in out["servers"].items()
            }
            out["states"] = states.bench(args, made, ds, runs, log, rotated, fresh)
        if args.xfr and main_size:
            out["xfr"] = xfr.bench(args, made, ds, runs, log)
        if args.profile:
            out["profile"] = profile(made, ds, args, runs)
        if with_updates:
            out["updates"] = bench_updates(args, made, ds, runs)
        if with_system:
            out["system"], out["portal"] = bench_system(args, binaries, ds, root, runs, out)
    finally:
        for server in made.values():
            server.close()
        shutil.rmtree(root, ignore_errors=True)
    return out


def bench_system(args, binaries, ds, root: Path, runs: Path, out: dict) -> tuple[dict, dict]:
    """The deployment around dnsd: fed nodes (fleet.py), then control under
    load (portal.py) with those hosts still in its database."""
    knot = out["servers"].get("knot", {}).get("memory_loaded", {}).get("rss_kib")
    # The cluster runs as the postgres user when we are root: it must be
    # able to reach its directory under the (0700) temp dir.
    root.chmod(0o711)
    stack = Stack(root / "stack", binaries["control"], log, data.ZONE)
    try:
        stack.start()
        nodes = fleet.bench(args, binaries, stack, ds, root, runs, log, knot)
        return nodes, portal.bench(args, stack, runs, log)
    finally:
        stack.close()


def rotated(made: dict, rnd: int) -> list:
    """The servers in the order of round `rnd`: each round starts one later,
    so no server always runs first (or right after the same one)."""
    items = list(made.items())
    shift = (rnd - 1) % len(items) if items else 0
    return items[shift:] + items[:shift]


def bench_updates(args, made, ds, runs: Path) -> dict:
    res: dict = {}
    seconds = args.seconds
    if "knot" in made:
        knot = made["knot"]
        ufile = data.knot_update_file(ds, runs / "knot-updates.txt", max(50_000, 10 * seconds * 3_000))
        system.wait_quiet(log, args.quiet_wait)
        r = updates.knot_run(knot.port, ufile, seconds, runs / "knot-updates.out")
        ufile.unlink()
        res["knot_rfc2136"] = r
        log(f"knot RFC 2136: {r['updates_per_s']:.0f} updates/s, rcodes {r['rcodes']}")
    if "dnsd" not in made:
        return res
    dnsd = made["dnsd"]
    assert isinstance(dnsd, servers.Dnsd)
    tokens = dnsd.export_tokens()
    tokens_file = dnsd.dir / "tokens.csv"
    script = updates.write_wrk_inputs(runs, tokens, ds.hosts)
    system.wait_quiet(log, args.quiet_wait)
    r = updates.wrk_run(dnsd.http_port, script, seconds, runs / "dnsd-wrk.out")
    res["dnsd_wrk"] = r
    log(f"dnsd dyndns2: {r['updates_per_s']:.0f} good/s, other {r['other']}, p99 {r['p99_us'] / 1e3:.1f} ms")

    system.wait_quiet(log, args.quiet_wait)
    gen = updates.rate_run(dnsd.http_port, tokens_file, args.update_rate, seconds, runs / "rate.json")
    r = updates.collect(gen, runs / "rate.json")
    res["dnsd_fixed_rate"] = r
    log(f"dnsd at {args.update_rate}/s: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, {r['codes']}")

    r = updates.visibility_run(dnsd.http_port, dnsd.port, tokens, 300 if not args.dry_run else 30)
    res["visibility"] = r
    log(f"visible in DNS after good: p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms, max {r['max_ms']:.3f} ms")

    # Query capacity with and without a steady update stream, interleaved.
    res["capacity_quiet"], res["capacity_updating"] = [], []
    for rnd in range(1, args.rounds + 1):
        system.wait_quiet(log, args.quiet_wait)
        q = load.capacity_run(dnsd, ds.query_file, seconds, runs, f"cap-dnsd-quiet-{rnd}")
        res["capacity_quiet"].append(q)
        system.wait_quiet(log, args.quiet_wait)
        gen = updates.rate_run(
            dnsd.http_port, tokens_file, args.update_rate, seconds + 1, runs / f"rate-during-{rnd}.json",
            gen=updates.GEN_RATE + 100 + rnd * 10,
        )  # fmt: skip
        time.sleep(0.5)  # let the update stream settle before measuring
        u = load.capacity_run(dnsd, ds.query_file, seconds, runs, f"cap-dnsd-updating-{rnd}")
        u["updates"] = updates.collect(gen, runs / f"rate-during-{rnd}.json")
        res["capacity_updating"].append(u)
        log(
            f"round {rnd} dnsd capacity: {q['capacity_per_core'] / 1e3:.0f}k quiet, "
            f"{u['capacity_per_core'] / 1e3:.0f}k with {args.update_rate} updates/s ({u['updates']['codes']})"
        )
    return res


def profile(made, ds, args, runs: Path) -> dict:
    """perf record (cpu-clock, call graphs) of dnsd and the floor under the
    capacity load; the reports land next to the results."""
    out = {}
    for name in ("floor", "dnsd"):
        if name not in made:
            continue
        server = made[name]
        pdata = runs / f"perf-{name}.data"
        rec = subprocess.Popen(
            [system.which("perf"), "record", "-e", "cpu-clock", "-F", "2000", "-g",
             "-o", str(pdata), "-p", ",".join(map(str, server.pids())), "--", "sleep", str(args.seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.2)
        r = load.capacity_run(server, ds.query_file, args.seconds, runs, f"perf-load-{name}")
        rec.wait()
        for kind, extra in (("flat", ["--no-children", "--sort", "dso,symbol"]), ("children", ["--children"])):
            report = subprocess.run(
                [system.which("perf"), "report", "-i", str(pdata), "--stdio", "--percent-limit", "0.5", *extra],
                capture_output=True, text=True,
            )  # fmt: skip
            (runs / f"perf-{name}-{kind}.txt").write_text(report.stdout)
        out[name] = {"us_per_query": r["us_per_query"], "report": str(runs / f"perf-{name}-flat.txt")}
        log(f"profile of {name}: {runs / f'perf-{name}-flat.txt'}")
    return out


# ---------------------------------------------------------------------------
# Reporting.


def mmm(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def fmt_mmm(values, scale=1.0, digits=0) -> str:
    if not values:
        return "-"
    lo, med, hi = mmm([v * scale for v in values])
    return f"{lo:.{digits}f}/{med:.{digits}f}/{hi:.{digits}f}"


def summarize(size: dict) -> dict:
    """Median figures per server, used by the tables and the target checks."""
    out = {}
    for name, s in size["servers"].items():
        caps = s["capacity"]
        out[name] = {
            "cap": statistics.median([c["capacity_per_core"] for c in caps]) if caps else None,
            "us": statistics.median([c["us_per_query"] for c in caps if c["us_per_query"]]) if caps else None,
            "lost": sum(c["lost"] for c in caps),
            "sent": sum(c["sent"] for c in caps),
            "throttled": min((c["throttled_ratio"] or 0) for c in caps) if caps else None,
            "rss": s["memory_loaded"]["rss_kib"] / 1024 if "memory_loaded" in s else None,
            "hwm": s["memory_loaded"]["hwm_kib"] / 1024 if "memory_loaded" in s else None,
            "pss": s["memory_loaded"]["pss_kib"] / 1024 if "memory_loaded" in s else None,
            "start_ms": s["startup_s"] * 1e3,
            "p99": {l["rate"]: l["p99_us"] for l in s["latency"]},
            # Latency runs during which something else used half a core or more.
            "disturbed": {l["rate"] for l in s["latency"] if l.get("background_cores", 0) >= 0.5},
            "lat_lost": {l["rate"]: l["lost"] for l in s["latency"]},
        }
    return out


def render(results: dict, args) -> str:
    lines = []
    m = results["machine"]
    for hosts, size in results["sizes"].items():
        sm = summarize(size)
        peers = [p for p in PEERS if p in sm]
        best_us = min((sm[p]["us"] for p in peers), default=None)
        floor_us = sm.get("floor", {}).get("us")
        lines.append("")
        lines.append(
            f"{hosts} hosts; {args.rounds} rounds x {args.seconds} s; server pinned to core 0 and capped "
            f"at 40 % (cgroup {m['cgroup']}), dnsperf -c 8 -q 500 on core 1; min/median/max of rounds"
        )
        head = (
            f"{'server':<8} {'capacity/core kq/s':>20} {'CPU/query µs':>17} {'×floor':>6} {'×best peer':>10} "
            f"{'throttled':>9} {'lost':>8} {'RSS MiB':>8} {'HWM MiB':>8} {'start ms':>8}"
        )
        rates = args.rate_list
        for rate in rates:
            head += f" {f'p99@{rate // 1000}k µs':>11}"
        lines.append(head)
        lines.append("-" * len(head))
        for name, s in size["servers"].items():
            caps = s["capacity"]
            x = sm[name]
            row = (
                f"{name:<8} {fmt_mmm([c['capacity_per_core'] for c in caps], 1e-3):>20} "
                f"{fmt_mmm([c['us_per_query'] for c in caps], 1, 2):>17} "
                f"{(x['us'] / floor_us if floor_us else float('nan')):>6.2f} "
                f"{(x['us'] / best_us if best_us else float('nan')):>10.2f} "
                f"{x['throttled']:>9.2f} {x['lost']:>8} {x['rss']:>8.1f} {x['hwm']:>8.1f} {x['start_ms']:>8.0f}"
            )
            for rate in rates:
                p99 = x["p99"].get(rate)
                mark = "!" if rate in x["disturbed"] else ""
                row += f" {f'{p99:.0f}{mark}':>11}" if p99 is not None else f" {'-':>11}"
            lines.append(row)
        if any(x["disturbed"] for x in sm.values()):
            lines.append("(! = the machine was busy with other work during that latency run)")
        if "nsd" in sm:
            lines.append(
                f"(NSD runs {size['servers']['nsd']['memory_loaded']['procs']} processes sharing "
                f"memory copy-on-write: RSS is their sum; its PSS sum is {sm['nsd']['pss']:.1f} MiB)"
            )
        lines += render_targets(size, sm, hosts, results)
        if "states" in size:
            lines += states.render(hosts, size["states"])
        if "xfr" in size:
            lines += xfr.render(hosts, size["xfr"])
        if "updates" in size:
            lines += render_updates(size["updates"], args)
        if "system" in size:
            lines += fleet.render(size["system"])
        if "portal" in size:
            lines += portal.render(size["portal"])
    if len(results["sizes"]) > 1:
        lines += render_scaling(results)
    return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def render_targets(size, sm, hosts, results) -> list[str]:
    if "dnsd" not in sm:
        return []
    d = sm["dnsd"]
    peers = [p for p in PEERS if p in sm]
    rows = []
    if peers:
        best = min(peers, key=lambda p: sm[p]["us"])
        ratio = d["us"] / sm[best]["us"]
        rows.append((f"dnsd CPU/query <= 0.80 x best peer ({best})", f"{ratio:.2f} x", ratio <= 0.80))
    rows.append(
        ("0 lost queries (capacity runs)", f"{d['lost']} of {d['sent']}", d["lost"] == 0)
    )
    if "floor" in sm:
        ratio = d["cap"] / sm["floor"]["cap"]
        rows.append(("capacity >= 0.95 x the UDP floor", f"{ratio:.2f} x", ratio >= 0.95))
    if "dnsd-rrl" in sm:
        ratio = sm["dnsd-rrl"]["us"] / d["us"]
        rows.append(("dnsd-rrl CPU/query <= 1.10 x dnsd (RRL cost)", f"{ratio:.3f} x", ratio <= 1.10))
    for rate, p99 in d["p99"].items():
        theirs = [sm[p]["p99"].get(rate) for p in peers if sm[p]["p99"].get(rate) is not None]
        if theirs:
            rows.append(
                (f"p99 @ {rate}/s <= best peer", f"{p99:.0f} µs vs {min(theirs):.0f} µs", p99 <= min(theirs))
            )
    if "knot" in sm:
        ratio = d["rss"] / sm["knot"]["rss"]
        rows.append((f"RSS <= 0.75 x Knot ({hosts} hosts)", f"{ratio:.2f} x", ratio <= 0.75))
        rows.append(
            (f"startup <= Knot ({hosts} hosts)", f"{d['start_ms']:.0f} vs {sm['knot']['start_ms']:.0f} ms",
             d["start_ms"] <= sm["knot"]["start_ms"])
        )  # fmt: skip
    u = size.get("updates", {})
    if "dnsd_wrk" in u and "knot_rfc2136" in u:
        ratio = u["dnsd_wrk"]["updates_per_s"] / max(u["knot_rfc2136"]["updates_per_s"], 1e-9)
        rows.append(("dyndns2 updates/s >= 10 x Knot RFC 2136", f"{ratio:.1f} x", ratio >= 10))
    if "dnsd_fixed_rate" in u:
        r = u["dnsd_fixed_rate"]
        rows.append(
            (f"update p99 <= 10 ms at {r['rate']}/s", f"{r['p99_ms']:.2f} ms", r["p99_ms"] <= 10
             and set(r["codes"]) == {"good"})
        )  # fmt: skip
    if "visibility" in u:
        r = u["visibility"]
        rows.append(("answered by DNS <= 5 ms after good", f"max {r['max_ms']:.2f} ms", r["max_ms"] <= 5))
    if u.get("capacity_quiet"):
        q = statistics.median(c["capacity_per_core"] for c in u["capacity_quiet"])
        w = statistics.median(c["capacity_per_core"] for c in u["capacity_updating"])
        drop = 1 - w / q
        rows.append(("query capacity drop during updates <= 10 %", f"{drop * 100:.1f} %", drop <= 0.10))
    out = ["", f"targets ({hosts} hosts)"]
    width = max(len(r[0]) for r in rows)
    for name, measured, ok in rows:
        out.append(f"  {name:<{width}}  {measured:>22}  {verdict(ok)}")
    return out


def render_updates(u: dict, args) -> list[str]:
    out = ["", "updates"]
    if "knot_rfc2136" in u:
        k = u["knot_rfc2136"]
        out.append(
            f"  knot RFC 2136 (dnsperf -u -c 8 -q {updates.IN_FLIGHT}, journal on disk, journal-db-mode robust): {k['updates_per_s']:.0f}/s, "
            f"rcodes {k['rcodes']}, lost {k['lost']}"
        )
    if "dnsd_wrk" in u:
        w = u["dnsd_wrk"]
        out.append(
            f"  dnsd dyndns2 (wrk -t1 -c{w['connections']}, keep-alive, token auth): {w['updates_per_s']:.0f} good/s, "
            f"{w['other']} not good, p50 {w['p50_us'] / 1e3:.2f} ms, p99 {w['p99_us'] / 1e3:.2f} ms"
        )
    if "dnsd_fixed_rate" in u:
        r = u["dnsd_fixed_rate"]
        out.append(
            f"  dnsd at a fixed {r['rate']}/s ({r['achieved_per_s']:.0f}/s achieved): p50 {r['p50_ms']:.2f} ms, "
            f"p99 {r['p99_ms']:.2f} ms, p99.9 {r['p999_ms']:.2f} ms, max {r['max_ms']:.2f} ms, answers {r['codes']}"
        )
    if "visibility" in u:
        r = u["visibility"]
        out.append(
            f"  good -> DNS answer ({r['updates']} sequential updates): p50 {r['p50_ms']:.3f} ms, "
            f"p99 {r['p99_ms']:.3f} ms, max {r['max_ms']:.3f} ms"
        )
    if u.get("capacity_quiet"):
        q = [c["capacity_per_core"] for c in u["capacity_quiet"]]
        w = [c["capacity_per_core"] for c in u["capacity_updating"]]
        out.append(
            f"  dnsd capacity/core kq/s, min/med/max: {fmt_mmm(q, 1e-3)} quiet, "
            f"{fmt_mmm(w, 1e-3)} during {args.update_rate} updates/s"
        )
    return out


def render_scaling(results) -> list[str]:
    out = ["", "scaling (medians)"]
    out.append(
        f"  {'hosts':>9} {'server':<8} {'CPU/query µs':>12} {'capacity/core kq/s':>18} {'RSS MiB':>8} "
        f"{'bytes/host':>10} {'start ms':>9}"
    )
    for hosts, size in results["sizes"].items():
        sm = summarize(size)
        for name, x in sm.items():
            if name == "floor":
                continue
            # NSD: PSS, so its forked children are not counted three times.
            mem = x["pss"] if name == "nsd" else x["rss"]
            out.append(
                f"  {int(hosts):>9} {name:<8} {x['us']:>12.2f} {x['cap'] / 1e3:>18.0f} {mem:>8.1f} "
                f"{mem * 1024 * 1024 / int(hosts):>10.0f} {x['start_ms']:>9.0f}"
            )
    return out
