"""The kernel control plane end to end (issue 4): twins, punt path, neighbors and routes mirrored.

The demo lab (scripts/lib/lab.sh) under names and MACs of this test's own, with `kernel:
{enabled: true}` and NO static neighbors anywhere: the hosts resolve the router by ARP/ND,
which the kernel answers through the twins; the forwarder learns the hosts from the kernel's
neighbor table. Each port's twin is named by `kernel_interface` so the test never meets the
demo's twins. Checked:

  - both hosts ping the router's own IPv4 and IPv6 addresses (the kernel answers);
  - host-to-host ping over IPv4 and IPv6 works, and the fast path forwards it: once the
    neighbors are mirrored, the ports' TX counters rise by the ping count while the twins'
    counters do not;
  - `ip route add 198.18.9.0/24 via 198.18.1.2` in the root namespace makes the fast path forward
    that prefix within a second (h2 owns 198.18.9.1 on lo); `ip route del` stops it;
  - a flood at the router's address: the `local` policer drops, host-to-host pings lose nothing.

Only 198.18.0.0/15 and 2001:db8::/32; the lab, the twins and the route are removed whatever
happens.
"""
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from e2elib import REPO, pipeline_threading, small_eal
from test_route_under_traffic import Lab

ROUTE = "198.18.9.0/24"
TARGET = "198.18.9.1"


class KernelLab(Lab):
    """The lab without static router neighbors in the hosts, and twins named after it."""

    def __init__(self):
        super().__init__()
        tag = self.ports[0][3:9]
        self.twins = [f"swk{tag}t0", f"swk{tag}t1"]

    def _bash(self, body: str) -> None:
        super()._bash("LAB_STATIC_NEIGH=0; " + body)

    def kernel_config(self, tmp_path: Path, prefix: str, policer: str = "", extra: str = "") -> Path:
        text = f"""
eal:
  main_core: 0
  worker_cores: [1]
  memory_mb: 512
  file_prefix: {prefix}
  hugepages: false
fib:
  ipv4_max_routes: 1024
  ipv4_tbl8_groups: 256
  ipv6_max_routes: 1024
  ipv6_tbl8_groups: 256
ports:
  - name: p0
    device: net_af_packet0,iface={self.ports[0]}
    mac: "{self.port_mac[0]}"
    kernel_interface: {self.twins[0]}
    addresses: [198.18.0.1/24, "2001:db8:0::1/64"]
  - name: p1
    device: net_af_packet1,iface={self.ports[1]}
    mac: "{self.port_mac[1]}"
    kernel_interface: {self.twins[1]}
    addresses: [198.18.1.1/24, "2001:db8:1::1/64"]
kernel:
  enabled: true
{policer}
{extra}
"""
        path = tmp_path / "kernel.yaml"
        path.write_text(text)
        return path


@pytest.fixture
def klab(needs_root):
    lab = KernelLab()
    try:
        lab.up()
        yield lab
    finally:
        subprocess.run(["ip", "route", "del", ROUTE], capture_output=True)
        subprocess.run(["ip", "route", "del", ROUTE, "table", "100"], capture_output=True)
        lab.down()
    assert lab.leftovers() == [], f"the lab was not removed: {lab.leftovers()}"


