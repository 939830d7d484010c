import Packet

/// What to do with a packet whose route lookup returned a given next-hop index.
public enum AdjacencyAction: UInt8, Sendable {
    case forward = 0
    case local
    case noRoute
    case noNeighbor
    /// ECMP: pick one of the group's member adjacencies by the packet's flow hash, then finish
    /// the packet as that member says (`IPForward`).
    case multipath
}

/// One entry of the next-hop table that the FIB's next-hop values index. Everything a worker
/// needs to finish a packet is here, precomputed, so the fast path does one load per packet.
public struct Adjacency: Sendable, Equatable {
    public var action: AdjacencyAction
    /// Egress port index for `.forward` (and the port that lacks the neighbor for `.noNeighbor`).
    public var port: UInt16
    /// Largest IP packet (bytes after the Ethernet header) the egress port may send. For
    /// `.multipath`, the smallest of its members' (shown by the console; fragmentation and
    /// "too big" errors use the MTU of the member the packet's flow takes, `EgressLookup`).
    public var mtu: UInt16
    /// Destination and source MAC to write for `.forward`.
    public var rewrite: Ethernet.AddressRewrite
    /// For `.multipath`: the index of the first of the group's `multipathBuckets` member
    /// entries, copies of the members' adjacencies, each member in as many buckets as its
    /// weight earns. Never 0 for a group, always 0 otherwise: stage 4 tells groups apart by it
    /// (`IPForward.member` says why). In the struct's tail padding: the stride stays 24 bytes.
    public var buckets: UInt32

    public init(action: AdjacencyAction, port: UInt16 = 0, mtu: UInt16 = 0,
                rewrite: Ethernet.AddressRewrite = Ethernet.AddressRewrite(), buckets: UInt32 = 0) {
        self.action = action
        self.port = port
        self.mtu = mtu
        self.rewrite = rewrite
        self.buckets = buckets
    }

    /// Fixed indices: the FIB's default next hop is `noRouteIndex`, so a miss needs no branch.
    @inlinable public static var noRouteIndex: UInt32 { 0 }
    @inlinable public static var localIndex: UInt32 { 1 }

    /// Buckets per multipath group: a power of two, so choosing one is `hash & (count - 1)`.
    /// 64 holds up to 64 next hops and gives weights a resolution of 1/64 of the traffic.
    @inlinable public static var multipathBuckets: Int { 64 }
}
