import Packet

/// The router's L3 view of one port, as the forwarding table needs it.
public struct PortL3: Sendable {
    public var mac: MACAddress
    public var mtu: Int
    public var addresses: [InterfaceAddress]
    public init(mac: MACAddress, mtu: Int, addresses: [InterfaceAddress]) {
        self.mac = mac; self.mtu = mtu; self.addresses = addresses
    }
}

public struct RouteSpec: Sendable {
    public enum Target: Sendable, Hashable { case via(IPAddress), port(Int) }
    public var prefix: IPPrefix
    public var target: Target
    /// With more than one: a multipath route over these (`target` is then the first's).
    public var hops: [WeightedTarget]
    public init(prefix: IPPrefix, target: Target, hops: [WeightedTarget] = []) {
        self.prefix = prefix; self.target = target; self.hops = hops
    }
}

public struct NeighborSpec: Sendable {
    public var address: IPAddress
    public var mac: MACAddress
    public var port: Int
    public init(address: IPAddress, mac: MACAddress, port: Int) { self.address = address; self.mac = mac; self.port = port }
}

/// A refused control-plane change, in a sentence for the console.
public struct ForwardingTableError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The control plane's copy of everything the fast path's tables hold: the adjacency (next-hop)
/// table and, per prefix, the route that wins. Changes are made here and come out as a list of
/// FIB changes (`takeChanges`), which the data plane applies to its rte_fib tables.
///
/// Model (as grout and VPP): connected subnets point at a per-port "no neighbor" adjacency;
/// every known neighbor gets a host route (/32, /128) to its own forwarding adjacency; a static
/// route via a gateway shares the gateway's adjacency (and follows it when the neighbor comes
/// or goes); the router's own addresses and IPv4 subnet broadcasts are host routes to the local
/// adjacency. One lookup and one adjacency load finish every packet.
///
/// Several sources may claim one prefix; the highest `RouteKind` wins and the others wait
/// underneath (deleting a static /32 uncovers the neighbor's host route, for example).
public struct ForwardingTable: Sendable {
    public enum RouteKind: Int, Comparable, Sendable, CaseIterable {
        case connected = 0, staticRoute, neighbor, local
        public static func < (a: RouteKind, b: RouteKind) -> Bool { a.rawValue < b.rawValue }
        public var name: String {
            switch self {
            case .connected: return "connected"
            case .staticRoute: return "static"
            case .neighbor: return "neighbor"
            case .local: return "local"
            }
        }
    }

    public struct NeighborEntry: Sendable, Equatable {
        public var mac: MACAddress
        public var port: Int
        public var adjacency: UInt32
        public var source: String
    }

    /// One change to apply to a FIB: `nextHop` nil deletes the prefix. `previous` is what the
    /// FIB holds now, so a failed batch can be undone.
    public struct FIBChange: Sendable, Equatable {
        public var prefix: IPPrefix
        public var nextHop: UInt32?
        public var previous: UInt32?
    }

    public let ports: [PortL3]
    public internal(set) var adjacencies: [Adjacency]
    public internal(set) var ipv4Routes: [IPv4Prefix: UInt32] = [:]
    public internal(set) var ipv6Routes: [IPv6Prefix: UInt32] = [:]
    public internal(set) var staticRoutes: [IPPrefix: RouteSpec.Target] = [:]
    public internal(set) var neighbors: [IPAddress: NeighborEntry] = [:]
    var candidates: [IPPrefix: Claims] = [:]
    var routesViaGateway: [IPAddress: Set<IPPrefix>] = [:]
    var freeAdjacencies: [UInt32] = []
    /// Multipath routes: the index of the group (its `.multipath` adjacency) each points at.
    /// Kept apart from `staticRoutes` so that single-path routes, the usual case, pay nothing
    /// for them. A prefix has at most one of the two.
    public internal(set) var multipathRoutes: [IPPrefix: UInt32] = [:]
    /// Next-hop groups by the index of their `.multipath` adjacency (NextHopGroups.swift).
    var groups: [UInt32: NextHopGroup] = [:]
    var groupOfHops: [[WeightedTarget]: UInt32] = [:]
    var groupsViaGateway: [IPAddress: Set<UInt32>] = [:]
    /// Runs of 1 + `Adjacency.multipathBuckets` adjacencies that freed groups left.
    var freeGroupRuns: [UInt32] = []
    var changes: [IPPrefix: FIBChange] = [:]
    /// True when adjacency contents changed since the last `takeChanges`.
    public internal(set) var adjacenciesChanged = false
    /// What the change in progress overwrote, while one is (see `beginChange`).
    var undo: UndoLog?

    public static func noNeighborIndex(port: Int) -> UInt32 { UInt32(2 + port) }

