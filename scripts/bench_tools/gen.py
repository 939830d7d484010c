"""Route tables and input packets for the benchmark, deterministic for a given seed.

Route prefixes are table entries only: the sink is net_null, so no packet ever leaves the
machine, and prefixes may come from anywhere in the unicast IPv4 space. Packet sources are in
the benchmarking range 198.18.0.0/15 (RFC 2544), which is also kept out of the table so it
never shadows the forwarder's connected subnets.
"""

import random
import struct

# Prefix-length mix of the 1M table, in percent. It follows the shape of the public IPv4 BGP
# table (mostly /24, then /22 and /23, a tail of /16-/21) plus 2% longer than /24, which
# exercise the second level (tbl8) of DIR-24-8 and of rte_lpm.
LENGTH_MIX = [
    (16, 1.3), (17, 0.6), (18, 1.1), (19, 2.7), (20, 3.8), (21, 4.9), (22, 11.0),
    (23, 9.0), (24, 63.6),
    (25, 0.5), (26, 0.4), (27, 0.3), (28, 0.3), (29, 0.2), (30, 0.1), (31, 0.05), (32, 0.15),
]

# Never in the table: this-network, private, shared, loopback, link-local, documentation,
# benchmarking (our own subnets live there), multicast and reserved.
EXCLUDED = [
    ("0.0.0.0", 8), ("10.0.0.0", 8), ("100.64.0.0", 10), ("127.0.0.0", 8),
    ("169.254.0.0", 16), ("172.16.0.0", 12), ("192.0.0.0", 24), ("192.0.2.0", 24),
    ("192.168.0.0", 16), ("198.18.0.0", 15), ("198.51.100.0", 24), ("203.0.113.0", 24),
    ("224.0.0.0", 3),
]


def ip_to_int(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def int_to_ip(v):
    return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"


_EXCL = [(ip_to_int(a), 1 << (32 - n)) for a, n in EXCLUDED]


def _allowed(base, size):
    for b, bsize in _EXCL:
        if base < b + bsize and b < base + size:
            return False
    return True


def million_table(count, seed):
    """`count` distinct prefixes [(network int, length)] with LENGTH_MIX's length mix."""
    rng = random.Random(seed)
    total = sum(p for _, p in LENGTH_MIX)
    want = {length: int(round(count * pct / total)) for length, pct in LENGTH_MIX}
    want[24] += count - sum(want.values())  # the rounding remainder goes to /24
    seen = set()
    routes = []
    for length, n in want.items():
        size = 1 << (32 - length)
        mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        got = 0
        while got < n:
            base = rng.randrange(0x01000000, 0xE0000000) & mask
            key = (base, length)
            if key in seen or not _allowed(base, size):
                continue
            seen.add(key)
            routes.append(key)
            got += 1
    rng.shuffle(routes)
    return routes


def small_table(count, seed):
    """A handful of /16s from the allowed space."""
    rng = random.Random(seed)
    seen = set()
    routes = []
    while len(routes) < count:
        base = rng.randrange(0x01000000, 0xE0000000) & 0xFFFF0000
        if base in seen or not _allowed(base, 1 << 16):
            continue
        seen.add(base)
        routes.append((base, 16))
    return routes


def destinations(routes, count, seed):
    """`count` distinct destination addresses, each inside a route picked uniformly from the
    table (so they spread over the whole table), avoiding the all-zeros and all-ones host
    parts where the prefix has them."""
    rng = random.Random(seed)
    dsts = set()
    out = []
    while len(out) < count:
        base, length = routes[rng.randrange(len(routes))]
        size = 1 << (32 - length)
        if size >= 4:
            addr = base + rng.randrange(1, size - 1)
        else:
            addr = base + rng.randrange(size)
        if addr in dsts:
            continue
        dsts.add(addr)
        out.append(addr)
    return out


def write_l3fwd_rules(path, routes, port):
    """l3fwd's --rule_ipv4 format (lpm_route_parse.c, DPDK 22.11): 'R<addr>/<len> <port>'."""
    with open(path, "w") as f:
        for base, length in routes:
            f.write(f"R{int_to_ip(base)}/{length} {port}\n")


def write_l3fwd_rules_v6(path, port):
    """l3fwd reads rule files only when both IPv4 and IPv6 are given; one IPv6 route."""
    with open(path, "w") as f:
        f.write(f"R2001:db8::/32 {port}\n")


def swiftfwd_config(path, *, routes, via, pcap, rx_mac, prefix, memory_mb, hugepages,
                    mbufs, max_routes, tbl8_groups, sink_addr, neighbor_mac, rx_addr):
    """A swiftfwd YAML config (docs/config.md) with one flow-style line per route."""
    lines = [
        "eal:",
        "  main_core: 0",
        "  worker_cores: [1]",
        f"  file_prefix: {prefix}",
        f"  memory_mb: {memory_mb}",
        f"  hugepages: {'true' if hugepages else 'false'}",
        "mempool:",
        f"  mbufs: {mbufs}",
        "fib:",
        f"  ipv4_max_routes: {max_routes}",
        f"  ipv4_tbl8_groups: {tbl8_groups}",
        "ports:",
        "  - name: in",
        f"    device: net_pcap0,rx_pcap={pcap},infinite_rx=1",
        f"    mac: \"{rx_mac}\"",
        f"    addresses: [{rx_addr}]",
        "  - name: out",
        "    device: net_null0,no-rx=1",
        f"    addresses: [{sink_addr}]",
        "neighbors:",
        f"  - {{address: {via}, mac: \"{neighbor_mac}\", port: out}}",
        "routes:",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
        for base, length in routes:
            f.write(f"  - {{prefix: {int_to_ip(base)}/{length}, via: {via}}}\n")


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def write_pcap(path, dsts, *, dst_mac, src_mac, frame_len, seed):
    """One UDP/IPv4 frame per destination, `frame_len` bytes without FCS, sources random in
    198.19.0.0/16 (inside 198.18.0.0/15, outside the forwarder's own subnets), valid IPv4 and
    UDP checksums, TTL 64."""
    rng = random.Random(seed)
    payload_len = frame_len - 14 - 20 - 8
    if payload_len < 0:
        raise SystemExit("bench: frame size too small for Ethernet/IPv4/UDP")
    eth = _mac(dst_mac) + _mac(src_mac) + b"\x08\x00"
    payload = bytes(range(payload_len % 256)) + bytes(max(0, payload_len - 256))
    payload = payload[:payload_len]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, dst in enumerate(dsts):
            src = ip_to_int("198.19.0.0") | rng.randrange(1, 0xFFFF)
            if (src & 0xFF) in (0, 255):
                src ^= 1
            sport = 1024 + rng.randrange(60000)
            dport = 1024 + rng.randrange(60000)
            total = 20 + 8 + payload_len
            iph = struct.pack("!BBHHHBBHII", 0x45, 0, total, i & 0xFFFF, 0, 64, 17, 0, src, dst)
            iph = iph[:10] + struct.pack("!H", _csum(iph)) + iph[12:]
            udp_len = 8 + payload_len
            pseudo = struct.pack("!IIBBH", src, dst, 0, 17, udp_len)
            udph = struct.pack("!HHHH", sport, dport, udp_len, 0)
            uc = _csum(pseudo + udph + payload) or 0xFFFF
            udph = udph[:6] + struct.pack("!H", uc)
            frame = eth + iph + udph + payload
            sec, usec = divmod(i, 1000000)
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)
