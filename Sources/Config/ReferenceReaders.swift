// Readers for the sections that refer to ports by name: queue_map, routes and neighbors.
// Names are turned into port indices here, so an unknown name is refused where it is written.

import Packet

extension ConfigValue {
    /// The index of the port this value names, suggesting the closest name on a typo.
    func portIndex(in ports: [PortConfig]) throws -> Int {
        let names = ports.map(\.name)
        let name = try string(what: "a port name")
        guard let index = names.firstIndex(of: name) else {
            throw error("unknown port \"\(name)\"" + DidYouMean.hint(for: name, among: names))
        }
        return index
    }
}

extension QueueAssignment {
    static let keys = ["core", "port", "queue"]

    init(from value: ConfigValue, ports: [PortConfig]) throws {
        let m = try value.mapping(keys: Self.keys, what: "a mapping with core, port and queue")
        let core = try m.required("core", expecting: "one of eal.worker_cores (threading.rx_cores in pipeline mode)").int(coreRange)
        let port = try m.required("port", expecting: "a port name").portIndex(in: ports)
        let queue = try m.required("queue", expecting: "an RX queue index").int(0...(maxQueuesPerPort - 1))
        self.init(core: core, port: port, queue: queue)
    }
}

extension StaticRoute {
    static let keys = ["prefix", "via", "dev"]
    /// As many next hops as a multipath group has buckets (Forwarding's Adjacency.multipathBuckets).
    static let maxNextHops = 64

    /// Exactly one of `via` and `dev`: a route with both is ambiguous, one with neither goes nowhere.
    init(from value: ConfigValue, ports: [PortConfig]) throws {
        let m = try value.mapping(keys: Self.keys, what: "a mapping with prefix and via or dev")
        let prefix = try m.required("prefix", expecting: "a destination prefix such as 198.18.4.0/24").routePrefix()
        switch (m.optional("via"), m.optional("dev")) {
        case (.some, .some):
            throw value.error("route \(prefix) gives both via and dev; give exactly one of them")
        case (nil, nil):
            throw value.error("route \(prefix) gives neither via nor dev; give via (a next-hop address) or dev (a port name)")
        case (let via?, nil):
            guard case .sequence = via.node else {
                self.init(prefix: prefix, nextHop: .via(try via.hostAddress(for: "next hop")))
                return
            }
            // A list: equal-cost next hops (ECMP), each flow on one of them.
            let items = try via.list(what: "a list of next-hop addresses")
            guard !items.isEmpty else {
                throw via.error("route \(prefix) has an empty via list; give one or more next-hop addresses")
            }
            guard items.count <= Self.maxNextHops else {
                throw via.error("route \(prefix) has \(items.count) next hops; at most \(Self.maxNextHops) are supported")
            }
            var gateways: [IPAddress] = []
            for item in items {
                let gateway = try item.hostAddress(for: "next hop")
                if gateways.contains(gateway) { throw item.error("next hop \(gateway) is given twice for route \(prefix); give each once") }
                gateways.append(gateway)
            }
            self.init(prefix: prefix, nextHop: gateways.count == 1 ? .via(gateways[0]) : .multipath(gateways))
        case (nil, let dev?):
            self.init(prefix: prefix, nextHop: .dev(try dev.portIndex(in: ports)))
        }
    }
}

extension StaticNeighbor {
    static let keys = ["address", "mac", "port"]

    init(from value: ConfigValue, ports: [PortConfig]) throws {
        let m = try value.mapping(keys: Self.keys, what: "a mapping with address, mac and port")
        let address = try m.required("address", expecting: "the neighbor's IPv4 or IPv6 address").hostAddress(for: "neighbor")
        let mac = try m.required("mac", expecting: "the neighbor's MAC address such as 02:00:00:00:00:02").unicastMAC(for: "neighbor")
        let port = try m.required("port", expecting: "the name of the port the neighbor is reached through").portIndex(in: ports)
        self.init(address: address, mac: mac, port: port)
    }
}
