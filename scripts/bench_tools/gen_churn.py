"""Tables, churn and packets for the churn benchmark (scripts/bench_churn), deterministic per seed.

The full table is table entries only: 1M IPv4 prefixes from gen.million_table and 300k IPv6
prefixes clustered as the public IPv6 table is (RIR blocks, LIR allocations, more-specifics).
No packet is ever addressed to them. Traffic and churn use only 198.19.0.0/16 (inside the
benchmarking range 198.18.0.0/15) and 2001:db8:100::/40 (documentation).
"""

import ipaddress
import random
import struct

import gen

# IPv6 RIR blocks the table's prefixes come from; none covers 2001:db8::/32.
V6_BLOCKS = [0x240, 0x260, 0x280, 0x2A0, 0x2C0]   # 2400::/12 ... 2c00::/12: the top 12 bits

# More-specifics an allocation announces: (length, weight), after the public table's shape
# (about half /48, then /40, /44, /36 and a tail).
V6_MORE_SPECIFIC = [(33, 1), (34, 1), (35, 1), (36, 5), (38, 2), (40, 10), (42, 2), (44, 10),
                    (45, 2), (46, 4), (47, 4), (48, 58)]


def ipv6_table(count, seed):
    """`count` distinct IPv6 prefixes [(network int, length)] clustered like the public table:
    LIR allocations (/29 or /32) inside RIR /12s, most announcing themselves plus a few
    more-specifics."""
    rng = random.Random(seed)
    lengths = [l for l, _ in V6_MORE_SPECIFIC]
    weights = [w for _, w in V6_MORE_SPECIFIC]
    seen = set()
    routes = []
    while len(routes) < count:
        block = rng.choice(V6_BLOCKS)
        alloc_len = 29 if rng.random() < 0.2 else 32
        # An allocation: the block's 12 bits, then random bits up to alloc_len.
        alloc = (block << 116) | (rng.getrandbits(alloc_len - 12) << (128 - alloc_len))
        if rng.random() < 0.8:
            key = (alloc, alloc_len)
            if key not in seen:
                seen.add(key)
                routes.append(key)
        # Heavy tail: most allocations announce a few more-specifics, a few announce hundreds.
        extra = min(int(rng.paretovariate(1.2)) - 1, 400)
        for _ in range(extra):
            if len(routes) >= count:
                break
            length = rng.choices(lengths, weights)[0]
            if length <= alloc_len:
                continue
            net = alloc | (rng.getrandbits(length - alloc_len) << (128 - length))
            key = (net, length)
            if key not in seen:
                seen.add(key)
                routes.append(key)
    rng.shuffle(routes)
    return routes[:count]


def ipv4_tbl8_groups(routes):
    """DIR-24-8 tbl8 groups a table needs: one per /24 holding a prefix longer than /24."""
    return len({net >> 8 for net, length in routes if length > 24})


def ipv6_tbl8_groups(routes):
    """rte_fib6 TRIE groups a table needs: a 24-bit first level, then 8-bit levels; a prefix
    of length L needs one group at every level boundary d < L (24, 32, 40, ...), shared by
    every prefix with the same first d bits."""
    groups = set()
    for net, length in routes:
        d = 24
        while d < length:
            groups.add((d, net >> (128 - d)))
            d += 8
    return len(groups)


def ipv6_tbl8_reserved(routes):
    """tbl8 groups rte_fib6 TRIE reserves when the routes are added in this order, which is
    what runs out (ENOSPC) before the groups really used do: a prefix longer than /24 with
    nothing else inside its own 8-bit-aligned block reserves one group per 8-bit level
    between its closest covering prefix (or /24) and itself, shared with its siblings or not
    (DPDK lib/fib/trie.c, trie_modify)."""
    present = {}            # length -> set of networks (as ints shifted to the length)
    blocks = set()          # (level, network >> (128 - level)) holding some prefix
    reserved = 0
    ceil8 = lambda d: (d + 7) // 8 * 8
    for net, length in routes:
        if length > 24:
            floor = length // 8 * 8
            if (floor, net >> (128 - floor)) not in blocks:
                parent = 24
                for l in sorted((l for l in present if l < length), reverse=True):
                    if (net >> (128 - l)) in present[l]:
                        parent = max(l, 24)
                        break
                reserved += (ceil8(length) - ceil8(parent)) // 8
        present.setdefault(length, set()).add(net >> (128 - length))
        for level in range(8, length + 1, 8):
            blocks.add((level, net >> (128 - level)))
    return reserved


def v6_text(net):
    return str(ipaddress.IPv6Address(net))


def write_route_file(path, v4, v6, via4, via6):
    """A `route load` file: one "PREFIX via ADDRESS" per line."""
    with open(path, "w") as f:
        for net, length in v4:
            f.write(f"{gen.int_to_ip(net)}/{length} via {via4}\n")
        for net, length in v6:
            f.write(f"{v6_text(net)}/{length} via {via6}\n")


# -- churn inside 198.19.0.0/16 and 2001:db8:100::/40 ---------------------------------------------

