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

    /// Applies one change; false if the fast path refused it. `installed` holds the prefixes
    /// routed from the kernel.
    public func apply(_ change: MirrorChange, to table: inout ForwardingTable, installed: inout Set<IPPrefix>) -> Bool {
        switch change {
        case .neighborAdded(let n), .neighborReplaced(_, let n):
            guard let port = portOfIfindex[n.ifindex] else { return true }
            if table.neighbors[n.address]?.source == "static" { return true }
            guard n.isUsable, let mac = n.mac else { return removeNeighbor(n.address, from: &table) }
            return (try? table.addNeighbor(n.address, mac: mac, port: port, source: "kernel")) != nil
        case .neighborDeleted(let n):
            return removeNeighbor(n.address, from: &table)
        case .routeAdded(let r), .routeReplaced(_, let r):
            guard let target = target(of: r) else {
                return installed.contains(r.prefix) ? removeRoute(r.prefix, from: &table, installed: &installed) : true
            }
            guard (try? table.addRoute(r.prefix, target)) != nil else { return false }
            installed.insert(r.prefix)
            return true
        case .routeDeleted(let r):
            return installed.contains(r.prefix) ? removeRoute(r.prefix, from: &table, installed: &installed) : true
        default:
            return true
        }
    }

    /// Where the fast path should send a kernel route, or nil if it should not have it.
    public func target(of route: KernelRoute) -> RouteSpec.Target? {
        guard route.type == .unicast, route.protocol != .kernel, !configRoutes.contains(route.prefix) else { return nil }
        guard let hop = route.nextHops.first(where: { !$0.isDead }), let port = portOfIfindex[hop.ifindex] else { return nil }
        if let gateway = hop.gateway { return .via(gateway) }
        return .port(port)
    }

    func removeNeighbor(_ address: IPAddress, from table: inout ForwardingTable) -> Bool {
        guard table.neighbors[address]?.source == "kernel" else { return true }
        return (try? table.deleteNeighbor(address)) != nil
    }

    func removeRoute(_ prefix: IPPrefix, from table: inout ForwardingTable, installed: inout Set<IPPrefix>) -> Bool {
        installed.remove(prefix)
        return (try? table.deleteRoute(prefix)) != nil
    }
}
