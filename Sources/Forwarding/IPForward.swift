import Packet

/// Stage 4: after the route lookup, finish one packet: local or transit, TTL/hop limit,
/// MTU, then the Ethernet rewrite. Returns the egress port or the drop reason.
public enum IPForward {
    public enum Verdict: Equatable {
        case transmit(port: UInt16)
        case drop(DropReason)
    }

    @inlinable @inline(__always)
    public static func ipv4(frame: UnsafeMutableRawPointer, ipLength: Int, adjacency: Adjacency) -> Verdict {
        let header = frame + Ethernet.headerLength
        // RFC 1812 5.3.1: a packet in transit with TTL <= 1 must not be forwarded.
        let expired = IPv4Header.ttl(header) <= 1
        // The common case first, as straight-line code.
        if adjacency.action == .forward {
            if expired { return .drop(.ipv4TTLExpired) }
            if ipLength > Int(adjacency.mtu) { return .drop(.mtuExceeded) }
            IPv4Header.decrementTTL(header)
            adjacency.rewrite.apply(to: frame)
            return .transmit(port: adjacency.port)
        }
        return notForwarded(adjacency.action, expired: expired, expiredReason: .ipv4TTLExpired)
    }

    @inlinable @inline(__always)
    public static func ipv6(frame: UnsafeMutableRawPointer, ipLength: Int, adjacency: Adjacency) -> Verdict {
        let header = frame + Ethernet.headerLength
        let expired = IPv6Header.hopLimit(header) <= 1
        if adjacency.action == .forward {
            if expired { return .drop(.ipv6HopLimitExpired) }
            if ipLength > Int(adjacency.mtu) { return .drop(.mtuExceeded) }
            IPv6Header.decrementHopLimit(header)
            adjacency.rewrite.apply(to: frame)
            return .transmit(port: adjacency.port)
        }
        return notForwarded(adjacency.action, expired: expired, expiredReason: .ipv6HopLimitExpired)
    }

    /// Local delivery is decided before the TTL (a ping with TTL 1 to the router is for the
    /// router); a packet that would need a missing neighbor but has expired anyway counts as
    /// expired, as it would have been dropped for that first.
    @inlinable @inline(__always)
    static func notForwarded(_ action: AdjacencyAction, expired: Bool, expiredReason: DropReason) -> Verdict {
        if action == .local { return .drop(.local) }
        if action == .noNeighbor { return .drop(expired ? expiredReason : .noNeighbor) }
        return .drop(.noRoute)
    }
}
