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
    public enum Target: Sendable { case via(IPAddress), port(Int) }
    public var prefix: IPPrefix
    public var target: Target
    public init(prefix: IPPrefix, target: Target) { self.prefix = prefix; self.target = target }
}

public struct NeighborSpec: Sendable {
    public var address: IPAddress
    public var mac: MACAddress
    public var port: Int
    public init(address: IPAddress, mac: MACAddress, port: Int) { self.address = address; self.mac = mac; self.port = port }
}

/// Everything the fast path's tables are loaded from: the adjacency (next-hop) table and the
/// routes of each family, each pointing at an adjacency index.
///
/// Model (as grout and VPP): connected subnets point at a per-port "no neighbor" adjacency;
/// every known neighbor gets a host route (/32, /128) to its own forwarding adjacency; a static
/// route via a gateway shares the gateway's adjacency; the router's own addresses (and IPv4
/// subnet broadcast) are host routes to the local adjacency. So one lookup and one adjacency
/// load finish every packet.
public struct ForwardingTable: Sendable {
    public private(set) var adjacencies: [Adjacency]
    public private(set) var ipv4Routes: [IPv4Prefix: UInt32] = [:]
    public private(set) var ipv6Routes: [IPv6Prefix: UInt32] = [:]

    public static func noNeighborIndex(port: Int) -> UInt32 { UInt32(2 + port) }

    public init(ports: [PortL3], routes: [RouteSpec], neighbors: [NeighborSpec]) {
        adjacencies = [Adjacency(action: .noRoute), Adjacency(action: .local)]
        for (index, port) in ports.enumerated() {
            adjacencies.append(Adjacency(action: .noNeighbor, port: UInt16(index), mtu: UInt16(clamping: port.mtu)))
        }

        // Connected subnets.
        for (index, port) in ports.enumerated() {
            for address in port.addresses { install(address.subnet, Self.noNeighborIndex(port: index)) }
        }

        // Neighbors: one forwarding adjacency each, reached by a host route.
        var neighborAdjacency: [IPAddress: UInt32] = [:]
        for neighbor in neighbors {
            let port = ports[neighbor.port]
            let index = UInt32(adjacencies.count)
            adjacencies.append(Adjacency(
                action: .forward, port: UInt16(neighbor.port), mtu: UInt16(clamping: port.mtu),
                rewrite: Ethernet.AddressRewrite(destination: neighbor.mac, source: port.mac)))
            neighborAdjacency[neighbor.address] = index
            install(Self.hostPrefix(neighbor.address), index)
        }

        // Static routes.
        for route in routes {
            switch route.target {
            case .via(let gateway):
                if let index = neighborAdjacency[gateway] {
                    install(route.prefix, index)
                } else if let port = ports.firstIndex(where: { $0.addresses.contains { $0.subnet.contains(gateway) } }) {
                    install(route.prefix, Self.noNeighborIndex(port: port))
                }
            case .port(let port):
                install(route.prefix, Self.noNeighborIndex(port: port))
            }
        }

        // The router's own addresses win over everything else.
        for port in ports {
            for address in port.addresses {
                install(Self.hostPrefix(address.address), Adjacency.localIndex)
                if case .v4(let a) = address.address, address.length <= 30 {
                    let broadcast = a.value | ~IPv4Prefix.mask(address.length)
                    install(.v4(IPv4Prefix(address: IPv4Address(broadcast), length: 32)!), Adjacency.localIndex)
                }
            }
        }
    }

    static func hostPrefix(_ address: IPAddress) -> IPPrefix {
        switch address {
        case .v4(let a): return .v4(IPv4Prefix(address: a, length: 32)!)
        case .v6(let a): return .v6(IPv6Prefix(address: a, length: 128)!)
        }
    }

    mutating func install(_ prefix: IPPrefix, _ nextHop: UInt32) {
        switch prefix {
        case .v4(let p): ipv4Routes[p] = nextHop
        case .v6(let p): ipv6Routes[p] = nextHop
        }
    }

    /// The same routes in a reference table, for tests and for checking the fast-path tables.
    public var referenceTable: ReferenceRouteTable {
        var table = ReferenceRouteTable()
        for (prefix, nh) in ipv4Routes { table.add(prefix, nextHop: nh) }
        for (prefix, nh) in ipv6Routes { table.add(prefix, nextHop: nh) }
        return table
    }
}
