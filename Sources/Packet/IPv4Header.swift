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

    /// Decrements the TTL and patches the checksum incrementally (RFC 1624), without reading
    /// the rest of the header: the TTL shares a 16-bit word with the protocol field.
    @inlinable @inline(__always)
    public static func decrementTTL(_ h: UnsafeMutableRawPointer) {
        let oldWord = h.loadUnaligned(fromByteOffset: ttlOffset, as: UInt16.self)
        let ttl = h.load(fromByteOffset: ttlOffset, as: UInt8.self)
        h.storeBytes(of: ttl &- 1, toByteOffset: ttlOffset, as: UInt8.self)
        let newWord = h.loadUnaligned(fromByteOffset: ttlOffset, as: UInt16.self)
        let checksum = h.loadUnaligned(fromByteOffset: checksumOffset, as: UInt16.self)
        h.storeBytes(of: InternetChecksum.update(checksum, old: oldWord, new: newWord),
                     toByteOffset: checksumOffset, as: UInt16.self)
    }
}
