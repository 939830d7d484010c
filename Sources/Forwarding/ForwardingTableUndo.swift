import Packet

// One change at a time can be undone, without copying the table.
//
// Why: a change is applied to the table first, then its FIB writes go to the data plane's
// standby copy, which may refuse one (a full tbl8 pool). The table must then go back to what it
// was. Copying the table before each change (the copy-on-write of its dictionaries) costs a
// full copy of every dictionary with a million routes in them, tens of milliseconds per
// change; recording the few entries a change overwrites costs a few array appends.

extension ForwardingTable {
    /// The next hop each source claims for one prefix. Inline (no heap), because there is one
    /// per prefix: a dictionary per prefix cost an allocation per route and per change.
    struct Claims: Equatable, Sendable {
        private var connected: UInt32 = 0
        private var staticRoute: UInt32 = 0
        private var neighbor: UInt32 = 0
        private var local: UInt32 = 0
        /// Bit `kind.rawValue` set when that kind claims the prefix.
        private var present: UInt8 = 0

        init() {}

        subscript(kind: RouteKind) -> UInt32? {
            get {
                guard present & (1 << kind.rawValue) != 0 else { return nil }
                switch kind {
                case .connected: return connected
                case .staticRoute: return staticRoute
                case .neighbor: return neighbor
                case .local: return local
                }
            }
            set {
                let value = newValue ?? 0
                switch kind {
                case .connected: connected = value
                case .staticRoute: staticRoute = value
                case .neighbor: neighbor = value
                case .local: local = value
                }
                if newValue == nil { present &= ~(1 << kind.rawValue) } else { present |= 1 << kind.rawValue }
            }
        }

        var isEmpty: Bool { present == 0 }

        /// The highest kind that claims the prefix.
        var winner: RouteKind? {
            guard present != 0 else { return nil }
            return RouteKind(rawValue: 7 - present.leadingZeroBitCount)
        }

        /// What the FIB holds for the prefix: the winner's next hop.
        var nextHop: UInt32? { winner.flatMap { self[$0] } }
    }

    /// What one change overwrote. Small entries for the large dictionaries; the small state
    /// (neighbors, adjacencies) is kept whole, which costs nothing unless the change writes it
    /// (copy-on-write), and then a copy of a few entries per neighbor.
    struct UndoLog {
        var claims: [(IPPrefix, Claims?)] = []
        var staticRoutes: [(IPPrefix, RouteSpec.Target?)] = []
        /// (gateway, prefix, true if the change inserted it, false if it removed it)
        var gateways: [(IPAddress, IPPrefix, Bool)] = []
        var multipathRoutes: [(IPPrefix, UInt32?)] = []
        /// The groups' tables by entry too: a routing daemon's table may hold many groups, and
        /// every multipath route added or removed changes one's count.
        var groups: [(UInt32, NextHopGroup?)] = []
        var groupKeys: [([WeightedTarget], UInt32?)] = []
        /// (gateway, group, true if the change inserted it, false if it removed it)
        var groupGateways: [(IPAddress, UInt32, Bool)] = []
        let neighbors: [IPAddress: NeighborEntry]
        let adjacencies: [Adjacency]
        let freeAdjacencies: [UInt32]
        let freeGroupRuns: [UInt32]
        let adjacenciesChanged: Bool
        let changes: [IPPrefix: FIBChange]
    }

    /// Starts recording what the following calls overwrite, until `commitChange` or
    /// `rollbackChange`.
    public mutating func beginChange() {
        undo = UndoLog(neighbors: neighbors, adjacencies: adjacencies, freeAdjacencies: freeAdjacencies,
                       freeGroupRuns: freeGroupRuns, adjacenciesChanged: adjacenciesChanged, changes: changes)
    }

    /// Keeps what was done since `beginChange`.
    public mutating func commitChange() {
        undo = nil
    }

