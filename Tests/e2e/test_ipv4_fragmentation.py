"""IPv4 fragmentation by the real binary, between two net_pcap ports.

p1's MTU is 576. The input on p0 holds IPv4 packets without DF that are larger than that
(plain, with options some of which must be copied into every fragment, and packets that are
themselves fragments: a middle one and a last one), one that fits exactly, one with DF (which
must get "fragmentation needed" instead), and one without DF but with TTL 1 (time exceeded:
never fragmented). The test reads p1's output pcap field by field: every fragment within the
MTU, offsets and MF right, TTL one less, checksums valid, MACs rewritten, identification and
the other fields kept, options as RFC 791 says, and the fragments' data put together equal to
the original's. Then p0's output (exactly the two ICMP errors) and every counter, exactly.
Once per threading mode: the workers of both share the drop handling that fragments.

Addresses (198.18.0.0/15 only):
  p0 02:00:00:00:00:00  198.18.0.1/24  host h1 02:00:00:00:01:02 198.18.0.2
  p1 02:00:00:00:00:01  198.18.1.1/24  mtu 576, neighbor h2 02:00:00:00:02:02 198.18.1.2
  198.18.4.0/24 via 198.18.1.2
"""
import struct
import uuid
from collections import defaultdict

import pytest

import pktlib as P
from e2elib import check_stats_shape, pipeline_threading, run_to_exit, small_eal, two_port_pcaps

P0_MAC, P1_MAC = "02:00:00:00:00:00", "02:00:00:00:00:01"
H1_MAC, H2_MAC = "02:00:00:00:01:02", "02:00:00:00:02:02"
H1 = "198.18.0.2"
P1_MTU = 576

# Options: no-operation; record route (type 7, copy bit clear: first fragment only); router
# alert (148, copied); loose source route (131, copied); end of option list. 20 bytes.
RECORD_ROUTE = bytes([7, 7, 4, 0, 0, 0, 0])
ROUTER_ALERT = bytes([0x94, 4, 0, 0])
LOOSE_ROUTE = bytes([0x83, 7, 4, 198, 18, 9, 1])
OPTIONS = bytes([1]) + RECORD_ROUTE + ROUTER_ALERT + LOOSE_ROUTE + bytes([0])
COPIED = ROUTER_ALERT + LOOSE_ROUTE + bytes([0])        # padded to 12 bytes


MODES = ["run-to-completion", "pipeline"]


def config_text(prefix, pcaps, mode) -> str:
    threading = pipeline_threading(rx_cores=[2], workers=[1]) if mode == "pipeline" else ""
    return small_eal(prefix) + threading + f"""\
ports:
  - name: p0
    device: "net_pcap0,rx_pcap={pcaps['in_p0']},tx_pcap={pcaps['out_p0']}"
    mac: "{P0_MAC}"
    addresses: [198.18.0.1/24]
  - name: p1
    device: "net_pcap1,rx_pcap={pcaps['in_p1']},tx_pcap={pcaps['out_p1']}"
    mac: "{P1_MAC}"
    mtu: {P1_MTU}
    addresses: [198.18.1.1/24]
routes:
  - {{prefix: 198.18.4.0/24, via: 198.18.1.2}}
neighbors:
  - {{address: 198.18.0.2, mac: "{H1_MAC}", port: p0}}
  - {{address: 198.18.1.2, mac: "{H2_MAC}", port: p1}}
"""


def v4(dst, payload, **kw):
    return P.ethernet(P0_MAC, H1_MAC, P.ETH_IPV4, P.ipv4(kw.pop("src", H1), dst, payload, **kw))


def data(tag, size):
    return P.udp(40000, 9, P.tagged(tag, size - 8))


