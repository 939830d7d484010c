"""Shutdown: SIGTERM and SIGINT stop the forwarder cleanly, idle or under load.

A clean stop exits 0, prints the final counters and the mbuf leak check, writes --stats-json,
and returns every mbuf to the pool (leaked == 0). Under load, net_pcap replays a pcap forever
(infinite_rx) into a net_null sink, so the signal lands while bursts are in flight.
"""
import re
import signal
import time

import pytest

import pktlib as P
from e2elib import check_stats_shape, small_eal

PORT_MAC = {"p0": "02:00:00:00:00:00", "p1": "02:00:00:00:00:01"}
H2_MAC = "02:00:00:00:02:02"


def traffic(count: int) -> list:
    frames = []
    for i in range(count):
        data = P.tagged(i, 64)
        if i % 2:
            ip = P.ipv6("2001:db8:0::2", "2001:db8:1::2", P.udp(40000, 9, data))
            frames.append(P.ethernet(PORT_MAC["p0"], "02:00:00:00:01:02", P.ETH_IPV6, ip))
        else:
            ip = P.ipv4("198.18.0.2", "198.18.1.2", P.udp(40000, 9, data))
            frames.append(P.ethernet(PORT_MAC["p0"], "02:00:00:00:01:02", P.ETH_IPV4, ip))
    return frames


def config(prefix: str, rx_pcap, busy: bool) -> str:
    source = f"net_pcap0,rx_pcap={rx_pcap},infinite_rx=1" if busy else f"net_pcap0,rx_pcap={rx_pcap}"
    return small_eal(prefix) + f"""\
ports:
  - name: p0
    device: "{source}"
    mac: "{PORT_MAC['p0']}"
    addresses: [198.18.0.1/24, "2001:db8:0::1/64"]
  - name: p1
    device: "net_null0,no-rx=1"
    mac: "{PORT_MAC['p1']}"
    addresses: [198.18.1.1/24, "2001:db8:1::1/64"]
neighbors:
  - {{address: 198.18.1.2, mac: "{H2_MAC}", port: p1}}
  - {{address: "2001:db8:1::2", mac: "{H2_MAC}", port: p1}}
"""


@pytest.mark.parametrize("load", ["idle", "busy"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(sig, load, forwarder, tmp_path, dpdk_prefix):
    frames = traffic(64)
    P.write_pcap(tmp_path / "in.pcap", frames)
    cfg = tmp_path / "shutdown.yaml"
    cfg.write_text(config(dpdk_prefix, tmp_path / "in.pcap", busy=load == "busy"))

    fwd = forwarder(cfg).start()
    fwd.wait_forwarding()
    time.sleep(2)
    assert fwd.proc.poll() is None, f"swiftfwd stopped by itself\n{fwd.describe()}"
    before = fwd.mark()
    status = fwd.stop(sig)
    assert status == 0, f"exit status {status} after {sig.name}\n{fwd.describe()}"

    report = fwd.output_since(before)
    assert re.search(r"p0", report) and re.search(r"\d", report), \
        f"no final counters printed after {sig.name}:\n{report}"
    assert re.search(r"leak|mbuf pool", report, re.IGNORECASE), f"no mbuf leak check reported after {sig.name}:\n{report}"

    stats = fwd.stats()
    check_stats_shape(stats)
    ports = {p["name"]: p for p in stats["ports"]}
    if load == "idle":
        assert ports["p0"]["rx_packets"] == len(frames), ports["p0"]
        assert ports["p1"]["tx_packets"] == len(frames), ports["p1"]
    else:
        assert ports["p0"]["rx_packets"] > len(frames), f"infinite_rx delivered only {ports['p0']['rx_packets']}"
        dropped = {k: v for k, v in stats["drops"].items() if v}
        assert ports["p1"]["tx_packets"] + sum(dropped.values()) == ports["p0"]["rx_packets"], \
            f"packets in flight at shutdown must be sent or counted as drops: {ports}, drops {dropped}"
    mempool = stats["mempool"]
    assert mempool["leaked"] == 0, f"{mempool}\n{fwd.describe()}"
    assert mempool["available"] == mempool["size"], mempool


def test_duration_stops_by_itself(forwarder, tmp_path, dpdk_prefix):
    P.write_pcap(tmp_path / "in.pcap", traffic(8))
    cfg = tmp_path / "duration.yaml"
    cfg.write_text(config(dpdk_prefix, tmp_path / "in.pcap", busy=False))
    fwd = forwarder(cfg, duration=2).start()
    fwd.wait_forwarding()
    started = time.monotonic()
    status = fwd.wait(timeout=30)
    assert status == 0, f"exit status {status}\n{fwd.describe()}"
    assert time.monotonic() - started < 15, "--duration 2 ran far longer than 2 seconds"
    assert fwd.stats()["mempool"]["leaked"] == 0
