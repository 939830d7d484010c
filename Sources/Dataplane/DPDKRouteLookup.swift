import DPDK
import Forwarding

/// The fast path's route lookup: rte_fib for IPv4, rte_fib6 for IPv6, both in bulk; IPv4 also
/// one address at a time from the table read in place (`DirectIPv4Table`), which the pipeline
/// prefers for usual IPv4 frames when the table's layout was recognised.
///
/// It holds bare handles and pointers only: made once per burst and passed to the pipeline,
/// a value with the FIBs' `lookupKind` strings in it would be retained and released each time
/// (test_hot_path_profile.py watches for that).
public struct DPDKRouteLookup: RouteLookup {
    @usableFromInline let ipv4: OpaquePointer
    @usableFromInline let ipv6: OpaquePointer
    @usableFromInline let direct: DirectIPv4Table
    @usableFromInline let prefetch: Bool

    /// `prefetch`: the slot's `prefetchIPv4` (whether the table is large enough to gain).
    @inlinable @inline(__always)
    public init(ipv4: IPv4FIB, ipv6: IPv6FIB, prefetch: Bool = false) {
        self.ipv4 = ipv4.pointer
        self.ipv6 = ipv6.pointer
        direct = ipv4.direct
        self.prefetch = prefetch
    }

    @inlinable @inline(__always)
    public func lookupIPv4(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        IPv4FIB.lookup(ipv4, addresses, nextHops, count: count)
    }

    @inlinable @inline(__always)
    public func lookupIPv6(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        IPv6FIB.lookup(ipv6, addresses, nextHops, count: count)
    }

    @inlinable
    public var looksUpIPv4Singly: Bool { direct.isAvailable }

    @inlinable
    public var prefetchesIPv4: Bool { prefetch && direct.isAvailable }

    @inlinable @inline(__always)
    public func lookupIPv4(_ address: UInt32) -> UInt64 { direct.lookup(address) }

    @inlinable @inline(__always)
    public func prefetchIPv4(_ address: UInt32) { direct.prefetch(address) }
}
