"""A multipath kernel route becomes ECMP in the fast path (issue 4, item 5).

The kernel control plane's lab (test_kernel_control_plane.KernelLab), where h2 gets a second
next hop: a macvlan `mv0` on its eth0 with a MAC of its own and 198.18.1.3/24 (and
2001:db8:1::3/64), so the two next hops are distinct neighbors on p1's subnet and a frame's
destination MAC says which one the fast path chose; h2 owns the target address on lo. In the
root namespace:

    ip route add 198.19.N.0/24 nexthop via 198.18.1.2 dev TWIN1 nexthop via 198.18.1.3 dev TWIN1

(N of the lab's own, or its IPv6 twin), or the same route from the config (`via: [198.18.1.2,
198.18.1.3]`). h1 sends many UDP flows (one source port each) to the target; h2 records on
which interface each datagram arrived (IP_PKTINFO / IPV6_PKTINFO: eth0 for 198.18.1.2's MAC,
mv0 for 198.18.1.3's). Checked: both next hops receive flows, every flow arrives entirely on
one of them, nothing is lost, the console shows both next hops, and after `ip route del` (kernel
route) no datagram arrives.

Only 198.18.0.0/15 and 2001:db8::/32; the lab and the route are removed whatever happens.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_console import ask, free_port
from test_kernel_control_plane import KernelLab, ping, received, start, stop, wait_ping

FLOWS = 64
PER_FLOW = 10
UDP_PORT = 5999


def family_plan(family: str, n: int):
    """(route, target on h2's lo, h2's second address, next hops, h1's address). The prefix is
    the lab's own (n from its tag): the root namespace's table is shared with any other kernel
    lab running at the same time."""
    if family == "ipv4":
        return f"198.19.{n}.0/24", f"198.19.{n}.1", "198.18.1.3/24", ("198.18.1.2", "198.18.1.3"), "198.18.0.2"
    return f"2001:db8:19:{n:x}::/64", f"2001:db8:19:{n:x}::1", "2001:db8:1::3/64", ("2001:db8:1::2", "2001:db8:1::3"), "2001:db8:0::2"


# Runs in h2: receives for `seconds`, prints {source port: ["interface sequence", ...]} as JSON.
RECEIVER = r"""
import json, socket, struct, sys, time
family, target, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
v6 = family == "ipv6"
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, getattr(socket, "IPV6_RECVPKTINFO", 49), 1)
else:
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_PKTINFO", 8), 1)
s.bind((target, port))
s.settimeout(0.2)
names = {i: n for i, n in socket.if_nameindex()}
seen = {}
print("ready", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        data, ancillary, _, source = s.recvmsg(2048, 256)
    except socket.timeout:
        continue
    ifindex = None
    for level, kind, value in ancillary:
        if v6 and len(value) >= 20:
            ifindex = struct.unpack_from("I", value, 16)[0]
        elif not v6 and len(value) >= 4:
            ifindex = struct.unpack_from("i", value, 0)[0]
    seen.setdefault(str(source[1]), []).append(names.get(ifindex, str(ifindex)) + " " + data.decode().split()[1])
print(json.dumps(seen), flush=True)
"""

# Runs in h1: FLOWS flows from distinct source ports, PER_FLOW datagrams each, interleaved.
SENDER = r"""
import socket, sys, time
family, source, target, port, flows, per_flow = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
af = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
socks = []
for i in range(flows):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.bind((source, 40000 + i))
    socks.append(s)
for n in range(per_flow):
    for s in socks:
        s.sendto(b"ecmp %d" % n, (target, port))
    time.sleep(0.01)
"""


class EcmpLab(KernelLab):
    def __init__(self):
        super().__init__()
        self.n = 100 + int(self.ports[0][3:9], 16) % 100
        self.routes = [family_plan(f, self.n)[0] for f in ("ipv4", "ipv6")]

    def add_second_host(self, address: str) -> None:
        """mv0 on h2's eth0, its own MAC; each interface answers ARP only for its own
        addresses, and no reverse-path filter (datagrams from h1 arrive on mv0 too)."""
        ns = self.ns[1]
        mac = self.host_mac[1][:-2] + "03"
        if subprocess.run(["ip", "-n", ns, "link", "show", "mv0"], capture_output=True).returncode != 0:
            for cmd in (["ip", "-n", ns, "link", "add", "link", "eth0", "name", "mv0", "address", mac, "type", "macvlan", "mode", "bridge"],
                        ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1",
                         "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.eth0.rp_filter=0",
                         "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"],
                        ["ip", "-n", ns, "link", "set", "mv0", "up"],
                        ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.mv0.rp_filter=0"]):
                subprocess.run(cmd, check=True, capture_output=True, timeout=30)
        extra = ["nodad"] if ":" in address else []
        subprocess.run(["ip", "-n", ns, "addr", "add", address, "dev", "mv0"] + extra, check=True, capture_output=True, timeout=30)


@pytest.fixture
def elab(needs_root):
    lab = EcmpLab()
    try:
        lab.up()
        yield lab
    finally:
        for route in lab.routes:
            subprocess.run(["ip", "route", "del", route], capture_output=True)
        lab.down()
    assert lab.leftovers() == [], f"the lab was not removed: {lab.leftovers()}"


def send_flows(lab, family: str, source: str, target: str, seconds: float) -> dict:
    """FLOWS flows from h1; what h2 received, per source port: the interfaces, one per datagram."""
    receiver = subprocess.Popen(["ip", "netns", "exec", lab.ns[1], sys.executable, "-c", RECEIVER,
                                 family, target, str(UDP_PORT), str(seconds)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout.readline().strip() == "ready", receiver.stderr.read()
        subprocess.run(["ip", "netns", "exec", lab.ns[0], sys.executable, "-c", SENDER, family, source, target,
                        str(UDP_PORT), str(FLOWS), str(PER_FLOW)], check=True, timeout=60, capture_output=True)
        out, err = receiver.communicate(timeout=seconds + 30)
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    assert receiver.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def diagnose(lab, console: int, route: str, target: str) -> str:
    """What the kernel and the forwarder hold for the route, for a failure message."""
    out = ""
    for cmd in (["ip", "route", "show", route], ["ip", "neigh", "show", "dev", lab.twins[1]],
                ["ip", "-6", "neigh", "show", "dev", lab.twins[1]]):
        out += "$ " + " ".join(cmd) + "\n" + subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in (f"show route {target}", "show sync", "show neighbors", "show errors"):
        out += f"> {line}\n" + ask(console, line)
    return out[-6000:]


@pytest.mark.parametrize("family,origin", [("ipv4", "kernel"), ("ipv6", "kernel"), ("ipv4", "config")])
def test_multipath_route_spreads_flows_over_both_next_hops(elab, forwarder, tmp_path, dpdk_prefix, family, origin):
    """origin "kernel": the route is added in the root namespace and mirrored; "config": it is
    the config's `via: [a, b]`, and the kernel only resolves the next hops."""
    route, target, second, hops, source = family_plan(family, elab.n)
    v6 = family == "ipv6"
    elab.add_second_host(second)
    elab.run(1, "ip", "addr", "add", target + ("/128" if v6 else "/32"), "dev", "lo")
    console = free_port()
    extra = f"console:\n  listen: 127.0.0.1:{console}\n"
    if origin == "config":
        extra += f"routes:\n  - prefix: {route}\n    via: [{', '.join(hops)}]\n"
    fwd = start(forwarder, elab, tmp_path, dpdk_prefix, extra=extra)
    try:
        # Both next hops resolved by the kernel (punted no_neighbor packets ask it to) and mirrored.
        for hop in hops:
            wait_ping(elab, 0, hop, v6=v6)
        if origin == "kernel":
            # `dev`: another kernel lab running meanwhile has a twin on the same subnet.
            nexthops = []
            for hop in hops:
                nexthops += ["nexthop", "via", hop, "dev", elab.twins[1]]
            subprocess.run(["ip", "route", "add", route] + nexthops, check=True)
        deadline = time.monotonic() + 5
        while received(ping(elab, 0, target, count=1, v6=v6, check=False)) == 0:
            assert time.monotonic() < deadline, f"the multipath route did not reach the fast path\n{diagnose(elab, console, route, target)}"
        shown = ask(console, f"show route {target}")
        assert "next hops" in shown and all(f"via {hop} dev p1" in shown for hop in hops), shown
        assert "not resolved" not in shown, shown

        seen = send_flows(elab, family, source, target, seconds=3.0)
        lost = {port: arrivals for port, arrivals in seen.items() if len(arrivals) != PER_FLOW}
        if lost or len(seen) != FLOWS:
            h2 = subprocess.run(["ip", "netns", "exec", elab.ns[1], "ip", "-s", "link"], capture_output=True, text=True).stdout
            h2 += subprocess.run(["ip", "netns", "exec", elab.ns[1], "nstat", "-az", "Udp*", "Ip*Discard*", "IpInAddrErrors"],
                                 capture_output=True, text=True).stdout
        assert len(seen) == FLOWS, f"{len(seen)} of {FLOWS} flows arrived: {seen}\n{h2}"
        assert not lost, f"flows lost datagrams: {lost}\n{h2}"
        by_interface = {}
        for port, arrivals in seen.items():
            interfaces = [a.split()[0] for a in arrivals]
            assert len(set(interfaces)) == 1, f"flow {port} took both next hops: {interfaces}"
            by_interface[interfaces[0]] = by_interface.get(interfaces[0], 0) + 1
        assert set(by_interface) == {"eth0", "mv0"}, by_interface
        # Equal weights: a fair coin per flow; 64 flows fall outside 16..48 with odds ~1e-4.
        assert 16 <= by_interface["eth0"] <= 48, by_interface

        if origin == "kernel":
            subprocess.run(["ip", "route", "del", route], check=True)
            time.sleep(1.0)
            assert send_flows(elab, family, source, target, seconds=1.5) == {}
    finally:
        stats = stop(fwd)
        drops = {k: v for k, v in stats["drops"].items() if v}
        print(f"{family} {origin}: drops {drops}, punt {stats['punt']['classes']}")
    print(f"{family}: flows per next hop {by_interface}")
    assert stats["punt"]["sync"]["refused"] == 0, stats["punt"]["sync"]
