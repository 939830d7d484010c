import Forwarding
import Netlink
import Packet

/// What the fast path takes from the kernel's tables (docs/architecture.md, "Control plane"):
/// pure rules over the mirror's changes and the control-plane table, so they are tested without
/// netlink or DPDK (Tests/DataplaneTests).
///
/// - A neighbor on a twin in a usable NUD state with a MAC becomes a fast-path neighbor with
///   source "kernel"; gone or unusable, it is deleted, but only if its source is "kernel": a
///   static neighbor from the config is never replaced or removed.
/// - A unicast route becomes a route with the next hops it has that are usable: leaving through
///   a twin, not dead or link-down, with a gateway of the route's own family or none (an IPv4
///   route via an IPv6 gateway, RFC 5549, cannot be expressed). Each is via its gateway, or
///   out of the port without one. One usable next hop makes an ordinary route, several a
///   multipath (ECMP) route with the kernel's weights; none, no route. Connected routes (proto
///   kernel: the fast path has them from the config) and prefixes the config routes itself are
///   skipped. Only routes these rules installed are deleted.
public struct KernelSyncRules: Sendable {
    /// The port index of each twin's ifindex.
    public let portOfIfindex: [Int32: Int]
    public let configRoutes: Set<IPPrefix>

    public init(portOfIfindex: [Int32: Int], configRoutes: Set<IPPrefix>) {
        self.portOfIfindex = portOfIfindex
        self.configRoutes = configRoutes
    }

    /// Applies one change to `table` directly; false if the table refused part of it. The
    /// forwarder goes through `changes` and one batch instead; this form is for tests.
    public func apply(_ change: MirrorChange, to table: inout ForwardingTable, installed: inout Set<IPPrefix>) -> Bool {
        var overlay = NeighborOverlay(table: table)
        var ok = true
        for tableChange in changes(for: change, neighbors: &overlay, installed: &installed) {
            if (try? table.apply(tableChange)) == nil { ok = false }
        }
        return ok
    }

    /// The neighbors' sources as they will be once the changes computed so far in a batch are
    /// applied: a neighbor added and removed within one batch must be removed.
    public struct NeighborOverlay {
        let table: ForwardingTable
        var pending: [IPAddress: String?] = [:]
        public init(table: ForwardingTable) { self.table = table }
        func source(_ address: IPAddress) -> String? {
            if let entry = pending[address] { return entry }
            return table.neighbors[address]?.source
        }

        /// Whether the table will take `target` for a route to `prefix` once the batch's
        /// changes so far are applied: a gateway with a neighbor (kept or about to be added) or
        /// on a port's subnet, or a port.
        func canResolve(_ target: RouteSpec.Target, for prefix: IPPrefix) -> Bool {
            if case .via(let gateway) = target, let entry = pending[gateway] {
                if entry != nil { return KernelSyncRules.sameFamily(prefix, gateway) }
                return table.canResolve(target, for: prefix, ignoringNeighbors: true)
            }
            return table.canResolve(target, for: prefix)
        }
    }

    /// What one kernel change means for the fast-path table, as table changes to apply in
    /// order. `installed` is updated as if they all succeed.
    public func changes(for change: MirrorChange, neighbors: inout NeighborOverlay, installed: inout Set<IPPrefix>) -> [TableChange] {
        switch change {
        case .neighborAdded(let n), .neighborReplaced(_, let n):
            guard let port = portOfIfindex[n.ifindex] else { return [] }
            if neighbors.source(n.address) == "static" { return [] }
            guard n.isUsable, let mac = n.mac else { return removeNeighbor(n.address, &neighbors) }
            neighbors.pending[n.address] = .some("kernel")
            return [.addNeighbor(n.address, mac, port: port, source: "kernel")]
        case .neighborDeleted(let n):
            return removeNeighbor(n.address, &neighbors)
        case .routeAdded(let r), .routeReplaced(_, let r):
            // A next hop the table cannot resolve (off every port's subnet with no neighbor,
            // such as a link-local gateway) is left out rather than refusing the whole route:
            // the others still carry it, and with none left the fast path drops the route
            // instead of keeping a stale one.
            let hops = targets(of: r).filter { neighbors.canResolve($0.target, for: r.prefix) }
            guard let first = hops.first else { return removeRoute(r.prefix, &installed) }
            installed.insert(r.prefix)
            return [hops.count == 1 ? .addRoute(r.prefix, first.target) : .addMultipathRoute(r.prefix, hops)]
        case .routeDeleted(let r):
            return removeRoute(r.prefix, &installed)
        default:
            return []
        }
    }

    /// Where the fast path should send a kernel route: its usable next hops with their
    /// weights, in the kernel's order; empty if the fast path should not have it. Beyond
    /// `Adjacency.multipathBuckets` next hops, the first ones.
    public func targets(of route: KernelRoute) -> [WeightedTarget] {
        guard route.type == .unicast, route.protocol != .kernel, !configRoutes.contains(route.prefix) else { return [] }
        var out: [WeightedTarget] = []
        for hop in route.nextHops where hop.flags & (NextHop.flagDead | NextHop.flagLinkDown) == 0 {
            guard let port = portOfIfindex[hop.ifindex], out.count < Adjacency.multipathBuckets else { continue }
            if let gateway = hop.gateway {
                guard Self.sameFamily(route.prefix, gateway) else { continue }
                out.append(WeightedTarget(.via(gateway), weight: hop.weight))
            } else {
                out.append(WeightedTarget(.port(port), weight: hop.weight))
            }
        }
        return out
    }

    static func sameFamily(_ prefix: IPPrefix, _ address: IPAddress) -> Bool {
        switch (prefix, address) {
        case (.v4, .v4), (.v6, .v6): return true
        default: return false
        }
    }

    func removeNeighbor(_ address: IPAddress, _ neighbors: inout NeighborOverlay) -> [TableChange] {
        guard neighbors.source(address) == "kernel" else { return [] }
        neighbors.pending[address] = .some(nil)
        return [.deleteNeighbor(address)]
    }

    func removeRoute(_ prefix: IPPrefix, _ installed: inout Set<IPPrefix>) -> [TableChange] {
        guard installed.contains(prefix) else { return [] }
        installed.remove(prefix)
        return [.deleteRoute(prefix)]
    }
}
