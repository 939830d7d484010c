"""Packets and pcap files for the end-to-end tests, with the standard library only.

Builders return complete Ethernet frames as bytes. Parsers return small dicts of header fields.
The pcap code writes classic libpcap files (microsecond timestamps, LINKTYPE_ETHERNET) and reads
both microsecond and nanosecond files in either byte order (DPDK's net_pcap writes nanosecond
timestamps).
"""
import ipaddress
import struct

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
PROTO_ICMP = 1
PROTO_UDP = 17
PROTO_ICMPV6 = 58

# ---------------------------------------------------------------------------------------------
# pcap


def write_pcap(path, frames):
    """Writes frames (bytes) to a pcap file, one record each, 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000, i * 1000, len(frame), len(frame)))
            f.write(frame)


def read_pcap(path):
    """Returns the frames of a pcap file as a list of bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a pcap header")
    magic_le = struct.unpack("<I", data[:4])[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif struct.unpack(">I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file (magic {data[:4].hex()})")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, expected 1 (Ethernet)")
    frames, offset = [], 24
    while offset + 16 <= len(data):
        _, _, incl_len, orig_len = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        frame = data[offset:offset + incl_len]
        if len(frame) != incl_len or incl_len != orig_len:
            raise ValueError(f"{path}: truncated record at byte {offset}")
        frames.append(frame)
        offset += incl_len
    if offset != len(data):
        raise ValueError(f"{path}: {len(data) - offset} stray bytes at the end")
    return frames


# ---------------------------------------------------------------------------------------------
# checksums and addresses


def ones_complement_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum."""
    return ~ones_complement_sum(data) & 0xFFFF


def mac(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def ip4(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def ip6(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


# ---------------------------------------------------------------------------------------------
# builders


def ethernet(dst: str, src: str, ethertype: int, payload: bytes) -> bytes:
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


def udp(src_port: int, dst_port: int, data: bytes) -> bytes:
    """A UDP header and data, checksum 0 (none, for IPv4) unless filled by the caller."""
    return struct.pack("!HHHH", src_port, dst_port, 8 + len(data), 0) + data


def icmp_echo(ident: int, seq: int, data: bytes, v6: bool = False) -> bytes:
    kind = 128 if v6 else 8
    body = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    if v6:
        return body  # the ICMPv6 checksum covers a pseudo-header; a router never looks at it
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def ipv4(src: str, dst: str, payload: bytes, *, ttl: int = 64, proto: int = PROTO_UDP,
         ident: int = 0x1234, tos: int = 0, flags_frag: int = 0x4000, options: bytes = b"",
         version: int = 4, ihl: int | None = None, total_length: int | None = None,
         bad_checksum: bool = False) -> bytes:
    """An IPv4 header (with a correct checksum unless bad_checksum) followed by payload."""
    assert len(options) % 4 == 0
    if ihl is None:
        ihl = 5 + len(options) // 4
    if total_length is None:
        total_length = 20 + len(options) + len(payload)
    header = bytearray(struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, total_length, ident,
                                   flags_frag, ttl, proto, 0, ip4(src), ip4(dst)) + options)
    value = checksum(bytes(header[:max(20, min(len(header), ihl * 4))]))
    if bad_checksum:
        value ^= 0x5A5A
    header[10:12] = struct.pack("!H", value)
    return bytes(header) + payload


def ipv6(src: str, dst: str, payload: bytes, *, hop_limit: int = 64, next_header: int = PROTO_UDP,
         traffic_class: int = 0, flow_label: int = 0x12345, version: int = 6,
         payload_length: int | None = None) -> bytes:
    if payload_length is None:
        payload_length = len(payload)
    first = (version << 28) | (traffic_class << 20) | flow_label
    return struct.pack("!IHBB16s16s", first, payload_length, next_header, hop_limit,
                       ip6(src), ip6(dst)) + payload


def tagged(tag: int, size: int = 32) -> bytes:
    """Test data that names its packet: 'SWFT' + tag, then bytes derived from the tag."""
    head = b"SWFT" + struct.pack("!I", tag)
    return head + bytes((tag * 7 + i) & 0xFF for i in range(max(0, size - len(head))))


def find_tag(frame: bytes):
    """The tag of a frame built with tagged() data, or None."""
    at = frame.find(b"SWFT")
    if at < 0 or at + 8 > len(frame):
        return None
    return struct.unpack("!I", frame[at + 4:at + 8])[0]


# ---------------------------------------------------------------------------------------------
# parsers


def parse_ethernet(frame: bytes) -> dict:
    return {"dst": mac_text(frame[0:6]), "src": mac_text(frame[6:12]),
            "ethertype": struct.unpack("!H", frame[12:14])[0], "payload": frame[14:]}


def parse_ipv4(packet: bytes) -> dict:
    vihl, tos, total_length, ident, flags_frag, ttl, proto, csum, src, dst = struct.unpack(
        "!BBHHHBBH4s4s", packet[:20])
    ihl = vihl & 0xF
    return {"version": vihl >> 4, "ihl": ihl, "tos": tos, "total_length": total_length,
            "ident": ident, "flags_frag": flags_frag, "ttl": ttl, "proto": proto, "checksum": csum,
            "src": str(ipaddress.IPv4Address(src)), "dst": str(ipaddress.IPv4Address(dst)),
            "options": packet[20:ihl * 4], "header": packet[:ihl * 4],
            "payload": packet[ihl * 4:total_length]}


def parse_ipv6(packet: bytes) -> dict:
    first, payload_length, next_header, hop_limit, src, dst = struct.unpack("!IHBB16s16s", packet[:40])
    return {"version": first >> 28, "traffic_class": (first >> 20) & 0xFF,
            "flow_label": first & 0xFFFFF, "payload_length": payload_length,
            "next_header": next_header, "hop_limit": hop_limit,
            "src": str(ipaddress.IPv6Address(src)), "dst": str(ipaddress.IPv6Address(dst)),
            "payload": packet[40:40 + payload_length]}


def ipv4_header_valid(header: bytes) -> bool:
    """True if the header's checksum verifies (RFC 1071: the sum over the header is all ones)."""
    return ones_complement_sum(header) == 0xFFFF
