"""A client for DPDK's telemetry socket (v2), the same reader for both forwarders.

EAL serves /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2 as SOCK_SEQPACKET: on connect it
sends one JSON message describing itself (with max_output_len), then answers each command
("/ethdev/stats,1") with one JSON message {"<command>": <value>}.

Usable as a script too:  python3 telemetry.py PREFIX /ethdev/stats,1
"""

import json
import os
import socket
import sys
import time


def socket_path(prefix):
    return f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"


class Telemetry:
    def __init__(self, prefix, timeout=5.0):
        self.path = socket_path(prefix)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        self.sock.connect(self.path)
        hello = json.loads(self.sock.recv(65536).decode())
        self.max_len = int(hello.get("max_output_len", 16384))

    def query(self, command):
        self.sock.send(command.encode())
        reply = json.loads(self.sock.recv(self.max_len + 1024).decode())
        key = command.split(",", 1)[0]
        if key not in reply:
            raise RuntimeError(f"telemetry {self.path}: unexpected reply to {command}: {reply}")
        return reply[key]

    def port_stats(self, port):
        """(monotonic time, stats dict) for one ethdev port, the time taken mid-query."""
        t0 = time.monotonic()
        stats = self.query(f"/ethdev/stats,{port}")
        t1 = time.monotonic()
        if not isinstance(stats, dict):
            raise RuntimeError(f"telemetry {self.path}: no stats for port {port}: {stats}")
        return (t0 + t1) / 2, stats

    def heap_bytes(self):
        """Bytes allocated in all DPDK malloc heaps (/eal/heap_info), or None."""
        try:
            total = 0
            heaps = self.query("/eal/heap_list")
            if isinstance(heaps, dict):
                heaps = heaps.get("Heap_id", [])
            for heap in heaps:
                info = self.query(f"/eal/heap_info,{heap}")
                total += int(info.get("Alloc_size", 0))
            return total
        except (RuntimeError, OSError, ValueError, AttributeError):
            return None

    def close(self):
        self.sock.close()


def wait_for(prefix, deadline):
    """Connect once the socket exists and answers; None if deadline (monotonic) passes."""
    while time.monotonic() < deadline:
        if os.path.exists(socket_path(prefix)):
            try:
                return Telemetry(prefix)
            except OSError:
                pass
        time.sleep(0.1)
    return None


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: telemetry.py FILE_PREFIX COMMAND")
    t = Telemetry(sys.argv[1])
    print(json.dumps(t.query(sys.argv[2]), indent=2))