    /// Puts the table back as it was at `beginChange`, pending FIB changes included.
    public mutating func rollbackChange() {
        guard let log = undo else { return }
        undo = nil
        for (prefix, old) in log.claims.reversed() {
            candidates[prefix] = old
            switch prefix {
            case .v4(let p): ipv4Routes[p] = old?.nextHop
            case .v6(let p): ipv6Routes[p] = old?.nextHop
            }
        }
        for (prefix, old) in log.staticRoutes.reversed() { staticRoutes[prefix] = old }
        for (prefix, old) in log.multipathRoutes.reversed() { multipathRoutes[prefix] = old }
        for (index, old) in log.groups.reversed() { groups[index] = old }
        for (hops, old) in log.groupKeys.reversed() { groupOfHops[hops] = old }
        for (gateway, index, inserted) in log.groupGateways.reversed() {
            if inserted {
                groupsViaGateway[gateway]?.remove(index)
                if groupsViaGateway[gateway]?.isEmpty == true { groupsViaGateway[gateway] = nil }
            } else {
                groupsViaGateway[gateway, default: []].insert(index)
            }
        }
        for (gateway, prefix, inserted) in log.gateways.reversed() {
            if inserted { routesViaGateway[gateway]?.remove(prefix) } else { routesViaGateway[gateway, default: []].insert(prefix) }
        }
        neighbors = log.neighbors
        adjacencies = log.adjacencies
        freeAdjacencies = log.freeAdjacencies
        freeGroupRuns = log.freeGroupRuns
        adjacenciesChanged = log.adjacenciesChanged
        changes = log.changes
    }

    // MARK: Recorded writes to the large dictionaries

    /// Sets or removes a static route; returns the one it replaced.
    @discardableResult
    mutating func setStaticRoute(_ prefix: IPPrefix, _ target: RouteSpec.Target?) -> RouteSpec.Target? {
        let old: RouteSpec.Target?
        if let target { old = staticRoutes.updateValue(target, forKey: prefix) } else { old = staticRoutes.removeValue(forKey: prefix) }
        undo?.staticRoutes.append((prefix, old))
        return old
    }

    /// Sets or removes a multipath route; returns the group it pointed at before.
    @discardableResult
    mutating func setMultipathRoute(_ prefix: IPPrefix, _ group: UInt32?) -> UInt32? {
        let old: UInt32?
        if let group { old = multipathRoutes.updateValue(group, forKey: prefix) } else { old = multipathRoutes.removeValue(forKey: prefix) }
        undo?.multipathRoutes.append((prefix, old))
        return old
    }

    /// Sets or removes a group's entry.
    mutating func setGroup(_ index: UInt32, _ group: NextHopGroup?) {
        let old: NextHopGroup?
        if let group { old = groups.updateValue(group, forKey: index) } else { old = groups.removeValue(forKey: index) }
        undo?.groups.append((index, old))
    }

    /// Sets or removes the group that a list of next hops names.
    mutating func setGroupKey(_ hops: [WeightedTarget], _ index: UInt32?) {
        let old: UInt32?
        if let index { old = groupOfHops.updateValue(index, forKey: hops) } else { old = groupOfHops.removeValue(forKey: hops) }
        undo?.groupKeys.append((hops, old))
    }

    mutating func addGroupGateway(_ gateway: IPAddress, _ index: UInt32) {
        if groupsViaGateway[gateway, default: []].insert(index).inserted { undo?.groupGateways.append((gateway, index, true)) }
    }

    mutating func removeGroupGateway(_ gateway: IPAddress, _ index: UInt32) {
        guard groupsViaGateway[gateway]?.remove(index) != nil else { return }
        if groupsViaGateway[gateway]?.isEmpty == true { groupsViaGateway[gateway] = nil }
        undo?.groupGateways.append((gateway, index, false))
    }

    mutating func addToGateway(_ gateway: IPAddress, _ prefix: IPPrefix) {
        if routesViaGateway[gateway, default: []].insert(prefix).inserted { undo?.gateways.append((gateway, prefix, true)) }
    }

    mutating func removeFromGateway(_ gateway: IPAddress, _ prefix: IPPrefix) {
        if routesViaGateway[gateway]?.remove(prefix) != nil { undo?.gateways.append((gateway, prefix, false)) }
    }
}
