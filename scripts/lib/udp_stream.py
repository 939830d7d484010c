#!/usr/bin/env python3
"""A dependency-free UDP stream for the demo lab: a sender and a receiver that checks content.

    udp_stream.py recv --bind 198.18.1.2 --port 9000 --count 500 --ready FILE [--idle 3]
    udp_stream.py send --to 198.18.1.2 --port 9000 --count 500 [--size 200] [--interval 0.002]

Every datagram carries its sequence number and a payload derived from it, so the receiver can
tell lost, duplicated and corrupted datagrams apart. The receiver prints one line,
`received=N unique=N corrupt=N expected=N`, and exits 0 only if every datagram arrived intact.
"""
import argparse
import socket
import struct
import sys
import time

MAGIC = b"SWFD"


def family_of(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def payload(seq: int, size: int) -> bytes:
    head = MAGIC + struct.pack("!I", seq)
    body = bytes((seq + i) & 0xFF for i in range(max(0, size - len(head))))
    return head + body


def recv(args: argparse.Namespace) -> int:
    sock = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    sock.settimeout(0.2)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready\n")
    seen = set()
    received = corrupt = 0
    deadline = time.monotonic() + args.first_timeout
    while len(seen) < args.count:
        try:
            data = sock.recv(65535)
        except socket.timeout:
            if time.monotonic() > deadline:
                break
            continue
        received += 1
        deadline = time.monotonic() + args.idle
        if len(data) < 8 or data[:4] != MAGIC:
            corrupt += 1
            continue
        seq = struct.unpack("!I", data[4:8])[0]
        if data != payload(seq, len(data)):
            corrupt += 1
            continue
        seen.add(seq)
    print(f"received={received} unique={len(seen)} corrupt={corrupt} expected={args.count}", flush=True)
    return 0 if len(seen) == args.count and corrupt == 0 and received == args.count else 1


def send(args: argparse.Namespace) -> int:
    sock = socket.socket(family_of(args.to), socket.SOCK_DGRAM)
    for seq in range(args.count):
        sock.sendto(payload(seq, args.size), (args.to, args.port))
        if args.interval > 0:
            time.sleep(args.interval)
    print(f"sent={args.count} size={args.size} to={args.to}:{args.port}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--bind", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--ready", help="file written once the socket is bound")
    r.add_argument("--idle", type=float, default=3.0, help="seconds of silence that end the stream")
    r.add_argument("--first-timeout", type=float, default=20.0, help="seconds to wait for the first datagram")
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--size", type=int, default=200)
    s.add_argument("--interval", type=float, default=0.002)
    args = parser.parse_args()
    return recv(args) if args.mode == "recv" else send(args)


if __name__ == "__main__":
    sys.exit(main())
