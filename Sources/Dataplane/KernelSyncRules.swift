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
/// - A unicast route whose first live next hop leaves through a twin becomes a route via the
///   gateway, or out of the port without one. Connected routes (proto kernel: the fast path has
///   them from the config) and prefixes the config routes itself are skipped. Multipath: the
///   first live next hop (ECMP is not done). Only routes these rules installed are deleted.
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
            guard let target = target(of: r) else { return removeRoute(r.prefix, &installed) }
            installed.insert(r.prefix)
            return [.addRoute(r.prefix, target)]
        case .routeDeleted(let r):
            return removeRoute(r.prefix, &installed)
        default:
            return []
        }
    }

    /// Where the fast path should send a kernel route, or nil if it should not have it.
    public func target(of route: KernelRoute) -> RouteSpec.Target? {
        guard route.type == .unicast, route.protocol != .kernel, !configRoutes.contains(route.prefix) else { return nil }
        guard let hop = route.nextHops.first(where: { !$0.isDead }), let port = portOfIfindex[hop.ifindex] else { return nil }
        if let gateway = hop.gateway { return .via(gateway) }
        return .port(port)
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