def ping(lab, host: int, dst: str, count=5, interval="0.2", v6=False, check=True) -> str:
    cmd = ["ip", "netns", "exec", lab.ns[host], "ping", "-n", "-c", str(count), "-i", interval, "-W", "1"]
    if v6:
        cmd.append("-6")
    result = subprocess.run(cmd + [dst], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, f"ping from {lab.ns[host]} to {dst} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def received(output: str) -> int:
    for line in output.splitlines():
        if "received" in line:
            return int(line.split(",")[1].split()[0])
    return 0


def wait_ping(lab, host: int, dst: str, v6=False, timeout=15.0) -> None:
    """Pings once until one answer comes: the first packets may wait for ARP/ND."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if received(ping(lab, host, dst, count=1, v6=v6, check=False)) == 1:
            return
    raise AssertionError(f"no answer from {dst} to {lab.ns[host]} within {timeout}s")


def start(forwarder, lab, tmp_path, dpdk_prefix, policer="", extra=""):
    fwd = forwarder(lab.kernel_config(tmp_path, dpdk_prefix, policer, extra)).start()
    fwd.wait_forwarding()
    return fwd


def tx_of(stats, port):
    return next(p["tx_packets"] for p in stats["ports"] if p["name"] == port)


def stop(fwd) -> dict:
    status = fwd.stop()
    assert status == 0, f"swiftfwd exited {status}\n{fwd.describe()}"
    stats = fwd.stats()
    assert stats["mempool"]["leaked"] == 0, stats["mempool"]
    return stats


@pytest.mark.parametrize("pipeline", [False, True], ids=["run-to-completion", "pipeline"])
def test_router_answers_and_hosts_reach_each_other_without_static_neighbors(klab, forwarder, tmp_path, dpdk_prefix, pipeline):
    # Pipeline mode: the receive core sets mbuf->port, which the kernel thread uses to pick
    # the twin; the workers drain the inject rings in their ring loop.
    fwd = start(forwarder, klab, tmp_path, dpdk_prefix, extra=pipeline_threading() if pipeline else "")
    try:
        # The router's own addresses: answered by the kernel through the twins.
        for host, v4, v6 in ((0, "198.18.0.1", "2001:db8:0::1"), (1, "198.18.1.1", "2001:db8:1::1")):
            wait_ping(klab, host, v4)
            wait_ping(klab, host, v6, v6=True)
            assert received(ping(klab, host, v4)) == 5
            assert received(ping(klab, host, v6, v6=True)) == 5
        # Host to host: the first packets wait for the kernel to resolve the far host.
        wait_ping(klab, 0, "198.18.1.2")
        wait_ping(klab, 0, "2001:db8:1::2", v6=True)
        wait_ping(klab, 1, "198.18.0.2")
        wait_ping(klab, 1, "2001:db8:0::2", v6=True)
        time.sleep(0.3)
        # With the neighbors mirrored, every ping is forwarded by the fast path.
        out4 = ping(klab, 0, "198.18.1.2", count=20, interval="0.05")
        out6 = ping(klab, 0, "2001:db8:1::2", count=20, interval="0.05", v6=True)
        assert received(out4) == 20 and received(out6) == 20, out4 + out6
        time.sleep(0.3)
    finally:
        stats = stop(fwd)
    punt = stats["punt"]
    twins = {t["port"]: t for t in punt["kernel"]}
    # What a port sent that did not come from its twin was forwarded by the fast path: at least
    # the 40 echo requests (p1) and the 40 replies (p0) above.
    for port in ("p0", "p1"):
        assert tx_of(stats, port) - twins[port]["rx"] >= 40, (stats["ports"], punt)
    # The kernel answered the pings to the router and resolved the hosts.
    assert twins["p0"]["tx"] > 0 and twins["p0"]["rx"] > 0, punt
    assert punt["classes"]["local"]["punted"] >= 20, punt["classes"]
    assert punt["classes"]["arp_nd"]["punted"] > 0, punt["classes"]
    assert punt["sync"]["neighbors"] >= 4, punt["sync"]


@pytest.mark.parametrize("table", [None, 100], ids=["main", "table-100"])
def test_kernel_route_is_mirrored_into_the_fast_path(klab, forwarder, tmp_path, dpdk_prefix, table):
    klab.run(1, "ip", "addr", "add", f"{TARGET}/32", "dev", "lo")
    in_table = [] if table is None else ["table", str(table)]
    fwd = start(forwarder, klab, tmp_path, dpdk_prefix, policer="" if table is None else f"  table: {table}\n")
    try:
        wait_ping(klab, 0, "198.18.1.2")
        assert received(ping(klab, 0, TARGET, count=2, check=False)) == 0
        subprocess.run(["ip", "route", "add", ROUTE, "via", "198.18.1.2"] + in_table, check=True)
        added = time.monotonic()
        deadline = added + 1.0
        while received(ping(klab, 0, TARGET, count=1, interval="0.2", check=False)) == 0:
            assert time.monotonic() < deadline + 1.0, "the kernel route did not reach the fast path"
        took = time.monotonic() - added
        assert took < 1.0 + 1.0, took          # one ping's own wait (-W 1) included
        assert received(ping(klab, 0, TARGET, count=10, interval="0.05")) == 10
        subprocess.run(["ip", "route", "del", ROUTE] + in_table, check=True)
        time.sleep(1.0)
        assert received(ping(klab, 0, TARGET, count=3, interval="0.2", check=False)) == 0
    finally:
        stats = stop(fwd)
    assert stats["punt"]["sync"]["batches"] >= 2, stats["punt"]["sync"]


def test_flood_at_the_router_is_policed_and_forwarding_continues(klab, forwarder, tmp_path, dpdk_prefix):
    # A low limit for local traffic so that a ping flood certainly exceeds it.
    policer = "  policer:\n    local: {rate: 200, burst: 20}\n"
    fwd = start(forwarder, klab, tmp_path, dpdk_prefix, policer)
    try:
        wait_ping(klab, 0, "198.18.1.2")
        flood = subprocess.Popen(["ip", "netns", "exec", klab.ns[0], "ping", "-f", "-q", "-w", "4", "198.18.0.1"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        out = ping(klab, 0, "198.18.1.2", count=30, interval="0.05")
        assert received(out) == 30, out
        flood.wait(timeout=30)
    finally:
        stats = stop(fwd)
    classes = stats["punt"]["classes"]
    assert classes["local"]["policed"] > 0, classes
    assert classes["local"]["punted"] > 0, classes


def twin_is_up(name: str) -> bool:
    out = subprocess.run(["ip", "-o", "link", "show", name], capture_output=True, text=True).stdout
    flags = out.split("<", 1)[1].split(">", 1)[0].split(",") if "<" in out else []
    return "UP" in flags


def test_twin_follows_the_port_link(forwarder, tmp_path, dpdk_prefix, needs_root):
    """The data ports here are net_tap devices themselves (af_packet reports no link changes):
    setting a data port's kernel interface down takes the port's link down, and its twin must
    follow; up again, the twin comes back with its addresses."""
    tag = uuid.uuid4().hex[:6]
    data = [f"swl{tag}d0", f"swl{tag}d1"]
    twins = [f"swl{tag}t0", f"swl{tag}t1"]
    config = tmp_path / "link.yaml"
    config.write_text(small_eal(dpdk_prefix) + f"""\
ports:
  - name: p0
    device: net_tap0,iface={data[0]}
    mac: "02:00:00:00:77:00"
    kernel_interface: {twins[0]}
    addresses: [198.18.70.1/24, "2001:db8:70::1/64"]
  - name: p1
    device: net_tap1,iface={data[1]}
    mac: "02:00:00:00:77:01"
    kernel_interface: {twins[1]}
    addresses: [198.18.71.1/24]
kernel:
  enabled: true
""")
    fwd = forwarder(config).start()
    fwd.wait_forwarding()
    try:
        subprocess.run(["ip", "link", "set", data[0], "up"], check=True)
        subprocess.run(["ip", "link", "set", data[1], "up"], check=True)
        time.sleep(0.5)
        assert twin_is_up(twins[0]) and twin_is_up(twins[1])
        subprocess.run(["ip", "link", "set", data[0], "down"], check=True)
        deadline = time.monotonic() + 3
        while twin_is_up(twins[0]):
            assert time.monotonic() < deadline, "the twin stayed up after the port's link went down"
            time.sleep(0.05)
        assert twin_is_up(twins[1]), "the other twin must not follow"
        subprocess.run(["ip", "link", "set", data[0], "up"], check=True)
        deadline = time.monotonic() + 3
        while not twin_is_up(twins[0]):
            assert time.monotonic() < deadline, "the twin stayed down after the port's link came back"
            time.sleep(0.05)
        # Its addresses are still there, IPv6 too (keep_addr_on_down).
        shown = subprocess.run(["ip", "addr", "show", twins[0]], capture_output=True, text=True).stdout
        assert "198.18.70.1/24" in shown and "2001:db8:70::1/64" in shown, shown
    finally:
        stats = stop(fwd)
    assert stats["punt"]["sync"]["link_changes"] >= 2, stats["punt"]["sync"]
