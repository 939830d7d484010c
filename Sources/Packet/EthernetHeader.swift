/// Ethernet II header layout (IEEE 802.3 clause 3.1.1) and the EtherTypes the forwarder knows.
public enum Ethernet {
    @inlinable public static var headerLength: Int { 14 }
    @inlinable public static var typeOffset: Int { 12 }

    @inlinable public static var typeIPv4: UInt16 { 0x0800 }
    @inlinable public static var typeARP: UInt16 { 0x0806 }
    @inlinable public static var typeIPv6: UInt16 { 0x86DD }
    @inlinable public static var typeVLAN: UInt16 { 0x8100 }

    /// The destination MAC as a 48-bit value in wire order, read with one 8-byte load where the
    /// frame is long enough (the caller has checked for 14 bytes).
    @inlinable @inline(__always)
    public static func destination(_ frame: UnsafeRawPointer) -> UInt64 {
        let hi = UInt64(UInt32(bigEndian: frame.loadUnaligned(as: UInt32.self)))
        let lo = UInt64(UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        return hi << 16 | lo
    }

    @inlinable @inline(__always)
    public static func etherType(_ frame: UnsafeRawPointer) -> UInt16 {
        UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: typeOffset, as: UInt16.self))
    }

    /// The 12 address bytes (destination then source) as they lie in memory, so a rewrite is
    /// one 8-byte and one 4-byte store.
    public struct AddressRewrite: Sendable, Equatable {
        public var first8: UInt64
        public var last4: UInt32

        public init(destination: MACAddress, source: MACAddress) {
            var bytes = [UInt8](repeating: 0, count: 12)
            bytes.withUnsafeMutableBytes { raw in
                destination.store(to: raw.baseAddress!)
                source.store(to: raw.baseAddress! + 6)
            }
            first8 = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            last4 = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
        }

        public init() { first8 = 0; last4 = 0 }

        @inlinable @inline(__always)
        public func apply(to frame: UnsafeMutableRawPointer) {
            frame.storeBytes(of: first8, as: UInt64.self)
            frame.storeBytes(of: last4, toByteOffset: 8, as: UInt32.self)
        }
    }
}
