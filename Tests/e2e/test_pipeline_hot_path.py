"""GUIDE rule 4 in pipeline mode, proved on the release binary: neither the receive core (flow
hash, ring enqueue) nor the worker (ring dequeue, the shared forwarding code) makes Swift runtime
calls or malloc/free.

The same traffic as test_hot_path_profile.py (a pcap replayed forever into net_null), but in
pipeline mode with two workers, so the receive core hashes every packet in software (net_pcap
gives no RSS hash). The receive core shares CPU 0 with the main core, the workers share CPU 1
(EAL --lcores): fine for a profile, which looks at which code runs, not how fast.
"""
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import pktlib as p
from e2elib import pipeline_threading, small_eal
from test_hot_path_profile import FORBIDDEN, PORT_MAC, SINK_NEIGHBOR_MAC

RX_CORE = 3
WORKERS = (1, 2)


def lcore_thread(pid: int, lcore: int) -> int:
    """The thread EAL runs lcore `lcore` on (named lcore-worker-N in DPDK 22.11)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        name = (task / "comm").read_text().strip()
        if "worker" in name and re.search(rf"\D{lcore}$", name):
            return int(task.name)
    names = [(t / "comm").read_text().strip() for t in Path(f"/proc/{pid}/task").iterdir()]
    raise AssertionError(f"no EAL thread for lcore {lcore} among {names}")


def profile(tid: int, data: Path) -> list:
    record = subprocess.run(["perf", "record", "-q", "-t", str(tid), "-o", str(data), "--", "sleep", "3"],
                            capture_output=True, text=True, timeout=60)
    assert record.returncode == 0, record.stderr
    report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                             "--sort", "sym", "--percent-limit", "0"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    symbols = []
    for line in report.stdout.splitlines():
        m = re.match(r"^\s+([0-9.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if m:
            symbols.append((float(m.group(1)), m.group(2)))
    return symbols


def test_pipeline_hot_paths_have_no_runtime_calls(forwarder, dpdk_prefix, tmp_path, needs_root):
    if shutil.which("perf") is None:
        pytest.fail("perf is not installed (scripts/setup installs linux-perf)")
    frames = []
    for i in range(512):
        data = p.udp(1000 + i, 2000, b"x" * 18)
        frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV4,
                                 p.ipv4("198.18.0.2", f"198.19.{i // 256}.{i % 256}", data)))
        frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV6,
                                 p.ipv6("2001:db8::2", f"2001:db8:9::{i:x}", data)))
    source = tmp_path / "in.pcap"
    p.write_pcap(source, frames)
    config = tmp_path / "profile.yaml"
    eal = small_eal(dpdk_prefix).replace("worker_cores: [1]", f"worker_cores: [{', '.join(map(str, WORKERS))}]")
    threading = pipeline_threading(rx_cores=[RX_CORE], workers=WORKERS, cpus={0: 0, RX_CORE: 0, 1: 1, 2: 1})
    config.write_text(eal + threading + f"""\
mempool:
  mbufs: 16383
ports:
  - name: in
    # Each worker needs a TX queue on every port; net_pcap has one per tx_pcap (nothing is
    # sent this way: everything is routed out of "out").
    device: net_pcap0,rx_pcap={source},infinite_rx=1,tx_pcap=/dev/null,tx_pcap=/dev/null
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
    fwd = forwarder(config).start()
    fwd.wait_forwarding()
    time.sleep(1)
    rx_symbols = profile(lcore_thread(fwd.proc.pid, RX_CORE), tmp_path / "rx.data")
    worker_symbols = profile(lcore_thread(fwd.proc.pid, WORKERS[0]), tmp_path / "worker.data")
    status = fwd.stop()
    assert status == 0, fwd.describe()
    stats = fwd.stats()
    assert stats["drops"]["no_route"] == 0 and stats["ports"][1]["tx_packets"] > 100000, stats
    assert stats["mempool"]["leaked"] == 0, stats["mempool"]
    assert all(r["enqueued"] > 0 for r in stats["rings"]), stats["rings"]

    assert any("RxCore" in s for _, s in rx_symbols), f"the receive core's profile does not show RxCore: {rx_symbols[:20]}"
    assert any("BurstPipeline" in s or "Worker" in s for _, s in worker_symbols), \
        f"the worker's profile does not show the pipeline: {worker_symbols[:20]}"
    for who, symbols in (("receive core", rx_symbols), ("worker", worker_symbols)):
        bad = [(pct, s) for pct, s in symbols if FORBIDDEN.match(s)]
        assert not bad, f"runtime calls on the {who}'s hot path: {bad}"
