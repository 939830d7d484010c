"""Pipeline mode under pressure: rings of the smallest size allowed (32), bursty input from many
flows, and two workers that are often not running, so rings overflow.

The receive core has CPU 0 to itself (beside the idle main core) and reads the pcap as fast as
net_pcap gives it; the two workers share CPU 1 (EAL --lcores 0@0,3@0,1@1,2@1), so each is
descheduled for scheduler time slices at a time, while its 32-slot ring fills in microseconds.
Packets the ring refuses must be freed and counted as ring_full.
The test checks that
  - every packet received is either sent or counted, and the only drops are ring_full,
  - the rings' own counters agree (enqueued == dequeued, dropped == ring_full, empty at exit),
  - no mbuf leaked (exit status 0, the pool full again),
  - within each flow the packets left in the order they came (each carries a per-flow sequence
    number in its UDP data), and each flow left through one worker's TX queue only.

Addresses: 198.18.0.0/24 hosts behind p0 send to 198.18.1.2 behind p1.
"""
import random
import struct
import uuid
from collections import defaultdict

import pytest

import pktlib as P
from e2elib import check_stats_shape, pipeline_threading, run_to_exit, small_eal

PORT_MAC = {"p0": "02:00:00:00:00:00", "p1": "02:00:00:00:00:01"}
HOST_MAC = {"p0": "02:00:00:00:01:02", "p1": "02:00:00:00:02:02"}
FLOWS = 64
PER_FLOW = 1000
MAGIC = b"SWSQ"
WORKERS = (1, 2)
RX_CORE = 3


def frame(flow: int, seq: int) -> bytes:
    data = MAGIC + struct.pack("!II", flow, seq) + bytes(10)
    src = f"198.18.0.{10 + flow % 50}"
    udp = P.udp(20000 + flow, 9, data)
    return P.ethernet(PORT_MAC["p0"], HOST_MAC["p0"], P.ETH_IPV4, P.ipv4(src, "198.18.1.2", udp))


def flow_and_seq(out: bytes):
    at = out.find(MAGIC)
    assert at > 0, f"a frame the test never sent: {out[:64].hex()}"
    return struct.unpack("!II", out[at + 4:at + 12])


def build_input() -> list:
    """Flows interleaved at random, each flow's sequence numbers in increasing order."""
    rng = random.Random(5)
    next_seq = [0] * FLOWS
    frames = []
    while len(frames) < FLOWS * PER_FLOW:
        flow = rng.randrange(FLOWS)
        if next_seq[flow] < PER_FLOW:
            frames.append(frame(flow, next_seq[flow]))
            next_seq[flow] += 1
    return frames


