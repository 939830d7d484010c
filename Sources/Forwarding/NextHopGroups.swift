import Packet

/// One next hop of a multipath route and its share of the traffic (the kernel's weight,
/// 1...256).
public struct WeightedTarget: Sendable, Hashable, CustomStringConvertible {
    public var target: RouteSpec.Target
    public var weight: UInt16

    public init(_ target: RouteSpec.Target, weight: UInt16 = 1) {
        self.target = target
        self.weight = weight
    }

    public var description: String {
        let hop: String
        switch target {
        case .via(let gateway): hop = "via \(gateway)"
        case .port(let port): hop = "port \(port)"
        }
        return weight == 1 ? hop : "\(hop) weight \(weight)"
    }
}

/// A set of next hops that multipath routes share (ECMP), as grout and VPP share theirs: the
/// routes of a BGP peer pair all point at one group, so a neighbor change rewrites one group,
/// not every route.
///
/// In the adjacency table a group is a run of 1 + `Adjacency.multipathBuckets` entries, at the
/// index the routes' FIB entries hold: first the `.multipath` adjacency, then the buckets,
/// copies of the members' adjacencies (a neighbor's forwarding adjacency, or its port's "no
/// neighbor" one while it is unresolved). A member appears in buckets in proportion to its
/// weight, spread through the run, so the fast path chooses one with `hash & mask` and one load
/// (`IPForward.member`). The copies are rewritten whenever a member's neighbor comes, goes or
/// changes its MAC.
public struct NextHopGroup: Sendable, Equatable {
    /// The members in the order the route gave them, a gateway at most once.
    public var hops: [WeightedTarget]
    /// The multipath routes that point at the group; it is freed when none is left.
    public var routes: Int
}

extension ForwardingTable {
    /// Adds or replaces a route with several next hops. One next hop (after merging repeats)
    /// makes an ordinary route. Refused, changing nothing, when a next hop cannot be resolved
    /// (off every subnet, wrong family) or there are more than `Adjacency.multipathBuckets`.
    public mutating func addMultipathRoute(_ prefix: IPPrefix, _ hops: [WeightedTarget]) throws {
        let merged = Self.merge(hops)
        guard !merged.isEmpty else { throw ForwardingTableError(message: "a route needs at least one next hop") }
        if merged.count == 1 { return try addRoute(prefix, merged[0].target) }
        guard merged.count <= Adjacency.multipathBuckets else {
            throw ForwardingTableError(message: "\(prefix) has \(merged.count) next hops; at most \(Adjacency.multipathBuckets) are supported")
        }
        for hop in merged { _ = try resolve(hop.target, for: prefix) }
        let group = acquireGroup(merged)
        if let old = staticRoutes[prefix] {
            setStaticRoute(prefix, nil)
            if case .via(let gateway) = old { removeFromGateway(gateway, prefix) }
        }
        if let old = setMultipathRoute(prefix, group) { releaseGroup(old) }
        setCandidate(prefix, .staticRoute, group)
    }

    /// Removes the prefix's multipath route, if it has one; true if it had.
    mutating func removeMultipathRoute(_ prefix: IPPrefix) -> Bool {
        guard !multipathRoutes.isEmpty, let old = setMultipathRoute(prefix, nil) else { return false }
        releaseGroup(old)
        return true
    }

    /// The group a multipath adjacency index heads, if it heads one.
    public func group(at index: UInt32) -> NextHopGroup? { groups[index] }

    /// Where the kernel should resolve a neighbor so that packets to `destination` can go fast:
    /// for each next hop of its route that has no neighbor entry, the address to resolve (the
    /// gateway, or the destination itself on a connected subnet) and the port. Empty when the
    /// route's next hops are all resolved or it has none.
    public func unresolvedNextHops(for destination: IPAddress) -> [(address: IPAddress, port: Int)] {
        guard let match = longestMatch(destination) else { return [] }
        if let group = groups[match.nextHop] {
            return group.hops.compactMap { hop in
                guard let port = noNeighborPort(memberIndex(hop.target)) else { return nil }
                if case .via(let gateway) = hop.target { return (gateway, port) }
                return (destination, port)
            }
        }
        guard let port = noNeighborPort(match.nextHop) else { return [] }
        if case .via(let gateway)? = staticRoutes[match.prefix] { return [(gateway, port)] }
        return [(destination, port)]
    }

    // MARK: Internals

    func noNeighborPort(_ index: UInt32) -> Int? {
        let first = Self.noNeighborIndex(port: 0)
        guard index >= first && index < first + UInt32(ports.count) else { return nil }
        return Int(index - first)
    }

    /// Repeated next hops become one, with their weights added (at most 256).
    static func merge(_ hops: [WeightedTarget]) -> [WeightedTarget] {
        var out: [WeightedTarget] = []
        for hop in hops {
            let weight = max(hop.weight, 1)
            if let i = out.firstIndex(where: { $0.target == hop.target }) {
                out[i].weight = min(256, out[i].weight + weight)
            } else {
                out.append(WeightedTarget(hop.target, weight: min(256, weight)))
            }
        }
        return out
    }

