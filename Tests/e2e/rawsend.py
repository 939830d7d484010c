"""Sends numbered Ethernet frames from an interface at a steady rate (test_route_churn.py).

Run inside the test's network namespace: `python3 rawsend.py IFACE TEMPLATES.pcap RATE`. The
frames of TEMPLATES.pcap are sent round robin, frame n of the run from template n % count, with
the 4 bytes after the template's "SWFT" tag set to n, so a captured frame names its place in the
run and, through it, its destination. Runs until SIGTERM, then prints "sent=N".
Standard library only.
"""
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])

import pktlib  # noqa: E402


def main():
    iface, templates_path, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    templates = [bytearray(f) for f in pktlib.read_pcap(templates_path)]
    offsets = [t.find(b"SWFT") + 4 for t in templates]
    assert all(o >= 4 for o in offsets), "every template needs a SWFT tag"
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    sent = 0
    started = time.monotonic()
    while not stop:
        # Whatever is due by now, in one go: steady on average, cheap in system calls.
        due = int((time.monotonic() - started) * rate)
        while sent < due and not stop:
            i = sent % len(templates)
            frame = templates[i]
            frame[offsets[i]:offsets[i] + 4] = struct.pack("!I", sent)
            sock.send(frame)
            sent += 1
        time.sleep(0.001)
    print(f"sent={sent}", flush=True)


if __name__ == "__main__":
    main()