@pytest.fixture(scope="module")
def ring_run(swiftfwd_bin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pipeline-ring")
    frames = build_input()
    in_p0, in_p1 = workdir / "in_p0.pcap", workdir / "in_p1.pcap"
    P.write_pcap(in_p0, frames)
    P.write_pcap(in_p1, [])
    # One TX queue per worker, each into its own file: a flow must only ever use one.
    outs = {(port, q): workdir / f"out_{port}_q{q}.pcap" for port in ("p0", "p1") for q in range(len(WORKERS))}
    devices = {
        port: f"net_pcap{i},rx_pcap={in_p0 if port == 'p0' else in_p1}," + ",".join(
            f"tx_pcap={outs[(port, q)]}" for q in range(len(WORKERS)))
        for i, port in enumerate(("p0", "p1"))
    }
    prefix = f"swf-e2e-{uuid.uuid4().hex[:10]}"
    threading = pipeline_threading(rx_cores=[RX_CORE], workers=WORKERS, cpus={0: 0, RX_CORE: 0, 1: 1, 2: 1})
    threading += "  ring_size: 32\n  ring_burst: 32\n"
    eal = small_eal(prefix).replace("worker_cores: [1]", f"worker_cores: [{', '.join(map(str, WORKERS))}]")
    config = workdir / "ring.yaml"
    config.write_text(eal + threading + f"""\
ports:
  - name: p0
    device: "{devices['p0']}"
    mac: "{PORT_MAC['p0']}"
    addresses: [198.18.0.1/24]
  - name: p1
    device: "{devices['p1']}"
    mac: "{PORT_MAC['p1']}"
    addresses: [198.18.1.1/24]
neighbors:
  - {{address: 198.18.1.2, mac: "{HOST_MAC['p1']}", port: p1}}
""")
    fwd, status = run_to_exit(swiftfwd_bin, config, workdir, prefix, duration=4)
    return {"frames": frames, "outs": outs, "status": status, "fwd": fwd}


def test_exits_zero_without_leaking(ring_run):
    fwd = ring_run["fwd"]
    assert ring_run["status"] == 0, f"exit status {ring_run['status']}\n{fwd.describe()}"
    stats = fwd.stats()
    check_stats_shape(stats)
    assert stats["mempool"]["leaked"] == 0, stats["mempool"]
    assert stats["mempool"]["available"] == stats["mempool"]["size"], stats["mempool"]


def test_full_rings_drop_and_count(ring_run):
    stats = ring_run["fwd"].stats()
    sent = len(ring_run["frames"])
    drops = {k: v for k, v in stats["drops"].items() if v}
    assert set(drops) == {"ring_full"}, f"expected only ring_full drops, got {drops}\n{ring_run['fwd'].describe()}"
    ring_full = drops["ring_full"]
    ports = {p["name"]: p for p in stats["ports"]}
    assert ports["p0"]["rx_packets"] == ports["p0"]["hw"]["ipackets"] == sent
    assert ports["p1"]["tx_packets"] == sent - ring_full, "every packet not refused by a ring was forwarded"
    assert 0 < ring_full < sent, f"ring_full {ring_full} of {sent}: the test needs both drops and forwarding"

    assert stats["threading"] == "pipeline"
    roles = {(w["core"], w["role"]) for w in stats["workers"]}
    assert roles == {(RX_CORE, "rx"), (1, "worker"), (2, "worker")}, roles
    rx_core = next(w for w in stats["workers"] if w["role"] == "rx")
    assert rx_core["rx_packets"] == sent
    assert rx_core["tx_packets"] + rx_core["drops"] == sent
    assert rx_core["drops"] == ring_full

    rings = {r["name"]: r for r in stats["rings"]}
    assert sorted(rings) == [f"rx{RX_CORE}-w1", f"rx{RX_CORE}-w2"]
    for r in rings.values():
        assert r["size"] == 32 and r["count"] == 0, r
        assert r["enqueued"] == r["dequeued"] > 0, r
    assert sum(r["dropped"] for r in rings.values()) == ring_full
    assert sum(r["enqueued"] for r in rings.values()) == rx_core["tx_packets"]
    workers = [w for w in stats["workers"] if w["role"] == "worker"]
    assert sum(w["rx_packets"] for w in workers) == rx_core["tx_packets"]
    assert sum(w["tx_packets"] for w in workers) == ports["p1"]["tx_packets"]


def test_order_kept_within_each_flow(ring_run):
    outs = ring_run["outs"]
    queue_of_flow = {}
    total = 0
    for q in range(len(WORKERS)):
        assert P.read_pcap(outs[("p0", q)]) == [], "nothing goes back out of p0"
        last = defaultdict(lambda: -1)
        for out in P.read_pcap(outs[("p1", q)]):
            flow, seq = flow_and_seq(out)
            assert seq > last[flow], f"flow {flow} out of order on TX queue {q}: {seq} after {last[flow]}"
            last[flow] = seq
            assert queue_of_flow.setdefault(flow, q) == q, f"flow {flow} left through two workers' TX queues"
            total += 1
    stats = ring_run["fwd"].stats()
    assert total == next(p for p in stats["ports"] if p["name"] == "p1")["tx_packets"]
    # The hash spreads the flows over both workers.
    assert set(queue_of_flow.values()) == set(range(len(WORKERS))), queue_of_flow
