import Packet

/// One rtattr: its type (nested/byte-order bits masked off) and its value.
struct Attribute {
    var type: UInt16
    var value: ByteView
}

/// Walks the attributes that follow a fixed header. An attribute whose length is below the
/// 4-byte attribute header or beyond the end of the message is an error for the whole message:
/// the attributes after it cannot be found, and a half-read route must not be mirrored.
struct AttributeIterator {
    private let area: ByteView
    private var offset = 0

    init(_ area: ByteView) { self.area = area }

    /// The next attribute, nil at the end; throws a reason on a bad frame.
    mutating func next() throws(Malformed) -> Attribute? {
        // Fewer than 4 bytes left cannot hold an attribute; the kernel's own parser ignores such
        // a remainder (with a warning), and so do we.
        guard area.count - offset >= NL.attributeHeaderSize else { return nil }
        guard let rawLength = try? area.u16(at: offset), let rawType = try? area.u16(at: offset + 2) else {
            throw Malformed(reason: "attribute header at offset \(offset) is cut short")
        }
        let length = Int(rawLength)
        guard length >= NL.attributeHeaderSize else {
            throw Malformed(reason: "attribute type \(rawType & 0x3FFF) at offset \(offset) has length \(length), less than its own 4-byte header")
        }
        guard length <= area.count - offset,
              let value = try? area.slice(at: offset + NL.attributeHeaderSize, count: length - NL.attributeHeaderSize) else {
            throw Malformed(reason: "attribute type \(rawType & 0x3FFF) at offset \(offset) says \(length) bytes but only \(area.count - offset) are left")
        }
        offset = min(area.count, offset + NL.align(length))
        // NLA_F_NESTED (0x8000) and NLA_F_NET_BYTEORDER (0x4000) are flags, not type.
        return Attribute(type: rawType & 0x3FFF, value: value)
    }
}

/// Why a message could not be read; the decoder turns it into a `NetlinkDecodeError` that
/// names the message.
struct Malformed: Error {
    var reason: String
}

extension Attribute {
    /// A 32-bit value; anything but exactly 4 bytes is refused.
    func u32(_ what: String) throws(Malformed) -> UInt32 {
        guard value.count == 4, let v = try? value.u32(at: 0) else {
            throw Malformed(reason: "\(what) has \(value.count) bytes, expected 4")
        }
        return v
    }

    func i32(_ what: String) throws(Malformed) -> Int32 { Int32(bitPattern: try u32(what)) }

    /// An IP address of the given family from a value of exactly 4 or 16 bytes.
    func address(family: UInt8, _ what: String) throws(Malformed) -> IPAddress {
        try readAddress(value, family: family, what)
    }

    /// A NUL-terminated string (IFLA_IFNAME); a missing terminator is tolerated, invalid UTF-8
    /// is repaired rather than refused since the name is only shown.
    func string() -> String {
        var bytes = Array(value.base)
        if let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Reads an address of `family` that must fill `view` exactly.
func readAddress(_ view: ByteView, family: UInt8, _ what: String) throws(Malformed) -> IPAddress {
    switch family {
    case Family.inet:
        guard view.count == 4, let raw = try? view.u32(at: 0) else {
            throw Malformed(reason: "\(what) has \(view.count) bytes, an IPv4 address has 4")
        }
        return .v4(IPv4Address(networkOrder: raw))
    case Family.inet6:
        guard view.count == 16, let base = view.base.baseAddress else {
            throw Malformed(reason: "\(what) has \(view.count) bytes, an IPv6 address has 16")
        }
        return .v6(IPv6Address(bytes: base))
    default:
        throw Malformed(reason: "\(what) is of address family \(family), neither IPv4 nor IPv6")
    }
}
