"""ICMP and ICMPv6 errors from the real binary, between two net_pcap ports.

The input on p0 holds packets that must get an error (TTL/hop limit 1, no route, too big with
DF / IPv6), packets that must not (errors about ICMP errors, to multicast, later fragments,
IPv4 too big without DF, which is fragmented instead (test_ipv4_fragmentation.py checks the
fragments), a forged broadcast source MAC), and one forwarded packet. The test reads p0's output pcap: exactly
one error per packet that deserves one, each checked field by field (addresses, type, code,
MTU, checksums, the quote), and nothing else. A second run with a burst of 1 and a low rate
shows the rate limit holding errors back and counting them.

Addresses (198.18.0.0/15, 2001:db8::/32 only):
  p0 02:00:00:00:00:00  198.18.0.1/24 2001:db8:0::1/64  host h1 02:00:00:00:01:02 198.18.0.2
  p1 02:00:00:00:00:01  198.18.1.1/24 2001:db8:1::1/64  mtu 1280, neighbor h2 02:00:00:00:02:02
"""
import struct
import uuid

import pytest

import pktlib as P
from e2elib import run_to_exit, small_eal, two_port_pcaps

P0_MAC, P1_MAC = "02:00:00:00:00:00", "02:00:00:00:00:01"
H1_MAC, H2_MAC = "02:00:00:00:01:02", "02:00:00:00:02:02"
H1, H1_6 = "198.18.0.2", "2001:db8::2"
P1_MTU = 1280


def config_text(prefix, pcaps, rate=1000, burst=50) -> str:
    return small_eal(prefix) + f"""\
icmp_errors: {{rate: {rate}, burst: {burst}}}
ports:
  - name: p0
    device: "net_pcap0,rx_pcap={pcaps['in_p0']},tx_pcap={pcaps['out_p0']}"
    mac: "{P0_MAC}"
    addresses: [198.18.0.1/24, "2001:db8:0::1/64"]
  - name: p1
    device: "net_pcap1,rx_pcap={pcaps['in_p1']},tx_pcap={pcaps['out_p1']}"
    mac: "{P1_MAC}"
    mtu: {P1_MTU}
    addresses: [198.18.1.1/24, "2001:db8:1::1/64"]
routes:
  - {{prefix: 198.18.4.0/24, via: 198.18.1.2}}
  - {{prefix: "2001:db8:4::/48", via: "2001:db8:1::2"}}
neighbors:
  - {{address: 198.18.0.2, mac: "{H1_MAC}", port: p0}}
  - {{address: "2001:db8:0::2", mac: "{H1_MAC}", port: p0}}
  - {{address: 198.18.1.2, mac: "{H2_MAC}", port: p1}}
  - {{address: "2001:db8:1::2", mac: "{H2_MAC}", port: p1}}
"""


def v4(dst, payload, **kw):
    return P.ethernet(P0_MAC, H1_MAC, P.ETH_IPV4, P.ipv4(kw.pop("src", H1), dst, payload, **kw))


def v6(dst, payload, **kw):
    return P.ethernet(P0_MAC, H1_MAC, P.ETH_IPV6, P.ipv6(kw.pop("src", H1_6), dst, payload, **kw))


def udp(tag, size=32):
    return P.udp(40000, 33434, P.tagged(tag, size))


# (name, frame, expected error: (family, type, code, mtu or None) or None)
def build_cases():
    icmp_unreachable = bytes([3, 1, 0, 0]) + bytes(4) + P.ipv4("198.18.4.9", H1, b"x" * 8)
    return [
        ("ipv4 ttl 1", v4("198.18.4.10", udp(1), ttl=1), (4, 11, 0, None)),
        ("ipv4 no route", v4("198.18.99.1", udp(2)), (4, 3, 0, None)),
        ("ipv4 DF too big", v4("198.18.4.11", udp(3, 1400)), (4, 3, 4, P1_MTU)),
        ("ipv6 hop limit 1", v6("2001:db8:4::10", udp(4), hop_limit=1), (6, 3, 0, None)),
        ("ipv6 no route", v6("2001:db8:99::1", udp(5)), (6, 1, 0, None)),
        ("ipv6 too big", v6("2001:db8:4::11", udp(6, 1400)), (6, 2, 0, P1_MTU)),
        # Never an error about these:
        ("ipv4 too big without DF (fragmented)", v4("198.18.4.12", udp(7, 1400), flags_frag=0, ident=0x7007), None),
        ("ipv4 ttl 1 about an ICMP error", v4("198.18.4.13", icmp_unreachable, ttl=1, proto=1), None),
        ("ipv4 no route, later fragment", v4("198.18.99.2", udp(8), flags_frag=0x0010), None),
        ("ipv6 ttl 1 about an ICMPv6 error", v6("2001:db8:4::14", bytes([1, 0, 0, 0, 0, 0, 0, 0]) + b"x" * 40,
                                                hop_limit=1, next_header=58), None),
        ("ipv4 ttl 1 from a broadcast source MAC", P.ethernet(P0_MAC, "ff:ff:ff:ff:ff:ff", P.ETH_IPV4,
                                                             P.ipv4(H1, "198.18.4.16", udp(10), ttl=1)), None),
        ("ipv4 forwarded", v4("198.18.4.15", udp(9)), None),
    ]


