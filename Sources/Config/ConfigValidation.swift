import Packet

// Checks that involve more than one value, run on the typed config once a section and what it
// depends on have been read. Each refusal points, through the SourceMap, at the value that has
// to change; a defaulted value points at the entry that would hold it.

/// Bytes DPDK reserves in front of the packet in every mbuf (RTE_PKTMBUF_HEADROOM).
let mbufHeadroom = 128
/// Ethernet header plus CRC, which DPDK adds to the MTU to size received frames
/// (RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN).
let ethernetOverhead = 18
/// The least MTU of a link that carries IPv6 (RFC 8200, section 5).
let minimumIPv6MTU = 1280

enum ConfigValidation {
    /// Every core has one role: the main core runs control work and must never also poll.
    static func checkCores(_ eal: EALConfig, workersGiven: Bool, sources: SourceMap) throws {
        if eal.workerCores.count > maxQueuesPerPort {
            throw sources.error(at: "eal.worker_cores", "expected at most \(maxQueuesPerPort) worker cores, since each needs its own TX queue on every port, found \(eal.workerCores.count)")
        }
        for (i, core) in eal.workerCores.enumerated() {
            if core == eal.mainCore {
                guard workersGiven else {
                    throw sources.error(at: "eal.main_core", "core \(core) is also the default worker core (eal.worker_cores defaults to [1]), so choose another main core or set eal.worker_cores")
                }
                throw sources.error(at: "eal.worker_cores[\(i)]", "core \(core) is already the main core (eal.main_core), and a core can have only one role")
            }
            if let first = eal.workerCores[..<i].firstIndex(of: core) {
                throw sources.error(at: "eal.worker_cores[\(i)]", "core \(core) is already listed as eal.worker_cores[\(first)], and each worker core can be listed only once")
            }
        }
    }

    static func checkPorts(_ ports: [PortConfig], eal: EALConfig, mempool: MempoolConfig, sources: SourceMap) throws {
        var owners: [IPAddress: (port: Int, index: Int)] = [:]
        for (i, port) in ports.enumerated() {
            if let j = ports[..<i].firstIndex(where: { $0.name == port.name }) {
                throw sources.error(at: "ports[\(i)].name", "port name \"\(port.name)\" is already used by ports[\(j)], and port names must be unique")
            }
            if let j = ports[..<i].firstIndex(where: { $0.kernelName == port.kernelName }) {
                throw sources.error(at: port.kernelInterface == nil ? "ports[\(i)].name" : "ports[\(i)].kernel_interface",
                                    "kernel interface name \"\(port.kernelName)\" is already the twin of ports[\(j)] (\"\(ports[j].name)\"), and each port needs a twin of its own: set kernel_interface")
            }
            if let j = ports[..<i].firstIndex(where: { deviceIdentity($0.device) == deviceIdentity(port.device) }) {
                throw sources.error(at: "ports[\(i)].device", "device \"\(deviceIdentity(port.device))\" is already used by ports[\(j)] (\"\(ports[j].name)\"), and each port needs its own device")
            }
            if port.txQueues < eal.workerCores.count {
                throw sources.error(at: "ports[\(i)].tx_queues", "expected at least \(eal.workerCores.count) TX queues, one per worker core, found \(port.txQueues)")
            }
            // Without scattered RX a frame must fit in one mbuf, after DPDK's headroom.
            let needed = mbufHeadroom + ethernetOverhead + port.mtu
            if needed > mempool.dataRoom {
                throw sources.error(at: "ports[\(i)].mtu", "an MTU of \(port.mtu) needs \(needed) bytes of mbuf data room (\(mbufHeadroom) headroom, \(ethernetOverhead) Ethernet header and CRC, and the MTU) but mempool.data_room is \(mempool.dataRoom), so raise mempool.data_room or lower the MTU")
            }
            // IPv6 needs every link to carry 1280-byte packets (RFC 8200, section 5): ICMPv6
            // errors are sized to fit in 1280, and Linux turns IPv6 off on a twin whose MTU is
            // lower. The per-key range (68, RFC 791) covers IPv4-only ports.
            if port.mtu < minimumIPv6MTU, let k = port.addresses.firstIndex(where: { if case .v6 = $0.address { true } else { false } }) {
                throw sources.error(at: "ports[\(i)].mtu", "an MTU of \(port.mtu) is below \(minimumIPv6MTU), the least IPv6 allows (RFC 8200), and the port has the IPv6 address \(port.addresses[k]) (ports[\(i)].addresses[\(k)]), so raise the MTU to at least \(minimumIPv6MTU) or give the port only IPv4 addresses")
            }
            for (k, address) in port.addresses.enumerated() {
                if let owner = owners[address.address] {
                    throw sources.error(at: "ports[\(i)].addresses[\(k)]", "address \(address.address) is already assigned at ports[\(owner.port)].addresses[\(owner.index)] (port \"\(ports[owner.port].name)\"), and each address can be assigned once")
                }
                owners[address.address] = (i, k)
            }
        }
    }