# (name, frame, what happens: "fragments" with their expected data sizes, "forward", or an
# ICMP error (type, code)). Each packet has its own identification, so its fragments are found
# by it in the output.
def build_cases():
    return [
        ("1428 bytes, no DF", v4("198.18.4.1", data(1, 1408), flags_frag=0, ident=0x1001), ("fragments", [552, 552, 304])),
        ("exactly the MTU, no DF", v4("198.18.4.2", data(2, 556), flags_frag=0, ident=0x1002), ("forward",)),
        ("1500 bytes with options, no DF", v4("198.18.4.3", data(3, 1460), flags_frag=0, ident=0x1003, options=OPTIONS, tos=0x28),
         ("fragments", [536, 544, 380])),
        # Already fragments of a larger datagram: offset 100 units, MF set; and a last one.
        ("middle fragment, 1200 bytes", v4("198.18.4.4", P.tagged(4, 1180), flags_frag=0x2000 | 100, ident=0x1004),
         ("fragments", [552, 552, 76])),
        ("last fragment, 900 bytes", v4("198.18.4.5", P.tagged(5, 880), flags_frag=300, ident=0x1005), ("fragments", [552, 328])),
        ("1000 bytes with DF", v4("198.18.4.6", data(6, 980), ident=0x1006), ("error", 3, 4)),
        ("1000 bytes, no DF, TTL 1", v4("198.18.4.7", data(7, 980), flags_frag=0, ttl=1, ident=0x1007), ("error", 11, 0)),
        ("small, forwarded", v4("198.18.4.8", data(8, 100), ident=0x1008), ("forward",)),
    ]


