/// Bulk longest-prefix match, as the pipeline needs it. The fast path uses DPDK's rte_fib and
/// rte_fib6 (module Dataplane); tests and control-plane checks use `ReferenceRouteTable`.
/// The pipeline is generic over this protocol and @inlinable, so each use is specialised:
/// no dynamic dispatch per burst.
public protocol RouteLookup {
    /// Writes into `nextHops[i]` the next-hop index for `addresses[i]` (host byte order);
    /// an address no route covers gets `Adjacency.noRouteIndex`.
    func lookupIPv4(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int)
    /// Same for IPv6; `addresses` holds `count` 16-byte addresses in network order, back to back.
    func lookupIPv6(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int)
    /// True when `lookupIPv4(_:)` on one address is cheaper than its share of a bulk call: the
    /// pipeline then looks up a burst of usual IPv4 frames in a loop of single lookups (read
    /// once per burst).
    var looksUpIPv4Singly: Bool { get }
    /// The next-hop index for one address (host byte order).
    func lookupIPv4(_ address: UInt32) -> UInt64
    /// True when the pipeline should call `prefetchIPv4(_:)` for each usual IPv4 frame as it
    /// reads its destination (read once per burst): worth it for a table too large for the
    /// cache, a cost for a small one.
    var prefetchesIPv4: Bool { get }
    /// A hint that `lookupIPv4(_:)` of this address comes soon: start loading what it reads.
    func prefetchIPv4(_ address: UInt32)
}

extension RouteLookup {
    public var looksUpIPv4Singly: Bool { false }

    public var prefetchesIPv4: Bool { false }

    public func prefetchIPv4(_ address: UInt32) {}

    public func lookupIPv4(_ address: UInt32) -> UInt64 {
        var address = address
        var nextHop: UInt64 = 0
        lookupIPv4(&address, &nextHop, count: 1)
        return nextHop
    }
}