    /// The name DPDK knows a device by: a virtual device's name before its arguments, or a PCI
    /// address with its domain, so `net_pcap0,rx_pcap=a` and `net_pcap0,rx_pcap=b` collide.
    static func deviceIdentity(_ device: String) -> String {
        let name = String(device.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)[0]).lowercased()
        // "03:00.0" is short for "0000:03:00.0".
        if name.count == 7, name.filter({ $0 == ":" }).count == 1, name.contains(".") { return "0000:" + name }
        return name
    }

    /// An explicit pool must at least fill every RX and TX ring, or ports fail to start with a
    /// bare ENOMEM.
    static func checkMempool(_ mempool: MempoolConfig, ports: [PortConfig], sources: SourceMap) throws {
        guard let mbufs = mempool.mbufs else { return }
        let descriptors = ports.reduce(0) { $0 + $1.rxQueues * $1.rxDescriptors + $1.txQueues * $1.txDescriptors }
        if mbufs < descriptors {
            throw sources.error(at: "mempool.mbufs", "\(mbufs) mbufs cannot fill the \(descriptors) RX and TX descriptors of all ports, so give at least \(descriptors) or use auto")
        }
    }

    /// An explicit queue map must name every RX queue exactly once and use only the cores that
    /// poll (workers, or receive cores in pipeline mode): an unpolled queue silently drops what
    /// RSS sends it, and two pollers would race.
    static func checkQueueMap(_ map: [QueueAssignment], ports: [PortConfig], pollingCores: [Int], pipeline: Bool, sources: SourceMap) throws {
        var mappedBy: [QueueAssignment: Int] = [:]
        for (i, entry) in map.enumerated() {
            if !pollingCores.contains(entry.core) {
                let cores = pollingCores.map(String.init).joined(separator: ", ")
                let role = pipeline ? "a receive core; expected one of threading.rx_cores" : "a worker core; expected one of eal.worker_cores"
                throw sources.error(at: "queue_map[\(i)].core", "core \(entry.core) is not \(role) (\(cores))")
            }
            let port = ports[entry.port]
            if entry.queue >= port.rxQueues {
                let expected = port.rxQueues == 1 ? "1 RX queue, so expected queue 0" : "\(port.rxQueues) RX queues, so expected a queue index between 0 and \(port.rxQueues - 1)"
                throw sources.error(at: "queue_map[\(i)].queue", "port \"\(port.name)\" has \(expected), found \(entry.queue)")
            }
            let key = QueueAssignment(core: 0, port: entry.port, queue: entry.queue)
            if let j = mappedBy[key] {
                throw sources.error(at: "queue_map[\(i)]", "port \"\(port.name)\" RX queue \(entry.queue) is already mapped by queue_map[\(j)], and each RX queue must be polled by exactly one core")
            }
            mappedBy[key] = i
        }
        for (p, port) in ports.enumerated() {
            for q in 0..<port.rxQueues where mappedBy[QueueAssignment(core: 0, port: p, queue: q)] == nil {
                throw sources.error(at: "queue_map", "port \"\(port.name)\" RX queue \(q) is not mapped to any core, and queue_map must name every RX queue of every port exactly once")
            }
        }
    }

    /// A `via` next hop must be resolvable: same family as the prefix, inside a connected
    /// subnet (we resolve next hops with ARP/ND on that port), and not the router itself.
    static func checkRoutes(_ routes: [StaticRoute], ports: [PortConfig], sources: SourceMap) throws {
        // A dictionary, not a scan of the earlier routes: a full table has a million of them.
        var firstIndex: [IPPrefix: Int] = [:]
        firstIndex.reserveCapacity(routes.count)
        for (i, route) in routes.enumerated() {
            if let j = firstIndex[route.prefix] {
                throw sources.error(at: "routes[\(i)].prefix", "route \(route.prefix) is already given by routes[\(j)], and each prefix can have one static route")
            }
            firstIndex[route.prefix] = i
            if case .multipath(let gateways) = route.nextHop {
                for (k, gateway) in gateways.enumerated() {
                    if let problem = gatewayProblem(gateway, prefix: route.prefix, ports: ports) {
                        throw sources.error(at: "routes[\(i)].via[\(k)]", problem)
                    }
                }
            } else if let problem = nextHopProblem(route, ports: ports) {
                throw sources.error(at: "routes[\(i)].via", problem)
            }
        }
    }

    /// Why a route's `via` next hop cannot be used, or nil when it can: wrong family, the
    /// router's own address, or outside every connected subnet. Shared by the YAML routes and
    /// the routes file.
    static func nextHopProblem(_ route: StaticRoute, ports: [PortConfig]) -> String? {
        guard case .via(let gateway) = route.nextHop else { return nil }
        return gatewayProblem(gateway, prefix: route.prefix, ports: ports)
    }

    /// Why one gateway of a route cannot be used, or nil when it can.
    static func gatewayProblem(_ gateway: IPAddress, prefix: IPPrefix, ports: [PortConfig]) -> String? {
        if gateway.familyName != prefix.familyName {
            return "route \(prefix) is \(prefix.familyName) but its next hop \(gateway) is \(gateway.familyName), so give an \(prefix.familyName) next hop"
        }
        if let owner = ports.first(where: { $0.addresses.contains { $0.address == gateway } }) {
            return "route \(prefix) has next hop \(gateway), which is this router's own address on port \"\(owner.name)\", so give the neighboring router's address"
        }
        if !ports.contains(where: { $0.addresses.contains { $0.subnet.contains(gateway) } }) {
            let subnets = ports.flatMap { port in
                port.addresses.filter { $0.address.familyName == gateway.familyName }.map { "\($0.subnet) on \(port.name)" }
            }
            let family = gateway.familyName
            let known = subnets.isEmpty ? "no port has an \(family) address"
                : subnets.count == 1 ? "the only \(family) connected subnet is \(subnets[0])"
                : "the \(family) connected subnets are " + ConfigValue.andList(subnets)
            return "route \(prefix) has next hop \(gateway), which is not in any port's connected subnet (\(known)), so give a next hop on a connected subnet or use dev"
        }
        return nil
    }

    /// A neighbor must be of a family its port carries (an address, or a dev route of that
    /// family on the port); otherwise nothing could ever be forwarded to it.
    static func checkNeighbors(_ neighbors: [StaticNeighbor], ports: [PortConfig], routes: [StaticRoute], sources: SourceMap) throws {
        var firstIndex: [IPAddress: Int] = [:]
        for (i, neighbor) in neighbors.enumerated() {
            let path = "neighbors[\(i)].address"
            defer { if firstIndex[neighbor.address] == nil { firstIndex[neighbor.address] = i } }
            if let j = firstIndex[neighbor.address] {
                throw sources.error(at: path, "neighbor \(neighbor.address) is already given by neighbors[\(j)], and each neighbor address can be given once")
            }
            let port = ports[neighbor.port]
            let family = neighbor.address.familyName
            if port.addresses.contains(where: { $0.address == neighbor.address }) {
                throw sources.error(at: path, "neighbor \(neighbor.address) is this router's own address on port \"\(port.name)\", so give the neighbor's address")
            }
            let hasAddress = port.addresses.contains { $0.address.familyName == family }
            let hasDevRoute = routes.contains { $0.nextHop == .dev(neighbor.port) && $0.prefix.familyName == family }
            if !hasAddress && !hasDevRoute {
                throw sources.error(at: path, "neighbor \(neighbor.address) is \(family) but port \"\(port.name)\" has no \(family) address or \(family) dev route, so give the port an \(family) address or put the neighbor on another port")
            }
        }
    }
}
