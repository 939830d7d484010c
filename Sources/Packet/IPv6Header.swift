/// IPv6 header field offsets (RFC 8200 section 3) and accessors over raw memory.
public enum IPv6Header {
    @inlinable public static var length: Int { 40 }
    @inlinable public static var payloadLengthOffset: Int { 4 }
    @inlinable public static var nextHeaderOffset: Int { 6 }
    @inlinable public static var hopLimitOffset: Int { 7 }
    @inlinable public static var sourceOffset: Int { 8 }
    @inlinable public static var destinationOffset: Int { 24 }

    @inlinable @inline(__always)
    public static func version(_ h: UnsafeRawPointer) -> UInt8 { h.load(as: UInt8.self) >> 4 }

    @inlinable @inline(__always)
    public static func payloadLength(_ h: UnsafeRawPointer) -> Int {
        Int(UInt16(bigEndian: h.loadUnaligned(fromByteOffset: payloadLengthOffset, as: UInt16.self)))
    }

    @inlinable @inline(__always)
    public static func hopLimit(_ h: UnsafeRawPointer) -> UInt8 { h.load(fromByteOffset: hopLimitOffset, as: UInt8.self) }

    @inlinable @inline(__always)
    public static func decrementHopLimit(_ h: UnsafeMutableRawPointer) {
        h.storeBytes(of: hopLimit(h) &- 1, toByteOffset: hopLimitOffset, as: UInt8.self)
    }

    /// The first 8 bytes of an address in host order: enough to classify every special range.
    @inlinable @inline(__always)
    public static func sourceHigh(_ h: UnsafeRawPointer) -> UInt64 {
        UInt64(bigEndian: h.loadUnaligned(fromByteOffset: sourceOffset, as: UInt64.self))
    }
    @inlinable @inline(__always)
    public static func sourceLow(_ h: UnsafeRawPointer) -> UInt64 {
        UInt64(bigEndian: h.loadUnaligned(fromByteOffset: sourceOffset + 8, as: UInt64.self))
    }
    @inlinable @inline(__always)
    public static func destinationHigh(_ h: UnsafeRawPointer) -> UInt64 {
        UInt64(bigEndian: h.loadUnaligned(fromByteOffset: destinationOffset, as: UInt64.self))
    }
    @inlinable @inline(__always)
    public static func destinationLow(_ h: UnsafeRawPointer) -> UInt64 {
        UInt64(bigEndian: h.loadUnaligned(fromByteOffset: destinationOffset + 8, as: UInt64.self))
    }
}