TRAFFIC_V4 = gen.ip_to_int("198.19.0.0")        # 1024 /28s in 198.19.0.0/18: always routed
FLAP_V4 = gen.ip_to_int("198.19.64.0")          # /32s in 198.19.64.0/18: added and deleted
TRAFFIC_V6 = int(ipaddress.IPv6Address("2001:db8:100::"))   # 1024 /64s: always routed
FLAP_V6 = int(ipaddress.IPv6Address("2001:db8:101::"))      # /64s: added and deleted


def traffic_prefixes(n=1024):
    """The prefixes that carry traffic: present from start to end; churn only replaces them."""
    v4 = [(TRAFFIC_V4 + (i << 4), 28) for i in range(n)]
    v6 = [(TRAFFIC_V6 + (i << 64), 64) for i in range(n)]
    return v4, v6


def prefix_text(p):
    net, length = p
    return f"{gen.int_to_ip(net)}/{length}" if length <= 32 and net < (1 << 32) else f"{v6_text(net)}/{length}"


def churn_lines(count, seed, gateways4, gateways6, flap_pool=16384):
    """`count` route changes: half replace a traffic prefix's next hop with the other gateway,
    a quarter add a flap prefix, a quarter delete the oldest one added; 70% IPv4, 30% IPv6.
    Every line is valid in order, starting from the traffic prefixes via gateways[0]."""
    rng = random.Random(seed)
    t4, t6 = traffic_prefixes()
    current4 = [0] * len(t4)
    current6 = [0] * len(t6)
    flap4, flap6 = [], []
    next4 = next6 = 0
    out = []
    while len(out) < count:
        v4 = rng.random() < 0.7
        r = rng.random()
        if r < 0.5:
            i = rng.randrange(len(t4) if v4 else len(t6))
            if v4:
                current4[i] ^= 1
                out.append(f"{prefix_text(t4[i])} via {gateways4[current4[i]]}")
            else:
                current6[i] ^= 1
                out.append(f"{prefix_text(t6[i])} via {gateways6[current6[i]]}")
        elif r < 0.75 or not (flap4 if v4 else flap6):
            if v4:
                p = (FLAP_V4 + (next4 % flap_pool), 32)
                next4 += 1
                if p in flap4:
                    continue
                flap4.append(p)
                out.append(f"{prefix_text(p)} via {gateways4[rng.randrange(2)]}")
            else:
                p = (FLAP_V6 + ((next6 % flap_pool) << 64), 64)
                next6 += 1
                if p in flap6:
                    continue
                flap6.append(p)
                out.append(f"{prefix_text(p)} via {gateways6[rng.randrange(2)]}")
        else:
            p = (flap4 if v4 else flap6).pop(0)
            out.append(f"del {prefix_text(p)}")
    return out


def write_traffic_pcap(path, *, dst_mac, src_mac, frame_len, seed, per_family=1024):
    """UDP frames to one address in each traffic prefix, IPv4 and IPv6 interleaved, sources in
    198.18.0.0/24 and 2001:db8::/64 (the input port's subnets)."""
    rng = random.Random(seed)
    t4, t6 = traffic_prefixes(per_family)
    eth = lambda ethertype: gen._mac(dst_mac) + gen._mac(src_mac) + struct.pack("!H", ethertype)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        n = 0
        for (n4, _), (n6, _) in zip(t4, t6):
            for frame in (_udp4(eth(0x0800), gen.ip_to_int("198.18.0.2"), n4 + 1 + rng.randrange(14), frame_len, n),
                          _udp6(eth(0x86DD), int(ipaddress.IPv6Address("2001:db8::2")), n6 + 1 + rng.randrange(1 << 16),
                                max(frame_len, 14 + 40 + 8), n)):
                sec, usec = divmod(n, 1000000)
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)
                n += 1
    return n


def _udp4(eth, src, dst, frame_len, ident):
    payload = bytes(max(0, frame_len - 14 - 28))
    total = 28 + len(payload)
    iph = struct.pack("!BBHHHBBHII", 0x45, 0, total, ident & 0xFFFF, 0, 64, 17, 0, src, dst)
    iph = iph[:10] + struct.pack("!H", gen._csum(iph)) + iph[12:]
    udph = struct.pack("!HHHH", 1024 + ident % 50000, 9, 8 + len(payload), 0)   # UDP checksum 0: none
    return eth + iph + udph + payload


def _udp6(eth, src, dst, frame_len, ident):
    payload = bytes(max(0, frame_len - 14 - 48))
    udp_len = 8 + len(payload)
    ip6 = struct.pack("!IHBB", 0x60000000, udp_len, 17, 64) + src.to_bytes(16, "big") + dst.to_bytes(16, "big")
    pseudo = src.to_bytes(16, "big") + dst.to_bytes(16, "big") + struct.pack("!IxxxB", udp_len, 17)
    udph = struct.pack("!HHHH", 1024 + ident % 50000, 9, udp_len, 0)
    csum = gen._csum(pseudo + udph + payload) or 0xFFFF
    udph = udph[:6] + struct.pack("!H", csum)
    return eth + ip6 + udph + payload
