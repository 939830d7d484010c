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
        switch adjacency.action {
        case .forward:
            // RFC 1812 5.3.1: a packet in transit with TTL <= 1 must not be forwarded.
            guard IPv4Header.ttl(header) > 1 else { return .drop(.ipv4TTLExpired) }
            guard ipLength <= Int(adjacency.mtu) else { return .drop(.mtuExceeded) }
            IPv4Header.decrementTTL(header)
            adjacency.rewrite.apply(to: frame)
            return .transmit(port: adjacency.port)
        case .local: return .drop(.local)
        case .noRoute: return .drop(.noRoute)
        case .noNeighbor:
            guard IPv4Header.ttl(header) > 1 else { return .drop(.ipv4TTLExpired) }
            return .drop(.noNeighbor)
        }
    }

    @inlinable @inline(__always)
    public static func ipv6(frame: UnsafeMutableRawPointer, ipLength: Int, adjacency: Adjacency) -> Verdict {
        let header = frame + Ethernet.headerLength
        switch adjacency.action {
        case .forward:
            guard IPv6Header.hopLimit(header) > 1 else { return .drop(.ipv6HopLimitExpired) }
            guard ipLength <= Int(adjacency.mtu) else { return .drop(.mtuExceeded) }
            IPv6Header.decrementHopLimit(header)
            adjacency.rewrite.apply(to: frame)
            return .transmit(port: adjacency.port)
        case .local: return .drop(.local)
        case .noRoute: return .drop(.noRoute)
        case .noNeighbor:
            guard IPv6Header.hopLimit(header) > 1 else { return .drop(.ipv6HopLimitExpired) }
            return .drop(.noNeighbor)
        }
    }
}