    /// Builds the table from a validated config. Entries a validated config cannot contain
    /// (unknown port, gateway off every subnet) are skipped.
    public init(ports: [PortL3], routes: [RouteSpec], neighbors: [NeighborSpec]) {
        self.ports = ports
        adjacencies = [Adjacency(action: .noRoute), Adjacency(action: .local)]
        for (index, port) in ports.enumerated() {
            adjacencies.append(Adjacency(action: .noNeighbor, port: UInt16(index), mtu: UInt16(clamping: port.mtu)))
        }
        for (index, port) in ports.enumerated() {
            for address in port.addresses {
                setCandidate(address.subnet, .connected, Self.noNeighborIndex(port: index))
                setCandidate(Self.hostPrefix(address.address), .local, Adjacency.localIndex)
                if case .v4(let a) = address.address, address.length <= 30 {
                    let broadcast = a.value | ~IPv4Prefix.mask(address.length)
                    setCandidate(.v4(IPv4Prefix(address: IPv4Address(broadcast), length: 32)!), .local, Adjacency.localIndex)
                }
            }
        }
        for neighbor in neighbors {
            try? addNeighbor(neighbor.address, mac: neighbor.mac, port: neighbor.port, source: "static")
        }
        for route in routes {
            if route.hops.count > 1 { try? addMultipathRoute(route.prefix, route.hops) } else { try? addRoute(route.prefix, route.target) }
        }
        changes.removeAll()
        adjacenciesChanged = false
    }

    // MARK: Changes

    /// Adds or replaces a static route.
    public mutating func addRoute(_ prefix: IPPrefix, _ target: RouteSpec.Target) throws {
        let nextHop = try resolve(target, for: prefix)
        _ = removeMultipathRoute(prefix)
        let old = setStaticRoute(prefix, target)
        if let old, case .via(let gateway) = old { removeFromGateway(gateway, prefix) }
        if case .via(let gateway) = target { addToGateway(gateway, prefix) }
        setCandidate(prefix, .staticRoute, nextHop)
    }

    public mutating func deleteRoute(_ prefix: IPPrefix) throws {
        if removeMultipathRoute(prefix) {
            setCandidate(prefix, .staticRoute, nil)
            return
        }
        guard staticRoutes[prefix] != nil, let old = setStaticRoute(prefix, nil) else {
            throw ForwardingTableError(message: "no static route for \(prefix) (connected and local routes come from port addresses)")
        }
        if case .via(let gateway) = old { removeFromGateway(gateway, prefix) }
        setCandidate(prefix, .staticRoute, nil)
    }

    /// Adds a neighbor or changes its MAC or port.
    public mutating func addNeighbor(_ address: IPAddress, mac: MACAddress, port: Int, source: String) throws {
        guard ports.indices.contains(port) else { throw ForwardingTableError(message: "no port \(port)") }
        guard !mac.isGroup && !mac.isZero else {
            throw ForwardingTableError(message: "neighbor MAC \(mac) is not a unicast address")
        }
        if candidates[Self.hostPrefix(address)]?[.local] != nil {
            throw ForwardingTableError(message: "\(address) is one of the router's own addresses")
        }
        let adjacency = Adjacency(action: .forward, port: UInt16(port), mtu: UInt16(clamping: ports[port].mtu),
                                  rewrite: Ethernet.AddressRewrite(destination: mac, source: ports[port].mac))
        if var entry = neighbors[address] {
            if adjacencies[Int(entry.adjacency)] != adjacency {
                adjacencies[Int(entry.adjacency)] = adjacency
                adjacenciesChanged = true
            }
            entry.mac = mac
            entry.port = port
            entry.source = source
            neighbors[address] = entry
            refreshGroups(via: address)
            return
        }
        let index: UInt32
        if let reused = freeAdjacencies.popLast() {
            index = reused
            adjacencies[Int(index)] = adjacency
        } else {
            index = UInt32(adjacencies.count)
            adjacencies.append(adjacency)
        }
        adjacenciesChanged = true
        neighbors[address] = NeighborEntry(mac: mac, port: port, adjacency: index, source: source)
        setCandidate(Self.hostPrefix(address), .neighbor, index)
        for prefix in routesViaGateway[address] ?? [] { setCandidate(prefix, .staticRoute, index) }
        refreshGroups(via: address)
    }

    public mutating func deleteNeighbor(_ address: IPAddress) throws {
        guard let entry = neighbors.removeValue(forKey: address) else {
            throw ForwardingTableError(message: "no neighbor \(address)")
        }
        setCandidate(Self.hostPrefix(address), .neighbor, nil)
        for prefix in routesViaGateway[address] ?? [] {
            if let target = staticRoutes[prefix], let nextHop = try? resolve(target, for: prefix) {
                setCandidate(prefix, .staticRoute, nextHop)
            }
        }
        refreshGroups(via: address)
        // Nothing points at the adjacency once these changes are applied; it is reused later.
        adjacencies[Int(entry.adjacency)] = Adjacency(action: .noRoute)
        freeAdjacencies.append(entry.adjacency)
        adjacenciesChanged = true
    }

