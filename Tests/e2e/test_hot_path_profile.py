"""GUIDE rule 4, proved on the release binary: the worker's hot path makes no Swift runtime
calls (retain/release, exclusivity checks, allocation) and no malloc/free.

The forwarder replays a pcap forever (net_pcap infinite_rx) into a net_null sink while
`perf record` samples the worker thread only. It runs twice: plain, and with the kernel control
plane on, where one frame in eight is addressed to the router itself, so the punt path (punt
decision, policer, punt ring, and the inject rings polled every loop) runs on the worker too.
Any sample in a forbidden symbol fails the test;
so does a profile that does not contain the pipeline (it would prove nothing).
"""
import shutil
import time
import uuid

import pytest

import hotpath
from e2elib import small_eal


@pytest.mark.parametrize("kernel", [False, True], ids=["plain", "kernel"])
def test_worker_hot_path_has_no_runtime_calls(forwarder, dpdk_prefix, tmp_path, needs_root, kernel):
    if shutil.which("perf") is None:
        pytest.fail("perf is not installed (scripts/setup installs linux-perf)")
    source = tmp_path / "in.pcap"
    hotpath.write_traffic(source, router_every=8 if kernel else 0)
    config = tmp_path / "profile.yaml"
    config.write_text(small_eal(dpdk_prefix) + hotpath.ports_and_routes(source))
    if kernel:
        tag = uuid.uuid4().hex[:6]
        text = config.read_text()
        text = text.replace('    mac: "' + hotpath.PORT_MAC + '"\n', '    mac: "' + hotpath.PORT_MAC + '"\n    kernel_interface: swh' + tag + '0\n')
        text = text.replace("    device: net_null0,no-rx=1\n", "    device: net_null0,no-rx=1\n    kernel_interface: swh" + tag + "1\n")
        config.write_text(text + "kernel:\n  enabled: true\n")
    fwd = forwarder(config).start()
    fwd.wait_forwarding()
    time.sleep(1)
    symbols = hotpath.profile(hotpath.thread_named(fwd.proc.pid, "worker"), tmp_path / "perf.data")
    status = fwd.stop()
    assert status == 0, fwd.describe()
    stats = fwd.stats()
    assert stats["drops"]["no_route"] == 0 and stats["ports"][1]["tx_packets"] > 100000, stats
    if kernel:
        local = stats["punt"]["classes"]["local"]
        assert local["punted"] > 0 and local["policed"] > 0, stats["punt"]

    assert any("BurstPipeline" in s for _, s in symbols), \
        f"the profile does not show the pipeline; it proves nothing: {symbols[:30]}"
    bad = hotpath.forbidden(symbols)
    assert not bad, f"runtime calls on the worker's hot path: {bad}"
