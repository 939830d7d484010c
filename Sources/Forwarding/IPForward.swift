import Packet

/// Stage 4: after the route lookup, finish one packet: local or transit, TTL/hop limit,
/// MTU, then the Ethernet rewrite. Returns the egress port or the drop reason.
///
/// `adjacencies` is the whole table the adjacency came from: a multipath adjacency names its
/// members there.
public enum IPForward {
    public enum Verdict: Equatable {
        case transmit(port: UInt16)
        case drop(DropReason)
    }

    @inlinable @inline(__always)
    public static func ipv4(frame: UnsafeMutableRawPointer, ipLength: Int, adjacency: Adjacency,
                            adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int) -> Verdict {
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
        // A group: tested on `buckets`, not `action` (see `member`).
        if adjacency.buckets != 0 {
            return ipv4Multipath(frame: frame, ipLength: ipLength, action: adjacency.action, buckets: adjacency.buckets,
                                 adjacencies: adjacencies, adjacencyCount: adjacencyCount)
        }
        return notForwarded(adjacency.action, expired: expired, expiredReason: .ipv4TTLExpired)
    }

    @inlinable @inline(__always)
    public static func ipv6(frame: UnsafeMutableRawPointer, ipLength: Int, adjacency: Adjacency,
                            adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int) -> Verdict {
        let header = frame + Ethernet.headerLength
        let expired = IPv6Header.hopLimit(header) <= 1
        if adjacency.action == .forward {
            if expired { return .drop(.ipv6HopLimitExpired) }
            if ipLength > Int(adjacency.mtu) { return .drop(.mtuExceeded) }
            IPv6Header.decrementHopLimit(header)
            adjacency.rewrite.apply(to: frame)
            return .transmit(port: adjacency.port)
        }
        if adjacency.buckets != 0 {
            return ipv6Multipath(frame: frame, ipLength: ipLength, action: adjacency.action, buckets: adjacency.buckets,
                                 adjacencies: adjacencies, adjacencyCount: adjacencyCount)
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

    // MARK: ECMP, out of line: the common loop stays as small as it was.

    /// The member of a multipath group that carries the packet's flow. The hash reads only
    /// fields every packet of the flow shares (FlowHash), so a flow always takes one member and
    /// its packets stay in order. The low bits choose the bucket: pipeline mode chooses the
    /// worker from the high bits of the same hash (`FlowHash.pick`), and the low ones leave
    /// every worker all the buckets.
    ///
    /// Why stage 4 recognises a group by `buckets != 0` (only a group has buckets) and not by
    /// its action: a fifth test on the action byte makes the compiler turn the tests into a
    /// jump table, an indirect jump in front of every forwarded packet (seen in the worker's
    /// disassembly); a test on another field, inside the not-forward branch, leaves the
    /// `.forward` test first and the forward branch as it was. The action is checked here.
    @inlinable @inline(__always)
    public static func member(action: AdjacencyAction, buckets: UInt32, frame: UnsafeRawPointer, ipLength: Int,
                              adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int) -> Adjacency {
        guard action == .multipath else { return Adjacency(action: .noRoute) }
        let hash = FlowHash.of(frame, length: ipLength &+ Ethernet.headerLength)
        let index = Int(buckets) &+ Int(hash & UInt32(Adjacency.multipathBuckets &- 1))
        // The table is shared memory: an index outside it is read as "no route", not trusted.
        return index < adjacencyCount ? adjacencies[index] : Adjacency(action: .noRoute)
    }

    /// A multipath packet, finished as its member says: forwarded exactly as for `.forward`, or,
    /// when the member's neighbor is unresolved, dropped as `no_neighbor` (punted, so the kernel
    /// resolves it) like any route to an unresolved next hop. A member is never a group itself;
    /// one that claims to be is read as "no route", as is an adjacency with buckets that is
    /// not a group.
    @usableFromInline @inline(never)
    static func ipv4Multipath(frame: UnsafeMutableRawPointer, ipLength: Int, action: AdjacencyAction, buckets: UInt32,
                              adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int) -> Verdict {
        let member = member(action: action, buckets: buckets, frame: frame, ipLength: ipLength,
                            adjacencies: adjacencies, adjacencyCount: adjacencyCount)
        let header = frame + Ethernet.headerLength
        let expired = IPv4Header.ttl(header) <= 1
        if member.action == .forward {
            if expired { return .drop(.ipv4TTLExpired) }
            if ipLength > Int(member.mtu) { return .drop(.mtuExceeded) }
            IPv4Header.decrementTTL(header)
            member.rewrite.apply(to: frame)
            return .transmit(port: member.port)
        }
        return notForwarded(member.action, expired: expired, expiredReason: .ipv4TTLExpired)
    }

    @usableFromInline @inline(never)
    static func ipv6Multipath(frame: UnsafeMutableRawPointer, ipLength: Int, action: AdjacencyAction, buckets: UInt32,
                              adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int) -> Verdict {
        let member = member(action: action, buckets: buckets, frame: frame, ipLength: ipLength,
                            adjacencies: adjacencies, adjacencyCount: adjacencyCount)
        let header = frame + Ethernet.headerLength
        let expired = IPv6Header.hopLimit(header) <= 1
        if member.action == .forward {
            if expired { return .drop(.ipv6HopLimitExpired) }
            if ipLength > Int(member.mtu) { return .drop(.mtuExceeded) }
            IPv6Header.decrementHopLimit(header)
            member.rewrite.apply(to: frame)
            return .transmit(port: member.port)
        }
        return notForwarded(member.action, expired: expired, expiredReason: .ipv6HopLimitExpired)
    }
}
