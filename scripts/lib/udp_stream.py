#!/usr/bin/env python3
"""A dependency-free UDP stream for the demo lab: a sender and a receiver that checks content.

    udp_stream.py recv --bind 198.18.1.2 --port 9000 --count 500 --ready FILE [--idle 3]
    udp_stream.py send --to 198.18.1.2 --port 9000 --count 500 [--size 200] [--interval 0.002]

    udp_stream.py recv --bind 198.18.9.1 --port 9100 --count 0 --ready FILE --log FILE
    udp_stream.py send --to 198.18.9.1 --port 9100 --count 0 --rate 1000

Every datagram carries its sequence number and a payload derived from it, so the receiver can
tell lost, duplicated and corrupted datagrams apart. The receiver prints one line,
`received=N unique=N corrupt=N expected=N`, and exits 0 only if every datagram arrived intact.

`--count 0` runs until SIGTERM or SIGINT (the sender then prints how many it sent, the receiver
its line and exits 0: the caller judges from the log). `--rate` paces the sender on a fixed
schedule, not by sleeping a fixed interval after each send. `--log` writes one line per intact
datagram, `SEQ MONOTONIC_SECONDS`, the time it was read on CLOCK_MONOTONIC, which every network
namespace shares, so a caller can compare it with its own time.monotonic().
"""
import argparse
import signal
import socket
import struct
import sys
import time

# Set by SIGTERM/SIGINT: an open-ended (--count 0) sender or receiver finishes cleanly.
stopping = False


def stop_on_signal() -> None:
    def handler(signum, frame):
        global stopping
        stopping = True
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)

MAGIC = b"SWFD"


def family_of(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def payload(seq: int, size: int) -> bytes:
    head = MAGIC + struct.pack("!I", seq)
    body = bytes((seq + i) & 0xFF for i in range(max(0, size - len(head))))
    return head + body


def recv(args: argparse.Namespace) -> int:
    open_ended = args.count == 0
    if open_ended:
        stop_on_signal()
    sock = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    # Short: an open-ended receiver notices a signal within this time.
    sock.settimeout(0.05 if open_ended else 0.2)
    log = open(args.log, "w", buffering=1) if args.log else None
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready\n")
    seen = set()
    received = corrupt = 0
    deadline = time.monotonic() + args.first_timeout
    while (not stopping) if open_ended else len(seen) < args.count:
        try:
            data = sock.recv(65535)
        except socket.timeout:
            if not open_ended and time.monotonic() > deadline:
                break
            continue
        except InterruptedError:
            continue
        now = time.monotonic()
        received += 1
        deadline = now + args.idle
        if len(data) < 8 or data[:4] != MAGIC:
            corrupt += 1
            continue
        seq = struct.unpack("!I", data[4:8])[0]
        if data != payload(seq, len(data)):
            corrupt += 1
            continue
        seen.add(seq)
        if log:
            log.write(f"{seq} {now:.6f}\n")
    if log:
        log.close()
    print(f"received={received} unique={len(seen)} corrupt={corrupt} expected={args.count or 'open'}", flush=True)
    if open_ended:
        return 0
    return 0 if len(seen) == args.count and corrupt == 0 and received == args.count else 1


def send(args: argparse.Namespace) -> int:
    open_ended = args.count == 0
    if open_ended:
        stop_on_signal()
    sock = socket.socket(family_of(args.to), socket.SOCK_DGRAM)
    start = time.monotonic()
    seq = 0
    while (not stopping) if open_ended else seq < args.count:
        if args.rate > 0:
            due = start + seq / args.rate
            late = time.monotonic() - due
            if late < 0:
                time.sleep(-late)
            elif late > 0.05:
                # Stalled (a busy machine): carry on from now rather than send the backlog in
                # one burst.
                start += late
        sock.sendto(payload(seq, args.size), (args.to, args.port))
        seq += 1
        if args.rate <= 0 and args.interval > 0:
            time.sleep(args.interval)
    print(f"sent={seq} size={args.size} to={args.to}:{args.port}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--bind", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--count", type=int, required=True, help="datagrams expected; 0: until SIGTERM")
    r.add_argument("--ready", help="file written once the socket is bound")
    r.add_argument("--log", help="file: one line 'SEQ MONOTONIC_SECONDS' per intact datagram")
    r.add_argument("--idle", type=float, default=3.0, help="seconds of silence that end the stream")
    r.add_argument("--first-timeout", type=float, default=20.0, help="seconds to wait for the first datagram")
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, required=True, help="datagrams to send; 0: until SIGTERM")
    s.add_argument("--size", type=int, default=200)
    s.add_argument("--interval", type=float, default=0.002, help="seconds slept after each datagram")
    s.add_argument("--rate", type=float, default=0, help="datagrams per second on a fixed schedule (instead of --interval)")
    args = parser.parse_args()
    return recv(args) if args.mode == "recv" else send(args)


if __name__ == "__main__":
    sys.exit(main())
