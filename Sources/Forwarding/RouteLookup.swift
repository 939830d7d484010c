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
}