    /// The FIB changes since the last call, one per prefix, in an order that applies cleanly.
    public mutating func takeChanges() -> [FIBChange] {
        let out = changes.values.sorted { $0.prefix.length < $1.prefix.length }
        changes.removeAll()
        adjacenciesChanged = false
        return out
    }

    // MARK: Queries

    /// The longest prefix covering `address` and its next hop, as the fast path would find it.
    public func longestMatch(_ address: IPAddress) -> (prefix: IPPrefix, nextHop: UInt32)? {
        switch address {
        case .v4(let a):
            for length in stride(from: 32, through: 0, by: -1) {
                let p = IPv4Prefix(address: a, length: UInt8(length))!
                if let nh = ipv4Routes[p] { return (.v4(p), nh) }
            }
        case .v6(let a):
            for length in stride(from: 128, through: 0, by: -1) {
                let p = IPv6Prefix(address: a, length: UInt8(length))!
                if let nh = ipv6Routes[p] { return (.v6(p), nh) }
            }
        }
        return nil
    }

    /// The source that won `prefix`, if it is installed.
    public func kind(of prefix: IPPrefix) -> RouteKind? {
        candidates[prefix]?.winner
    }

    /// The same routes in a reference table, for tests and for checking the fast-path tables.
    public var referenceTable: ReferenceRouteTable {
        var table = ReferenceRouteTable()
        for (prefix, nh) in ipv4Routes { table.add(prefix, nextHop: nh) }
        for (prefix, nh) in ipv6Routes { table.add(prefix, nextHop: nh) }
        return table
    }

    public var routeCount: (ipv4: Int, ipv6: Int) { (ipv4Routes.count, ipv6Routes.count) }

    // MARK: Internals

    /// Whether a route to `prefix` could use `target` now (`resolve` would not refuse it).
    /// `ignoringNeighbors`: judge a gateway by the ports' subnets only, as if it had no
    /// neighbor entry (one about to be removed).
    public func canResolve(_ target: RouteSpec.Target, for prefix: IPPrefix, ignoringNeighbors: Bool = false) -> Bool {
        if ignoringNeighbors, case .via(let gateway) = target, neighbors[gateway] != nil {
            return Self.sameFamily(prefix, gateway) && ports.contains { $0.addresses.contains { $0.subnet.contains(gateway) } }
        }
        return (try? resolve(target, for: prefix)) != nil
    }

    func resolve(_ target: RouteSpec.Target, for prefix: IPPrefix) throws -> UInt32 {
        switch target {
        case .port(let port):
            guard ports.indices.contains(port) else { throw ForwardingTableError(message: "no port \(port)") }
            return Self.noNeighborIndex(port: port)
        case .via(let gateway):
            guard Self.sameFamily(prefix, gateway) else {
                throw ForwardingTableError(message: "next hop \(gateway) is not of the same family as \(prefix)")
            }
            if let neighbor = neighbors[gateway] { return neighbor.adjacency }
            guard let port = ports.firstIndex(where: { $0.addresses.contains { $0.subnet.contains(gateway) } }) else {
                throw ForwardingTableError(message: "next hop \(gateway) is not in any port's subnet")
            }
            return Self.noNeighborIndex(port: port)
        }
    }

    mutating func setCandidate(_ prefix: IPPrefix, _ kind: RouteKind, _ nextHop: UInt32?) {
        let old = candidates[prefix]
        var claims = old ?? Claims()
        let before = claims.nextHop
        claims[kind] = nextHop
        guard claims != old ?? Claims() else { return }
        undo?.claims.append((prefix, old))
        candidates[prefix] = claims.isEmpty ? nil : claims
        let after = claims.nextHop
        guard before != after else { return }
        switch prefix {
        case .v4(let p): ipv4Routes[p] = after
        case .v6(let p): ipv6Routes[p] = after
        }
        if var change = changes[prefix] {
            change.nextHop = after
            changes[prefix] = change.nextHop == change.previous ? nil : change
        } else {
            changes[prefix] = FIBChange(prefix: prefix, nextHop: after, previous: before)
        }
    }

    static func hostPrefix(_ address: IPAddress) -> IPPrefix {
        switch address {
        case .v4(let a): return .v4(IPv4Prefix(address: a, length: 32)!)
        case .v6(let a): return .v6(IPv6Prefix(address: a, length: 128)!)
        }
    }

    static func sameFamily(_ a: IPAddress, _ b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4, .v4), (.v6, .v6): return true
        default: return false
        }
    }

    static func sameFamily(_ p: IPPrefix, _ a: IPAddress) -> Bool {
        switch (p, a) {
        case (.v4, .v4), (.v6, .v6): return true
        default: return false
        }
    }
}
