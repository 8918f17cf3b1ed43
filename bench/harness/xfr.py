"""Zone transfers (`bench/run --xfr`): a full AXFR of the benchmark zone from
dnsd and from Knot holding the same data, and query capacity while
transfers run back to back.

The client is this process, pinned to the load core: it sends one AXFR and
reads length-prefixed frames, looking at nothing but the end of each frame
(the transfer ends with the zone's SOA, whose last 20 bytes it learns from
the first record), so it costs little next to either server.
"""

from __future__ import annotations

import os
import socket
import statistics
import struct
import threading
import time
from pathlib import Path

from . import data, load, system


def _query(zone: str) -> bytes:
    message = struct.pack(">HHHHHH", 0x5AFE, 0, 1, 0, 0, 0) + data.wire_name(zone)
    message += struct.pack(">HH", 252, 1)
    return struct.pack(">H", len(message)) + message


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise RuntimeError("transfer cut short")
        buf += chunk
    return bytes(buf)


def _skip_name(msg: bytes, at: int) -> int:
    while True:
        length = msg[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:
            return at + 2
        at += 1 + length


def transfer(port: int, zone: str = data.ZONE) -> dict:
    """One AXFR over TCP: seconds to the last byte, bytes and messages."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(_query(zone))
        total, messages, end_marker = 0, 0, None
        while True:
            (length,) = struct.unpack(">H", _read_exact(sock, 2))
            frame = _read_exact(sock, length)
            total += length + 2
            messages += 1
            if end_marker is None:
                rcode = frame[3] & 0x0F
                if rcode:
                    raise RuntimeError(f"AXFR refused (rcode {rcode}) by port {port}")
                at = _skip_name(frame, 12) + 4  # the question
                at = _skip_name(frame, at)  # the SOA's owner
                (rdlen,) = struct.unpack(">H", frame[at + 8 : at + 10])
                rdata_end = at + 10 + rdlen
                # SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM end the SOA.
                end_marker = frame[rdata_end - 20 : rdata_end]
                if len(frame) > rdata_end and frame.endswith(end_marker):
                    break
                continue
            if frame.endswith(end_marker):
                break
    return {"seconds": time.monotonic() - t0, "bytes": total, "messages": messages}


def _pinned(fn):
    """Runs `fn` with this process on the load core."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {system.LOAD_CORE})
    try:
        return fn()
    finally:
        os.sched_setaffinity(0, before)


def measured_transfer(server) -> dict:
    """A transfer with the server's CPU time and peak resident memory."""
    peak = [server.memory().rss_kib]
    done = threading.Event()

    def sample():
        while not done.wait(0.01):
            peak[0] = max(peak[0], server.memory().rss_kib)

    sampler = threading.Thread(target=sample, daemon=True)
    cpu0 = server.cpu_seconds()
    rss0 = peak[0]
    sampler.start()
    try:
        result = _pinned(lambda: transfer(server.port))
    finally:
        done.set()
        sampler.join()
    result["server_cpu_s"] = server.cpu_seconds() - cpu0
    result["rss_before_kib"] = rss0
    result["rss_peak_kib"] = peak[0]
    return result


def bench(args, made: dict, ds: data.Dataset, runs: Path, log) -> dict:
    """Transfers from every server that serves them, interleaved by round,
    then capacity quiet and during back-to-back transfers.

    First, in each round, a transfer right after a restart of each server
    (dnsd copies the zone from its index then). Each round then changes one host's address on each
    server (a dyndns2 update on dnsd, RFC 2136 on Knot), so its first
    transfer is the first of a new serial — dnsd makes it from its last
    packing and the history of changes, later transfers at that serial reuse
    it — and then transfers once more."""
    servers = {name: made[name] for name in ("dnsd", "knot") if name in made}
    out: dict = {name: {"transfers": [], "capacity_quiet": [], "capacity_transferring": []} for name in servers}
    rounds = max(3, args.rounds)
    # The first transfer after a restart: dnsd has no packing to start from.
    for rnd in range(1, rounds + 1):
        order = list(servers.items())
        if rnd % 2 == 0:
            order.reverse()
        for name, server in order:
            server.restart()
            system.wait_quiet(log, args.quiet_wait)
            r = measured_transfer(server)
            r["round"], r["kind"] = rnd, "cold"
            out[name]["transfers"].append(r)
            log(
                f"AXFR round {rnd} {name} (first after a restart): {r['seconds'] * 1e3:.0f} ms, "
                f"server CPU {r['server_cpu_s'] * 1e3:.0f} ms"
            )
    for rnd in range(1, rounds + 1):
        order = list(servers.items())
        if rnd % 2 == 0:
            order.reverse()
        for name, server in order:
            server.change_address(0, 1000 + rnd)
            for kind in ("first", "repeat"):
                system.wait_quiet(log, args.quiet_wait)
                r = measured_transfer(server)
                r["round"], r["kind"] = rnd, kind
                out[name]["transfers"].append(r)
                log(
                    f"AXFR round {rnd} {name} ({kind} of the serial): {r['seconds'] * 1e3:.0f} ms, "
                    f"{r['messages']} messages, {r['bytes'] / 1e6:.1f} MB, server CPU "
                    f"{r['server_cpu_s'] * 1e3:.0f} ms, RSS {r['rss_before_kib'] / 1024:.1f} -> peak "
                    f"{r['rss_peak_kib'] / 1024:.1f} MiB"
                )
    seconds = args.seconds
    for rnd in range(1, args.rounds + 1):
        for name, server in servers.items():
            system.wait_quiet(log, args.quiet_wait)
            quiet = load.capacity_run(server, ds.query_file, seconds, runs, f"cap-xfr-quiet-{name}-{rnd}")
            out[name]["capacity_quiet"].append(quiet)
            stop = threading.Event()
            count = [0]

            def loop(server=server):
                while not stop.is_set():
                    _pinned(lambda: transfer(server.port))
                    count[0] += 1

            worker = threading.Thread(target=loop, daemon=True)
            system.wait_quiet(log, args.quiet_wait)
            worker.start()
            time.sleep(0.2)
            busy = load.capacity_run(server, ds.query_file, seconds, runs, f"cap-xfr-busy-{name}-{rnd}")
            stop.set()
            worker.join()
            busy["transfers"] = count[0]
            out[name]["capacity_transferring"].append(busy)
            drop = 1 - busy["capacity_per_core"] / quiet["capacity_per_core"]
            log(
                f"round {rnd} {name} capacity: {quiet['capacity_per_core'] / 1e3:.0f}k quiet, "
                f"{busy['capacity_per_core'] / 1e3:.0f}k during {count[0]} transfers ({drop:+.1%} drop)"
            )
    for name in servers:
        for kind in ("cold", "first", "repeat"):
            t = [r for r in out[name]["transfers"] if r["kind"] == kind]
            seconds = [r["seconds"] for r in t]
            out[name][f"{kind}_s"] = statistics.median(seconds)
            out[name][f"{kind}_spread_s"] = [min(seconds), max(seconds)]
            out[name][f"{kind}_cpu_s"] = statistics.median(r["server_cpu_s"] for r in t)
        out[name]["peak_rss_kib"] = max(r["rss_peak_kib"] for r in out[name]["transfers"])
        q = statistics.median(r["capacity_per_core"] for r in out[name]["capacity_quiet"])
        b = statistics.median(r["capacity_per_core"] for r in out[name]["capacity_transferring"])
        out[name]["capacity_drop"] = 1 - b / q if q else None
        out[name]["transfers_during_load"] = [r["transfers"] for r in out[name]["capacity_transferring"]]
    return out


def render(size: int, res: dict) -> list[str]:
    """Report lines for one zone size."""
    lines = [
        f"Zone transfer, {size} hosts (medians over rounds, [min-max]: the first transfer after a "
        "restart, the first of a serial after one update, a repeat at that serial; peak RSS during "
        "any transfer; capacity with transfers back to back)",
        f"  {'server':<8} {'cold ms':>17} {'CPU ms':>7} {'first ms':>17} {'CPU ms':>7} {'repeat ms':>10} "
        f"{'CPU ms':>7} {'MB':>6} "
        f"{'msgs':>6} {'RSS MiB':>8} {'peak MiB':>9} {'q/s/core quiet':>15} {'during':>8} {'drop':>7} "
        f"{'transfers':>10}",
    ]
    for name, r in res.items():
        t = r["transfers"][0]
        q = statistics.median(c["capacity_per_core"] for c in r["capacity_quiet"])
        b = statistics.median(c["capacity_per_core"] for c in r["capacity_transferring"])
        def spread(kind: str) -> str:
            lo, hi = r[f"{kind}_spread_s"]
            return f"{r[f'{kind}_s'] * 1e3:.0f} [{lo * 1e3:.0f}-{hi * 1e3:.0f}]"

        cold, first = spread("cold"), spread("first")
        lines.append(
            f"  {name:<8} {cold:>17} {r['cold_cpu_s'] * 1e3:>7.0f} "
            f"{first:>17} {r['first_cpu_s'] * 1e3:>7.0f} "
            f"{r['repeat_s'] * 1e3:>10.0f} {r['repeat_cpu_s'] * 1e3:>7.0f} "
            f"{t['bytes'] / 1e6:>6.1f} {t['messages']:>6} {t['rss_before_kib'] / 1024:>8.1f} "
            f"{r['peak_rss_kib'] / 1024:>9.1f} {q / 1e3:>14.0f}k {b / 1e3:>7.0f}k "
            f"{r['capacity_drop']:>+7.1%} {'/'.join(map(str, r['transfers_during_load'])):>10}"
        )
    if "dnsd" in res and "knot" in res:
        for label, key in (
            ("first transfer after a restart", "cold_s"),
            ("first transfer of a serial", "first_s"),
            ("repeat transfer", "repeat_s"),
        ):
            ratio = res["dnsd"][key] / res["knot"][key]
            verdict = "PASS" if ratio <= 1.0 else "FAIL"
            lines.append(f"  AXFR time dnsd / Knot, {label}: {ratio:.2f} (target <= 1.00: {verdict})")
        drop = res["dnsd"]["capacity_drop"]
        lines.append(
            f"  dnsd capacity drop during transfers: {drop:+.1%} (target <= 10 %: "
            f"{'PASS' if drop <= 0.10 else 'FAIL'}); Knot's: {res['knot']['capacity_drop']:+.1%}"
        )
    return lines
