"""GUIDE rule 4 in pipeline mode, proved on the release binary: neither the receive core (flow
hash, ring enqueue) nor the worker (ring dequeue, the shared forwarding code) makes Swift runtime
calls or malloc/free.

The same traffic as test_hot_path_profile.py (a pcap replayed forever into net_null), but in
pipeline mode with two workers, so the receive core hashes every packet in software (net_pcap
gives no RSS hash). The receive core shares CPU 0 with the main core, the workers share CPU 1
(EAL --lcores): fine for a profile, which looks at which code runs, not how fast.
"""
import shutil
import time

import pytest

import hotpath
from e2elib import pipeline_threading, small_eal

RX_CORE = 3
WORKERS = (1, 2)


def test_pipeline_hot_paths_have_no_runtime_calls(forwarder, dpdk_prefix, tmp_path, needs_root):
    if shutil.which("perf") is None:
        pytest.fail("perf is not installed (scripts/setup installs linux-perf)")
    source = tmp_path / "in.pcap"
    hotpath.write_traffic(source)
    config = tmp_path / "profile.yaml"
    eal = small_eal(dpdk_prefix).replace("worker_cores: [1]", f"worker_cores: [{', '.join(map(str, WORKERS))}]")
    threading = pipeline_threading(rx_cores=[RX_CORE], workers=WORKERS, cpus={0: 0, RX_CORE: 0, 1: 1, 2: 1})
    # Each worker needs a TX queue on every port; net_pcap has one per tx_pcap (nothing is
    # sent this way: everything is routed out of "out").
    config.write_text(eal + threading + hotpath.ports_and_routes(source, in_device_extra=",tx_pcap=/dev/null,tx_pcap=/dev/null"))
    fwd = forwarder(config).start()
    fwd.wait_forwarding()
    time.sleep(1)
    rx_symbols = hotpath.profile(hotpath.thread_named(fwd.proc.pid, rf"worker\D*{RX_CORE}$"), tmp_path / "rx.data")
    worker_symbols = hotpath.profile(hotpath.thread_named(fwd.proc.pid, rf"worker\D*{WORKERS[0]}$"), tmp_path / "worker.data")
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
        bad = hotpath.forbidden(symbols)
        assert not bad, f"runtime calls on the {who}'s hot path: {bad}"
