"""A tiny DNS client: enough to ask one question and read A/AAAA answers.

Used to tell that a server is really serving the zone (startup time, update
visibility), independent of any server's own notion of "ready".
"""

from __future__ import annotations

import random
import socket
import struct

TYPES = {"A": 1, "AAAA": 28, "SOA": 6}


def query_packet(name: str, qtype: str, qid: int | None = None) -> tuple[int, bytes]:
    qid = random.randrange(65536) if qid is None else qid
    header = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)  # RD off: authoritative
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return qid, header + qname + struct.pack(">HH", TYPES[qtype], 1)


def _skip_name(packet: bytes, pos: int) -> int:
    while True:
        length = packet[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += length + 1


def parse_answers(packet: bytes, qid: int) -> tuple[int, list[str]] | None:
    """(rcode, addresses in the answer) or None if not our response."""
    if len(packet) < 12:
        return None
    rid, flags, qd, an, _ns, _ar = struct.unpack(">HHHHHH", packet[:12])
    if rid != qid or not flags & 0x8000:
        return None
    pos = 12
    for _ in range(qd):
        pos = _skip_name(packet, pos) + 4
    out = []
    for _ in range(an):
        pos = _skip_name(packet, pos)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", packet[pos : pos + 10])
        pos += 10
        rdata = packet[pos : pos + rdlen]
        pos += rdlen
        if rtype == 1:
            out.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28:
            out.append(socket.inet_ntop(socket.AF_INET6, rdata))
    return flags & 0x000F, out


class Resolver:
    """One UDP socket to one server; `ask` returns the addresses or None."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 0.05):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.addr = (host, port)

    def ask(self, name: str, qtype: str = "A") -> list[str] | None:
        qid, packet = query_packet(name, qtype)
        try:
            self.sock.sendto(packet, self.addr)
            while True:
                data, _ = self.sock.recvfrom(4096)
                parsed = parse_answers(data, qid)
                if parsed is not None:
                    return parsed[1]
        except OSError:  # timeout, or connection refused while not bound yet
            return None

    def close(self) -> None:
        self.sock.close()
