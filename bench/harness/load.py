"""Query load with dnsperf: capacity under a CPU quota, latency at fixed rates."""

from __future__ import annotations

import re
import resource
import subprocess
import time
from pathlib import Path

from . import system
from .servers import Server

QUOTA = 0.40  # 40 % of core 0: 4 ms per 10 ms period


def dnsperf(port: int, query_file: Path, seconds: float, extra: list[str], out: Path) -> dict:
    """Runs dnsperf pinned to the load core; returns its parsed summary.

    stdout goes to a file: with -v it holds one line per query.
    """
    cmd = [
        "taskset", "-c", str(system.LOAD_CORE),
        system.which("dnsperf"),
        "-s", "127.0.0.1", "-p", str(port),
        "-d", str(query_file),
        "-l", str(seconds),
        "-t", "2",  # a query unanswered after 2 s is lost
        *extra,
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out.open("w") as stdout:
        proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.STDOUT, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = out.read_text(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"dnsperf failed ({proc.returncode}): {text[-1500:]}")
    summary = parse_summary(text)
    summary["load_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return summary


def _num(pattern: str, text: str, cast=float, default=None):
    m = re.search(pattern, text)
    return cast(m.group(1)) if m else default


def parse_summary(text: str) -> dict:
    codes = {}
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        for code, count in re.findall(r"([A-Z]+) (\d+)", m.group(1)):
            codes[code] = int(count)
    return {
        "sent": _num(r"Queries sent:\s+(\d+)", text, int, 0),
        "completed": _num(r"Queries completed:\s+(\d+)", text, int, 0),
        "lost": _num(r"Queries lost:\s+(\d+)", text, int, 0),
        "qps": _num(r"Queries per second:\s+([\d.]+)", text, float, 0.0),
        "runtime_s": _num(r"Run time \(s\):\s+([\d.]+)", text, float, 0.0),
        "latency_avg_s": _num(r"Average Latency \(s\):\s+([\d.]+)", text),
        "latency_max_s": _num(r"Average Latency \(s\):.*max ([\d.]+)", text),
        "request_bytes": _num(r"Average packet size:\s+request (\d+)", text, int),
        "response_bytes": _num(r"Average packet size:.*response (\d+)", text, int),
        "rcodes": codes,
    }


def capacity_run(server: Server, query_file: Path, seconds: float, outdir: Path, tag: str) -> dict:
    """One capacity measurement: quota on, dnsperf saturating, CPU accounted.

    dnsperf -c 8 -q 500 keeps 500 queries outstanding, far more than a server
    held to 40 % of a core can answer, so the server is the bottleneck and its
    cgroup is throttled in (nearly) every 10 ms period. Capacity per core is
    then qps / 0.40; CPU per answered query comes from /proc, independent of
    the quota arithmetic, as a cross-check.
    """
    server.cgroup.set_quota(QUOTA)
    try:
        periods0, throttled0 = server.cgroup.throttling()
        busy0 = system.cpu_busy_seconds()
        drops0 = system.udp_rcvbuf_errors()
        cpu0 = server.cpu_seconds()
        t0 = time.monotonic()
        summary = dnsperf(
            server.port, query_file, seconds, ["-c", "8", "-q", "500"], outdir / f"{tag}.txt"
        )
        wall = time.monotonic() - t0
        cpu1 = server.cpu_seconds()
        busy1 = system.cpu_busy_seconds()
        drops1 = system.udp_rcvbuf_errors()
        periods1, throttled1 = server.cgroup.throttling()
    finally:
        server.cgroup.set_quota(None)
    periods = periods1 - periods0
    throttled = throttled1 - throttled0
    cpu = cpu1 - cpu0
    completed = summary["completed"]
    return {
        **summary,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_share": cpu / wall if wall else 0.0,
        # Kernel drops for a full receive buffer (any UDP socket on the
        # machine; during a run that is the server's or dnsperf's).
        "rcvbuf_drops": drops1 - drops0,
        # Cores used by everything but the server and dnsperf (someone
        # compiling, kernel softirq work): a disturbed run shows here.
        "background_cores": max(0.0, (busy1 - busy0 - cpu - summary["load_cpu_s"]) / wall),
        "us_per_query": cpu / completed * 1e6 if completed else None,
        "capacity_per_core": summary["qps"] / QUOTA,
        "periods": periods,
        "throttled": throttled,
        "throttled_ratio": throttled / periods if periods else None,
    }


def latency_run(server: Server, query_file: Path, rate: int, seconds: float, out: Path) -> dict:
    """Fixed-rate load (no quota) with per-query latencies.

    dnsperf 2.10 prints only average and stddev, so percentiles come from its
    `-v` output: one line per answered query whose last field is that query's
    latency in seconds. -c 8 -q 500 leave room for queueing; -Q holds the rate.
    """
    busy0, cpu0, t0 = system.cpu_busy_seconds(), server.cpu_seconds(), time.monotonic()
    summary = dnsperf(
        server.port, query_file, seconds, ["-c", "8", "-q", "500", "-Q", str(rate), "-v"], out
    )
    wall = time.monotonic() - t0
    # Cores busy with anything but the server and dnsperf during the run: a
    # compile starting mid-run shows up here (softirq work adds a little).
    other = system.cpu_busy_seconds() - busy0 - (server.cpu_seconds() - cpu0) - summary["load_cpu_s"]
    latencies = []
    with out.open(errors="replace") as lines:
        for line in lines:
            if line.startswith("> "):
                try:
                    latencies.append(float(line.rsplit(None, 1)[1]))
                except (ValueError, IndexError):
                    pass
    latencies.sort()
    return {
        **summary,
        "rate": rate,
        "background_cores": max(0.0, other / wall),
        "samples": len(latencies),
        "p50_us": percentile(latencies, 0.50) * 1e6 if latencies else None,
        "p99_us": percentile(latencies, 0.99) * 1e6 if latencies else None,
        "p999_us": percentile(latencies, 0.999) * 1e6 if latencies else None,
        "max_us": latencies[-1] * 1e6 if latencies else None,
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(q * len(sorted_values) + 0.5)))
    return sorted_values[min(rank, len(sorted_values)) - 1]
