#!/usr/bin/env python3
"""Checks swiftfwd's final counters (--stats-json) after the demo lab's traffic.

    demo_verify.py STATS_JSON --tx p0=N --tx p1=N [--expect-drop REASON=N ...] [--icmp-errors N]

Prints the counters, then one line per check; exits 0 only if every check holds:
  - each port sent exactly the packets the demo forwarded out of it (pings and UDP),
  - software and hardware (ethdev) counters agree per port,
  - every received packet was either sent or counted under a drop reason (ICMP errors the
    router sent itself are part of what was sent),
  - the only drops are the hosts' own multicast and link noise and the expected ones (the
    traceroute probes that expire), never a forwarding failure,
  - the router sent exactly the expected ICMP errors,
  - no mbuf leaked.
With the kernel control plane on (stats key `punt`), what a port sent that came from its twin
is not counted as forwarded, packets handed to the kernel count as accounted for, and the
kernel must have answered for the router (punted `local` packets, packets back from the twins).
"""
import argparse
import json
import sys

# What the hosts' kernels send on their own (IPv6 MLD reports, router solicitations) arrives
# with group MACs; nothing else may be dropped in the lab.
NOISE = {"eth_multicast", "eth_not_for_us", "unsupported_ethertype", "local"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stats")
    parser.add_argument("--tx", action="append", default=[], help="PORT=N: packets PORT must have sent")
    parser.add_argument("--expect-drop", action="append", default=[], help="REASON=N: exactly N drops for REASON")
    parser.add_argument("--icmp-errors", type=int, help="ICMP errors the router must have sent")
    args = parser.parse_args()
    with open(args.stats) as f:
        stats = json.load(f)

    ports = {p["name"]: p for p in stats["ports"]}
    drops = stats["drops"]
    mempool = stats["mempool"]

    print("  port      rx_packets  tx_packets  hw.ipackets  hw.opackets  imissed  oerrors")
    for name, p in ports.items():
        hw = p["hw"]
        print(f"  {name:8} {p['rx_packets']:11} {p['tx_packets']:11} {hw['ipackets']:12} "
              f"{hw['opackets']:12} {hw['imissed']:8} {hw['oerrors']:8}")
    print("  drops: " + (", ".join(f"{k}={v}" for k, v in sorted(drops.items()) if v) or "none"))
    print(f"  mempool: size={mempool['size']} available={mempool['available']} leaked={mempool['leaked']}")

    failures = []

    def check(ok: bool, what: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    punt = stats.get("punt")
    # Per port, what the kernel sent out of its twin (it left through the port too).
    from_kernel = {t["port"]: t["rx"] - t["rx_dropped"] for t in punt["kernel"]} if punt else {}
    for spec in args.tx:
        name, n = spec.split("=")
        got = ports.get(name, {}).get("tx_packets")
        if punt:
            got = None if got is None else got - from_kernel.get(name, 0)
            check(got == int(n), f"{name} forwarded {got} packets (tx minus {from_kernel.get(name, 0)} from its twin), expected {n}")
        else:
            check(got == int(n), f"{name} sent {got} packets, expected {n}")
    for name, p in ports.items():
        hw = p["hw"]
        check(p["rx_packets"] == hw["ipackets"],
              f"{name}: rx_packets {p['rx_packets']} == hw.ipackets {hw['ipackets']}")
        check(p["tx_packets"] == hw["opackets"],
              f"{name}: tx_packets {p['tx_packets']} == hw.opackets {hw['opackets']}")
        check(hw["oerrors"] == 0, f"{name}: hw.oerrors {hw['oerrors']} == 0")
    rx = sum(p["rx_packets"] for p in ports.values())
    tx = sum(p["tx_packets"] for p in ports.values())
    dropped = sum(drops.values())
    icmp = stats.get("icmp_errors", {}).get("sent", 0)
    if punt:
        punted = sum(c["punted"] for c in punt["classes"].values())
        injected = punt["injected"]
        check(rx + icmp + injected == tx + dropped + punted,
              f"received {rx} + ICMP errors sent {icmp} + from the kernel {injected} == sent {tx} + dropped {dropped} + to the kernel {punted}")
        check(punt["classes"]["local"]["punted"] > 0 and sum(from_kernel.values()) > 0,
              f"the kernel answered for the router: {punt['classes']['local']['punted']} local packets punted, "
              f"{sum(from_kernel.values())} sent back through the twins")
        check(punt["ring_full"] == 0, f"punt rings never full ({punt['ring_full']})")
        check(punt["sync"]["neighbors"] >= 4, f"neighbors mirrored from the kernel: {punt['sync']['neighbors']} (at least the 4 host addresses)")
    else:
        check(rx + icmp == tx + dropped, f"received {rx} + ICMP errors sent {icmp} == sent {tx} + dropped {dropped}")
    expected = dict((k, int(v)) for k, v in (spec.split("=") for spec in args.expect_drop))
    for reason, n in expected.items():
        check(drops.get(reason) == n, f"{reason}: {drops.get(reason)} drops, expected {n}")
    if args.icmp_errors is not None:
        check(icmp == args.icmp_errors, f"ICMP errors sent {icmp}, expected {args.icmp_errors}")
    unexpected = {k: v for k, v in drops.items() if v and k not in NOISE and k not in expected}
    check(not unexpected, f"no forwarding drops (found: {unexpected or 'none'})")
    check(mempool["leaked"] == 0, f"mempool leaked {mempool['leaked']} == 0")

    if failures:
        print(f"demo: {len(failures)} counter check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
