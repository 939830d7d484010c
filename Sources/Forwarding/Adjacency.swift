import Packet

/// What to do with a packet whose route lookup returned a given next-hop index.
public enum AdjacencyAction: UInt8, Sendable {
    case forward = 0
    case local
    case noRoute
    case noNeighbor
}

/// One entry of the next-hop table that the FIB's next-hop values index. Everything a worker
/// needs to finish a packet is here, precomputed, so the fast path does one load per packet.
public struct Adjacency: Sendable, Equatable {
    public var action: AdjacencyAction
    /// Egress port index for `.forward` (and the port that lacks the neighbor for `.noNeighbor`).
    public var port: UInt16
    /// Largest IP packet (bytes after the Ethernet header) the egress port may send.
    public var mtu: UInt16
    /// Destination and source MAC to write for `.forward`.
    public var rewrite: Ethernet.AddressRewrite

    public init(action: AdjacencyAction, port: UInt16 = 0, mtu: UInt16 = 0,
                rewrite: Ethernet.AddressRewrite = Ethernet.AddressRewrite()) {
        self.action = action
        self.port = port
        self.mtu = mtu
        self.rewrite = rewrite
    }

    /// Fixed indices: the FIB's default next hop is `noRouteIndex`, so a miss needs no branch.
    @inlinable public static var noRouteIndex: UInt32 { 0 }
    @inlinable public static var localIndex: UInt32 { 1 }
}
