"""GUIDE rule 4, proved on the release binary: the worker's hot path makes no Swift runtime
calls (retain/release, exclusivity checks, allocation) and no malloc/free.

The forwarder replays a pcap forever (net_pcap infinite_rx) into a net_null sink while
`perf record` samples the worker thread only. It runs twice: plain, and with the kernel control
plane on, where one frame in eight is addressed to the router itself, so the punt path (punt
decision, policer, punt ring, and the inject rings polled every loop) runs on the worker too. Any sample in a forbidden symbol fails the test;
so does a profile that does not contain the pipeline (it would prove nothing).
"""
import re
import shutil
import subprocess
import time
from pathlib import Path

import uuid

import pytest

import pktlib as p
from e2elib import small_eal

PORT_MAC = "02:00:00:00:00:10"
SINK_NEIGHBOR_MAC = "02:00:00:00:00:22"
FORBIDDEN = re.compile(
    r"^(swift_(retain|release|unknownObjectRetain|unknownObjectRelease|bridgeObjectRetain|"
    r"bridgeObjectRelease|beginAccess|endAccess|allocObject|deallocObject|once)\w*|"
    r"malloc|free|calloc|realloc|__libc_malloc|__libc_free|_int_malloc|_int_free|cfree)$")


def worker_thread(pid: int) -> int:
    for task in Path(f"/proc/{pid}/task").iterdir():
        if "worker" in (task / "comm").read_text():
            return int(task.name)
    raise AssertionError("no EAL worker thread found")


@pytest.mark.parametrize("kernel", [False, True], ids=["plain", "kernel"])
def test_worker_hot_path_has_no_runtime_calls(forwarder, dpdk_prefix, tmp_path, needs_root, kernel):
    if shutil.which("perf") is None:
        pytest.fail("perf is not installed (scripts/setup installs linux-perf)")
    frames = []
    for i in range(512):
        if kernel and i % 8 == 0:
            # To the router: punted (class local), mostly policed at these rates.
            frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV4,
                                     p.ipv4("198.18.0.2", "198.18.0.1", p.udp(1000 + i, 9, b"x" * 18))))
        data = p.udp(1000 + i, 2000, b"x" * 18)
        frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV4,
                                 p.ipv4("198.18.0.2", f"198.19.{i // 256}.{i % 256}", data)))
        frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV6,
                                 p.ipv6("2001:db8::2", f"2001:db8:9::{i:x}", data)))
    source = tmp_path / "in.pcap"
    p.write_pcap(source, frames)
    config = tmp_path / "profile.yaml"
    config.write_text(small_eal(dpdk_prefix) + f"""\
mempool:
  mbufs: 16383
ports:
  - name: in
    device: net_pcap0,rx_pcap={source},infinite_rx=1
    mac: "{PORT_MAC}"
    addresses: [198.18.0.1/24, "2001:db8::1/64"]
  - name: out
    device: net_null0,no-rx=1
    addresses: [198.18.255.1/24, "2001:db8:ff::1/64"]
routes:
  - prefix: 198.19.0.0/16
    via: 198.18.255.2
  - prefix: "2001:db8:9::/48"
    via: "2001:db8:ff::2"
neighbors:
  - address: 198.18.255.2
    mac: "{SINK_NEIGHBOR_MAC}"
    port: out
  - address: "2001:db8:ff::2"
    mac: "{SINK_NEIGHBOR_MAC}"
    port: out
""")
    if kernel:
        tag = uuid.uuid4().hex[:6]
        text = config.read_text()
        text = text.replace('    mac: "' + PORT_MAC + '"\n', '    mac: "' + PORT_MAC + '"\n    kernel_interface: swh' + tag + '0\n')
        text = text.replace("    device: net_null0,no-rx=1\n", "    device: net_null0,no-rx=1\n    kernel_interface: swh" + tag + "1\n")
        config.write_text(text + "kernel:\n  enabled: true\n")
    fwd = forwarder(config).start()
    fwd.wait_forwarding()
    time.sleep(1)
    data = tmp_path / "perf.data"
    tid = worker_thread(fwd.proc.pid)
    record = subprocess.run(["perf", "record", "-q", "-t", str(tid), "-o", str(data), "--", "sleep", "3"],
                            capture_output=True, text=True, timeout=60)
    assert record.returncode == 0, record.stderr
    status = fwd.stop()
    assert status == 0, fwd.describe()
    stats = fwd.stats()
    assert stats["drops"]["no_route"] == 0 and stats["ports"][1]["tx_packets"] > 100000, stats
    if kernel:
        local = stats["punt"]["classes"]["local"]
        assert local["punted"] > 0 and local["policed"] > 0, stats["punt"]

    report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                             "--sort", "sym", "--percent-limit", "0"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    symbols = []
    for line in report.stdout.splitlines():
        m = re.match(r"^\s+([0-9.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if m:
            symbols.append((float(m.group(1)), m.group(2)))
    assert any("BurstPipeline" in s for _, s in symbols), \
        f"the profile does not show the pipeline; it proves nothing:\n{report.stdout[:3000]}"
    bad = [(pct, s) for pct, s in symbols if FORBIDDEN.match(s)]
    assert not bad, f"runtime calls on the worker's hot path: {bad}"
