#!/usr/bin/env python3
"""Prints a running DPDK process's port counters through its telemetry socket.

    telemetry.py FILE_PREFIX [PORT_NAME ...]

DPDK serves /var/run/dpdk/<prefix>/dpdk_telemetry.v2 (SOCK_SEQPACKET, one JSON reply per
command), so the counters can be read from outside the process while it forwards.
"""
import json
import socket
import sys

FIELDS = ["ipackets", "opackets", "ibytes", "obytes", "imissed", "ierrors", "oerrors", "rx_nombuf"]


def query(sock: socket.socket, command: str):
    sock.send(command.encode())
    reply = json.loads(sock.recv(1 << 20).decode())
    return reply.get(command.split(",")[0])


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    prefix, names = sys.argv[1], sys.argv[2:]
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
    except OSError as error:
        print(f"telemetry: cannot reach {path}: {error}", file=sys.stderr)
        return 1
    sock.recv(1 << 16)  # the greeting: version and limits
    ports = query(sock, "/ethdev/list") or []
    print("  " + "port".ljust(8) + "".join(f.rjust(12) for f in FIELDS))
    for port in ports:
        stats = query(sock, f"/ethdev/stats,{port}") or {}
        label = names[port] if port < len(names) else str(port)
        print("  " + label.ljust(8) + "".join(str(stats.get(f, "-")).rjust(12) for f in FIELDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