def run(swiftfwd_bin, workdir, cases, **rate):
    pcaps = two_port_pcaps(workdir)
    P.write_pcap(pcaps["in_p0"], [frame for _, frame, _ in cases])
    P.write_pcap(pcaps["in_p1"], [])
    prefix = f"swf-e2e-{uuid.uuid4().hex[:10]}"
    config = workdir / "icmp.yaml"
    config.write_text(config_text(prefix, pcaps, **rate))
    fwd, status = run_to_exit(swiftfwd_bin, config, workdir, prefix, duration=3)
    assert status == 0, f"exit status {status}\n{fwd.describe()}"
    return P.read_pcap(pcaps["out_p0"]), P.read_pcap(pcaps["out_p1"]), fwd.stats()


@pytest.fixture(scope="module")
def errors_run(swiftfwd_bin, tmp_path_factory):
    cases = build_cases()
    out_p0, out_p1, stats = run(swiftfwd_bin, tmp_path_factory.mktemp("icmp"), cases)
    return cases, out_p0, out_p1, stats


def check_error(name, frame, expected, out):
    family, kind, code, mtu = expected
    eth = P.parse_ethernet(out)
    assert eth["dst"] == H1_MAC and eth["src"] == P0_MAC, f"{name}: MACs {eth}"
    original = frame[14:]
    if family == 4:
        ip = P.parse_ipv4(out[14:])
        assert eth["ethertype"] == P.ETH_IPV4
        assert (ip["src"], ip["dst"], ip["proto"], ip["ttl"]) == ("198.18.0.1", H1, 1, 64), f"{name}: {ip}"
        assert P.ipv4_header_valid(ip["header"]), f"{name}: IP header checksum"
        icmp = ip["payload"]
        assert P.ones_complement_sum(icmp) == 0xFFFF, f"{name}: ICMP checksum"
        assert icmp[8:] == original[:576 - 28], f"{name}: quote of the original"
        if mtu is not None:
            assert struct.unpack("!H", icmp[6:8])[0] == mtu, f"{name}: next-hop MTU"
    else:
        ip = P.parse_ipv6(out[14:])
        assert eth["ethertype"] == P.ETH_IPV6
        assert (ip["src"], ip["dst"], ip["next_header"]) == ("2001:db8::1", H1_6, 58), f"{name}: {ip}"
        icmp = ip["payload"]
        pseudo = P.ip6(ip["src"]) + P.ip6(ip["dst"]) + struct.pack("!IxxxB", len(icmp), 58)
        assert P.ones_complement_sum(pseudo + icmp) == 0xFFFF, f"{name}: ICMPv6 checksum"
        assert icmp[8:] == original[:1280 - 48], f"{name}: quote of the original"
        if mtu is not None:
            assert struct.unpack("!I", icmp[4:8])[0] == mtu, f"{name}: MTU"
    assert (icmp[0], icmp[1]) == (kind, code), f"{name}: type/code {icmp[0]}/{icmp[1]}, expected {kind}/{code}"


def test_one_error_per_packet_that_deserves_one(errors_run):
    cases, out_p0, out_p1, stats = errors_run
    expected = [(name, frame, e) for name, frame, e in cases if e is not None]
    assert len(out_p0) == len(expected), \
        f"{len(out_p0)} frames left p0, expected {len(expected)} errors ({[n for n, _, _ in expected]})"
    # Errors go out in the order of the packets they are about (one worker, one burst order).
    for (name, frame, e), out in zip(expected, out_p0):
        check_error(name, frame, e, out)
    assert stats["icmp_errors"] == {"sent": len(expected), "rate_limited": 0, "no_mbuf": 0}
    # IPv4 errors are not DF, so each carries its own IP ID (RFC 6864): one worker counts up.
    v4_errors = [P.parse_ipv4(f[14:]) for f in out_p0 if P.parse_ethernet(f)["ethertype"] == P.ETH_IPV4]
    ids = [ip["ident"] for ip in v4_errors]
    assert len(ids) >= 3 and all((b - a) % 65536 == 1 for a, b in zip(ids, ids[1:])), ids
    assert all(struct.unpack("!H", ip["header"][6:8])[0] == 0 for ip in v4_errors), "no DF, not fragments"
    # Out of p1: the good packet, and the two fragments of the one without DF (1428 bytes).
    idents = [P.parse_ipv4(f[14:])["ident"] for f in out_p1]
    assert sorted(idents) == [0x1234, 0x7007, 0x7007], idents
    assert P.find_tag(out_p1[idents.index(0x1234)]) == 9, "the good packet is forwarded"
    assert stats["fragmentation"] == {"ipv4_fragmented": 1, "ipv4_fragments": 2}


def test_drops_still_counted(errors_run):
    _, _, _, stats = errors_run
    drops = stats["drops"]
    assert drops["ipv4_ttl_expired"] == 3 and drops["ipv6_hop_limit_expired"] == 2
    assert drops["no_route"] == 3
    assert drops["mtu_exceeded"] == 2, "IPv4 with DF and IPv6; without DF it is fragmented"


def test_rate_limit_holds_errors_back(swiftfwd_bin, tmp_path_factory):
    cases = [(f"ttl {i}", v4("198.18.4.10", udp(100 + i), ttl=1), (4, 11, 0, None)) for i in range(20)]
    out_p0, _, stats = run(swiftfwd_bin, tmp_path_factory.mktemp("icmp-rate"), cases, rate=1, burst=3)
    assert len(out_p0) == 3, "a burst of 3 at 1 per second lets 3 through a quick burst of 20"
    assert stats["icmp_errors"] == {"sent": 3, "rate_limited": 17, "no_mbuf": 0}
    assert stats["drops"]["ipv4_ttl_expired"] == 20
