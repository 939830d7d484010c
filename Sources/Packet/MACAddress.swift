/// A 48-bit Ethernet address, held in the low 48 bits of a UInt64 in wire order
/// (first octet most significant), so comparisons and printing are simple.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64

    @inlinable public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 6)
        value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (colons or dashes, either case).
    public init?(_ text: String) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var v: UInt64 = 0
        for p in parts {
            guard p.count == 2, p.allSatisfy(\.isHexDigit), let b = UInt8(p, radix: 16) else { return nil }
            v = v << 8 | UInt64(b)
        }
        value = v
    }

    /// The I/G bit of the first octet: set for group (multicast and broadcast) addresses.
    @inlinable public var isGroup: Bool { value & 0x0100_0000_0000 != 0 }
    @inlinable public var isZero: Bool { value == 0 }

    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64($0))) } }

    /// Writes the 6 bytes in wire order.
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        for i in 0..<6 { p.storeBytes(of: UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64(i))), toByteOffset: i, as: UInt8.self) }
    }

    @inlinable public init(loadingFrom p: UnsafeRawPointer) {
        var v: UInt64 = 0
        for i in 0..<6 { v = v << 8 | UInt64(p.load(fromByteOffset: i, as: UInt8.self)) }
        value = v
    }

    public var description: String {
        bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: ":")
    }
}
