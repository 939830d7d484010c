import Packet

/// Builds one netlink message: header, fixed family header, attributes, each padded to 4 bytes
/// as the kernel expects. Integers are written in host order, addresses in network order.
/// Used for requests and, in tests, to write the messages the kernel would send.
struct MessageBuilder {
    private(set) var bytes: [UInt8]
    /// Start offsets of nested attributes still open, so their length can be patched.
    private var openNests: [Int] = []

    init(type: UInt16, flags: UInt16, sequence: UInt32 = 0, portID: UInt32 = 0) {
        bytes = []
        bytes.reserveCapacity(128)
        appendU32(0)                  // nlmsg_len, patched by `finish()`
        appendU16(type)
        appendU16(flags)
        appendU32(sequence)
        appendU32(portID)
    }

    mutating func appendU8(_ v: UInt8) { bytes.append(v) }
    mutating func appendU16(_ v: UInt16) { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } }
    mutating func appendU32(_ v: UInt32) { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } }
    mutating func appendI32(_ v: Int32) { appendU32(UInt32(bitPattern: v)) }
    mutating func appendZeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    mutating func pad() { appendZeros(NL.align(bytes.count) - bytes.count) }

    /// An attribute with a raw value.
    mutating func attribute(_ type: UInt16, _ value: [UInt8]) {
        pad()
        appendU16(UInt16(NL.attributeHeaderSize + value.count))
        appendU16(type)
        bytes.append(contentsOf: value)
        pad()
    }

    mutating func attribute(_ type: UInt16, u32 value: UInt32) {
        attribute(type, withUnsafeBytes(of: value) { Array($0) })
    }

    mutating func attribute(_ type: UInt16, address: IPAddress) {
        attribute(type, address.networkBytes)
    }

    /// NUL-terminated string, as IFLA_IFNAME wants it.
    mutating func attribute(_ type: UInt16, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    /// Opens an attribute whose value is built by the following appends (RTA_MULTIPATH, or a
    /// struct rtnexthop with its own attributes); `closeNest()` writes its length.
    mutating func openNest(_ type: UInt16) {
        pad()
        openNests.append(bytes.count)
        appendU16(0)
        appendU16(type)
    }

    mutating func closeNest() {
        let start = openNests.removeLast()
        patchU16(at: start, UInt16(bytes.count - start))
        pad()
    }

    /// Starts a struct rtnexthop inside RTA_MULTIPATH; close it with `closeNextHop()`.
    mutating func openNextHop(flags: UInt8, hops: UInt8, ifindex: Int32) {
        pad()
        openNests.append(bytes.count)
        appendU16(0)
        appendU8(flags)
        appendU8(hops)
        appendI32(ifindex)
    }

    mutating func closeNextHop() { closeNest() }

    private mutating func patchU16(at offset: Int, _ v: UInt16) {
        withUnsafeBytes(of: v) { raw in
            for i in 0..<2 { bytes[offset + i] = raw[i] }
        }
    }

    /// The finished message with nlmsg_len set.
    func finish() -> [UInt8] {
        var out = bytes
        let length = UInt32(out.count)
        withUnsafeBytes(of: length) { raw in
            for i in 0..<4 { out[i] = raw[i] }
        }
        return out
    }
}

extension IPAddress {
    /// The address in network order: 4 or 16 bytes.
    var networkBytes: [UInt8] {
        switch self {
        case .v4(let a): return withUnsafeBytes(of: a.value.bigEndian) { Array($0) }
        case .v6(let a): return a.bytes
        }
    }

    var netlinkFamily: UInt8 {
        switch self {
        case .v4: return Family.inet
        case .v6: return Family.inet6
        }
    }
}

extension IPPrefix {
    var netlinkFamily: UInt8 {
        switch self {
        case .v4: return Family.inet
        case .v6: return Family.inet6
        }
    }

    var networkAddress: IPAddress {
        switch self {
        case .v4(let p): return .v4(p.address)
        case .v6(let p): return .v6(p.address)
        }
    }
}
