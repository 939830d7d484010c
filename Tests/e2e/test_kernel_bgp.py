"""A real routing daemon programs the fast path through the kernel (issue 4).

The kernel control plane lab of test_kernel_control_plane.py (twins under names of its own, no
static neighbors). BIRD 2 runs twice: in the root namespace, where the twins are, peering BGP
from 198.18.1.1 (AS 65001) over the twin of p1 and exporting what it learns into the kernel's
main table; and in h2 (198.18.1.2, AS 65002), announcing 198.18.20.0/24 (h2 owns 198.18.20.1 on
lo). The BGP session itself runs through the punt path (class `routing`) and back through the
inject ring. Checked: the session comes up; the kernel route (proto bird) is mirrored and h1's
pings to 198.18.20.1 are answered, forwarded by the fast path (the forwarder counts a mirrored
route); a ping flood at the router's address (the `local` class held to 200 packets/s) is
policed while the pings to the prefix all pass and the session stays up; after h2 withdraws
the prefix, the pings stop. eBGP sends with TTL 1, so the session also shows that punted
packets reach the kernel with their TTL untouched.

Only 198.18.0.0/15; both daemons, the lab and the twins are removed whatever happens.
"""
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_kernel_control_plane import KernelLab, ping, received, start, stop, wait_ping

PREFIX = "198.18.20.0/24"
TARGET = "198.18.20.1"


@pytest.fixture
def klab(needs_root):
    if shutil.which("bird") is None or shutil.which("birdc") is None:
        pytest.fail("BIRD 2 is missing: run 'bash scripts/setup' (it installs bird2)")
    lab = KernelLab()
    try:
        lab.up()
        yield lab
    finally:
        lab.down()
    assert lab.leftovers() == [], f"the lab was not removed: {lab.leftovers()}"


class Bird:
    """One BIRD in the foreground, in a namespace or the root one, with its own socket."""

    def __init__(self, workdir: Path, name: str, config: str, netns: str = None):
        self.socket = str(workdir / f"{name}.ctl")
        path = workdir / f"{name}.conf"
        path.write_text(config)
        prefix = ["ip", "netns", "exec", netns] if netns else []
        self.prefix = prefix
        self.log = open(workdir / f"{name}.log", "w")
        self.proc = subprocess.Popen(prefix + ["bird", "-f", "-c", str(path), "-s", self.socket,
                                               "-P", str(workdir / f"{name}.pid")],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def ctl(self, *command: str) -> str:
        result = subprocess.run(self.prefix + ["birdc", "-s", self.socket, *command],
                                capture_output=True, text=True, timeout=10)
        return result.stdout + result.stderr

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


ROUTER_CONF = """
router id 198.18.1.1;
protocol device { }
# Only what BGP learns goes into the kernel; nothing is read from it.
protocol kernel { ipv4 { import none; export all; }; }
protocol bgp h2 {
  local 198.18.1.1 as 65001;
  neighbor 198.18.1.2 as 65002;
  hold time 9;
  ipv4 { import all; export none; };
}
"""

HOST_CONF = """
router id 198.18.1.2;
protocol device { }
protocol static announced { ipv4; route 198.18.20.0/24 blackhole; }
protocol bgp to_router {
  local 198.18.1.2 as 65002;
  neighbor 198.18.1.1 as 65001;
  hold time 9;
  ipv4 { import none; export where net = 198.18.20.0/24; };
}
"""


def kernel_has_route() -> bool:
    out = subprocess.run(["ip", "route", "show", PREFIX], capture_output=True, text=True).stdout
    return "198.18.1.2" in out


def test_bgp_route_from_bird_is_forwarded_by_the_fast_path(klab, forwarder, tmp_path, dpdk_prefix):
    klab.run(1, "ip", "addr", "add", f"{TARGET}/32", "dev", "lo")
    fwd = start(forwarder, klab, tmp_path, dpdk_prefix, policer="  policer:\n    local: {rate: 200, burst: 20}\n")
    birds = []
    try:
        wait_ping(klab, 0, "198.18.1.2")
        wait_ping(klab, 1, "198.18.1.1")
        birds.append(Bird(tmp_path, "router", ROUTER_CONF))
        birds.append(Bird(tmp_path, "h2", HOST_CONF, netns=klab.ns[1]))
        router, host = birds
        deadline = time.monotonic() + 30
        while not kernel_has_route():
            assert time.monotonic() < deadline, \
                f"no BGP route in the kernel within 30 s\n{router.ctl('show', 'protocols', 'all', 'h2')}"
            time.sleep(0.2)
        # The mirror puts it in the FIB within milliseconds; allow one ping's worth.
        wait_ping(klab, 0, TARGET, timeout=5)
        out = ping(klab, 0, TARGET, count=20, interval="0.05")
        assert received(out) == 20, out
        # A flood at the router: policed; forwarding and the BGP session carry on.
        flood = subprocess.Popen(["ip", "netns", "exec", klab.ns[0], "ping", "-f", "-q", "-w", "4", "198.18.0.1"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        out = ping(klab, 0, TARGET, count=40, interval="0.05")
        assert received(out) == 40, out
        flood.wait(timeout=30)
        assert "Established" in router.ctl("show", "protocols", "h2"), "the BGP session fell during the flood"
        # Withdraw: h2 stops announcing; BIRD removes the kernel route; the fast path follows.
        host.ctl("disable", "announced")
        deadline = time.monotonic() + 10
        while kernel_has_route():
            assert time.monotonic() < deadline, "the withdrawn route stayed in the kernel"
            time.sleep(0.1)
        time.sleep(1.0)
        assert received(ping(klab, 0, TARGET, count=3, interval="0.2", check=False)) == 0
        assert "Established" in router.ctl("show", "protocols", "h2"), "the BGP session did not stay up"
    finally:
        for bird in birds:
            bird.stop()
        stats = stop(fwd)
        subprocess.run(["ip", "route", "del", PREFIX], capture_output=True)
    punt = stats["punt"]
    assert punt["classes"]["routing"]["punted"] > 0, punt["classes"]
    assert punt["classes"]["routing"]["policed"] == 0, punt["classes"]
    assert punt["classes"]["local"]["policed"] > 0, punt["classes"]
    assert punt["sync"]["batches"] > 0, punt["sync"]
    assert stats["drops"]["no_route"] > 0, "the pings after the withdrawal were not dropped as no_route"