@pytest.fixture(scope="module", params=MODES)
def frag_run(request, swiftfwd_bin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("frag")
    cases = build_cases()
    pcaps = two_port_pcaps(workdir)
    P.write_pcap(pcaps["in_p0"], [frame for _, frame, _ in cases])
    P.write_pcap(pcaps["in_p1"], [])
    prefix = f"swf-e2e-frag-{uuid.uuid4().hex[:10]}"
    config = workdir / "frag.yaml"
    config.write_text(config_text(prefix, pcaps, request.param))
    fwd, status = run_to_exit(swiftfwd_bin, config, workdir, prefix, duration=3)
    assert status == 0, f"exit status {status}\n{fwd.describe()}"
    return {"cases": cases, "out_p0": P.read_pcap(pcaps["out_p0"]), "out_p1": P.read_pcap(pcaps["out_p1"]),
            "stats": fwd.stats(), "fwd": fwd}


def by_ident(frames):
    groups = defaultdict(list)
    for frame in frames:
        groups[P.parse_ipv4(frame[14:])["ident"]].append(frame)
    return groups


def test_fragments_field_by_field(frag_run):
    out = by_ident(frag_run["out_p1"])
    for name, frame, outcome in frag_run["cases"]:
        original = P.parse_ipv4(frame[14:])
        got = out.pop(original["ident"], [])
        if outcome[0] == "error":
            assert got == [], f"{name}: must not leave p1"
            continue
        if outcome[0] == "forward":
            assert len(got) == 1, f"{name}: {len(got)} frames"
            ip = P.parse_ipv4(got[0][14:])
            assert ip["flags_frag"] == original["flags_frag"] and ip["total_length"] == original["total_length"], name
            assert ip["ttl"] == original["ttl"] - 1 and P.ipv4_header_valid(ip["header"]), name
            assert ip["payload"] == original["payload"], name
            continue
        sizes = outcome[1]
        assert len(got) == len(sizes), f"{name}: {len(got)} fragments, expected {len(sizes)}"
        reassembled = b""
        for i, out_frame in enumerate(got):
            what = f"{name}, fragment {i}"
            eth = P.parse_ethernet(out_frame)
            assert (eth["dst"], eth["src"], eth["ethertype"]) == (H2_MAC, P1_MAC, P.ETH_IPV4), f"{what}: {eth}"
            ip = P.parse_ipv4(out_frame[14:])
            assert len(out_frame) == 14 + ip["total_length"], f"{what}: frame length"
            assert ip["total_length"] <= P1_MTU, f"{what}: {ip['total_length']} bytes over the MTU"
            assert P.ipv4_header_valid(ip["header"]), f"{what}: header checksum"
            assert ip["ttl"] == original["ttl"] - 1, f"{what}: TTL"
            for field in ("version", "tos", "ident", "proto", "src", "dst"):
                assert ip[field] == original[field], f"{what}: {field} {ip[field]} != {original[field]}"
            last = i == len(got) - 1
            flags, offset = ip["flags_frag"] >> 13, ip["flags_frag"] & 0x1FFF
            assert flags & 0b010 == 0, f"{what}: DF set"
            assert bool(flags & 0b001) == (not last or bool(original["flags_frag"] & 0x2000)), f"{what}: MF"
            assert offset * 8 == (original["flags_frag"] & 0x1FFF) * 8 + len(reassembled), f"{what}: offset {offset}"
            assert len(ip["payload"]) == sizes[i], f"{what}: {len(ip['payload'])} data bytes"
            if not last:
                assert len(ip["payload"]) % 8 == 0, f"{what}: data not a multiple of 8"
            if i == 0:
                assert ip["options"] == original["options"], f"{what}: the first fragment keeps every option"
            else:
                expected = COPIED if original["options"] else b""
                assert ip["options"] == expected, f"{what}: options {ip['options'].hex()}"
            reassembled += ip["payload"]
        assert reassembled == original["payload"], f"{name}: reassembled data differs"
    assert not out, f"unexpected frames on p1: identifications {sorted(out)}"


def test_df_and_expired_get_their_icmp_errors(frag_run):
    errors = [(name, frame, o) for name, frame, o in frag_run["cases"] if o[0] == "error"]
    out_p0 = frag_run["out_p0"]
    assert len(out_p0) == len(errors), f"{len(out_p0)} frames left p0, expected the {len(errors)} errors"
    for (name, frame, (_, kind, code)), out in zip(errors, out_p0):
        eth = P.parse_ethernet(out)
        assert (eth["dst"], eth["src"]) == (H1_MAC, P0_MAC), name
        ip = P.parse_ipv4(out[14:])
        assert (ip["src"], ip["dst"], ip["proto"]) == ("198.18.0.1", H1, 1) and P.ipv4_header_valid(ip["header"]), name
        icmp = ip["payload"]
        assert (icmp[0], icmp[1]) == (kind, code), f"{name}: type/code {icmp[0]}/{icmp[1]}"
        assert P.ones_complement_sum(icmp) == 0xFFFF, f"{name}: ICMP checksum"
        if (kind, code) == (3, 4):
            assert struct.unpack("!H", icmp[6:8])[0] == P1_MTU, f"{name}: next-hop MTU"
        assert icmp[8:] == frame[14:14 + 576 - 28], f"{name}: quote (the original, TTL unchanged)"


def test_counters_exact(frag_run):
    cases, stats = frag_run["cases"], frag_run["stats"]
    check_stats_shape(stats)
    fragmented = [o for _, _, o in cases if o[0] == "fragments"]
    fragments = sum(len(o[1]) for o in fragmented)
    forwarded = sum(1 for _, _, o in cases if o[0] == "forward")
    assert stats["fragmentation"] == {"ipv4_fragmented": len(fragmented), "ipv4_fragments": fragments}
    # In pipeline mode a receive core (role rx) hands the packets to the one worker.
    [worker] = [w for w in stats["workers"] if w["role"] == "worker"]
    assert (worker["ipv4_fragmented"], worker["ipv4_fragments"]) == (len(fragmented), fragments)
    nonzero = {reason: n for reason, n in stats["drops"].items() if n}
    assert nonzero == {"mtu_exceeded": 1, "ipv4_ttl_expired": 1}, nonzero
    assert stats["icmp_errors"] == {"sent": 2, "rate_limited": 0, "no_mbuf": 0}
    ports = {p["name"]: p for p in stats["ports"]}
    assert ports["p0"]["rx_packets"] == len(cases) and ports["p0"]["tx_packets"] == 2
    assert ports["p1"]["tx_packets"] == fragments + forwarded == len(frag_run["out_p1"])
    assert ports["p1"]["tx_bytes"] == sum(len(f) for f in frag_run["out_p1"])
    assert ports["p1"]["hw"]["opackets"] == ports["p1"]["tx_packets"]
    # A fragmented packet is neither a drop nor one transmit: it became `fragments` of them.
    # (The ICMP errors are transmits of the worker's own.)
    assert worker["rx_packets"] + fragments - len(fragmented) + stats["icmp_errors"]["sent"] == \
        worker["tx_packets"] + worker["drops"]
    assert stats["mempool"]["leaked"] == 0


def test_shutdown_report_names_fragmentation(frag_run):
    text = frag_run["fwd"].output()
    fragments = sum(len(o[1]) for _, _, o in frag_run["cases"] if o[0] == "fragments")
    assert f"IPv4 packets fragmented 4, into {fragments} fragments" in text, text[-3000:]
    assert "not sent for want of an mbuf 0" in text