    /// The group with exactly these next hops, made if there is none, with one more route.
    mutating func acquireGroup(_ hops: [WeightedTarget]) -> UInt32 {
        if let index = groupOfHops[hops], var group = groups[index] {
            group.routes += 1
            setGroup(index, group)
            return index
        }
        let run = 1 + Adjacency.multipathBuckets
        let index: UInt32
        if let reused = freeGroupRuns.popLast() {
            index = reused
        } else {
            index = UInt32(adjacencies.count)
            adjacencies.append(contentsOf: repeatElement(Adjacency(action: .noRoute), count: run))
        }
        setGroup(index, NextHopGroup(hops: hops, routes: 1))
        setGroupKey(hops, index)
        for hop in hops {
            if case .via(let gateway) = hop.target { addGroupGateway(gateway, index) }
        }
        writeBuckets(index)
        return index
    }

    /// One route fewer for the group; with none left its run is cleared and kept for reuse.
    /// Nothing points at it once the batch's FIB writes are published (as for a neighbor's
    /// adjacency, `deleteNeighbor`).
    mutating func releaseGroup(_ index: UInt32) {
        guard var group = groups[index] else { return }
        group.routes -= 1
        if group.routes > 0 {
            setGroup(index, group)
            return
        }
        setGroup(index, nil)
        setGroupKey(group.hops, nil)
        for hop in group.hops {
            if case .via(let gateway) = hop.target { removeGroupGateway(gateway, index) }
        }
        let start = Int(index)
        for i in start...(start + Adjacency.multipathBuckets) { adjacencies[i] = Adjacency(action: .noRoute) }
        freeGroupRuns.append(index)
        adjacenciesChanged = true
    }

    /// Rewrites the groups with a member via `gateway` (its neighbor came, went or changed).
    mutating func refreshGroups(via gateway: IPAddress) {
        guard !groupsViaGateway.isEmpty, let indexes = groupsViaGateway[gateway] else { return }
        for index in indexes { writeBuckets(index) }
    }

    /// The adjacency a member leads to now: its neighbor's, or its port's "no neighbor" one.
    public func memberIndex(_ target: RouteSpec.Target) -> UInt32 {
        switch target {
        case .port(let port):
            return ports.indices.contains(port) ? Self.noNeighborIndex(port: port) : Adjacency.noRouteIndex
        case .via(let gateway):
            if let neighbor = neighbors[gateway] { return neighbor.adjacency }
            guard let port = ports.firstIndex(where: { $0.addresses.contains { $0.subnet.contains(gateway) } }) else {
                return Adjacency.noRouteIndex
            }
            return Self.noNeighborIndex(port: port)
        }
    }

    /// Writes the group's head and buckets from its members' adjacencies as they are now.
    mutating func writeBuckets(_ index: UInt32) {
        guard let group = groups[index] else { return }
        let members = group.hops.map { adjacencies[Int(memberIndex($0.target))] }
        let order = Self.bucketOrder(weights: group.hops.map(\.weight), buckets: Adjacency.multipathBuckets)
        let head = Adjacency(action: .multipath, port: members[0].port, mtu: members.map(\.mtu).min() ?? 0,
                             buckets: index + 1)
        var changed = adjacencies[Int(index)] != head
        adjacencies[Int(index)] = head
        for (slot, member) in order.enumerated() {
            let i = Int(index) + 1 + slot
            if adjacencies[i] != members[member] {
                adjacencies[i] = members[member]
                changed = true
            }
        }
        if changed { adjacenciesChanged = true }
    }

    /// Which member fills each bucket: each member gets a share of the buckets as close to its
    /// share of the weight as whole buckets allow (largest remainder, at least one each), and
    /// the shares are interleaved (smooth weighted round robin) rather than laid out in blocks,
    /// so that no range of hash values favours one member.
    static func bucketOrder(weights: [UInt16], buckets: Int) -> [Int] {
        let total = weights.reduce(0) { $0 + Int($1) }
        // Quotas in units of 1/total bucket, to stay in integers.
        let quota = weights.map { Int($0) * buckets }
        var counts = quota.map { max(1, $0 / total) }
        var sum = counts.reduce(0, +)
        while sum < buckets {
            // The member furthest below its quota gets one more.
            let i = counts.indices.max { quota[$0] - counts[$0] * total < quota[$1] - counts[$1] * total }!
            counts[i] += 1
            sum += 1
        }
        while sum > buckets {
            // The member furthest above its quota, among those with more than one, gives one up.
            let i = counts.indices.filter { counts[$0] > 1 }
                .max { counts[$0] * total - quota[$0] < counts[$1] * total - quota[$1] }!
            counts[i] -= 1
            sum -= 1
        }
        var current = [Int](repeating: 0, count: counts.count)
        var order: [Int] = []
        order.reserveCapacity(buckets)
        for _ in 0..<buckets {
            for i in counts.indices { current[i] += counts[i] }
            var best = 0
            for i in counts.indices where current[i] > current[best] { best = i }
            current[best] -= buckets
            order.append(best)
        }
        return order
    }
}
