import Packet

/// One control-plane change to the forwarding table, as a console line or a line of a routes
/// file gives it. A value rather than a closure: a batch of a million is one array, parsed on
/// one thread and applied on another.
public enum TableChange: Sendable, Equatable {
    /// Adds the static route, or replaces the one the prefix has.
    case addRoute(IPPrefix, RouteSpec.Target)
    /// Adds a route with several next hops (ECMP), or replaces the one the prefix has.
    case addMultipathRoute(IPPrefix, [WeightedTarget])
    /// Deletes the prefix's route, single or multipath.
    case deleteRoute(IPPrefix)
    /// Adds the neighbor, or changes its MAC or port.
    case addNeighbor(IPAddress, MACAddress, port: Int, source: String)
    case deleteNeighbor(IPAddress)
}

extension ForwardingTable {
    /// Applies one change; a refused change throws before it has changed anything.
    public mutating func apply(_ change: TableChange) throws {
        switch change {
        case .addRoute(let prefix, let target): try addRoute(prefix, target)
        case .addMultipathRoute(let prefix, let hops): try addMultipathRoute(prefix, hops)
        case .deleteRoute(let prefix): try deleteRoute(prefix)
        case .addNeighbor(let address, let mac, let port, let source): try addNeighbor(address, mac: mac, port: port, source: source)
        case .deleteNeighbor(let address): try deleteNeighbor(address)
        }
    }
}
