import DPDK
import Forwarding

/// The fast path's route lookup: rte_fib for IPv4, rte_fib6 for IPv6, both in bulk; IPv4 also
/// one address at a time from the table read in place (`DirectIPv4Table`), which the pipeline
/// prefers for usual IPv4 frames when the table's layout was recognised.
public struct DPDKRouteLookup: RouteLookup {
    public let ipv4: IPv4FIB
    public let ipv6: IPv6FIB
    @usableFromInline let direct: DirectIPv4Table

    public init(ipv4: IPv4FIB, ipv6: IPv6FIB) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        direct = ipv4.direct
    }

    @inlinable @inline(__always)
    public func lookupIPv4(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        ipv4.lookup(addresses, nextHops, count: count)
    }

    @inlinable @inline(__always)
    public func lookupIPv6(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        ipv6.lookup(addresses, nextHops, count: count)
    }

    @inlinable
    public var looksUpIPv4Singly: Bool { direct.isAvailable }

    @inlinable @inline(__always)
    public func lookupIPv4(_ address: UInt32) -> UInt64 { direct.lookup(address) }
}
