import Config
import Console
import Dataplane
import DPDK
import Dispatch
import Forwarding
import Foundation
import Packet

/// The console's view of the running forwarder. Queries copy counters and tables; changes go
/// through `ForwardingPlane.update`, which publishes them to the workers under RCU.
final class ForwarderConsoleBackend: ConsoleBackend, @unchecked Sendable {
    let forwarder: Forwarder
    let loadedConfig: String
    let startedAt = Date()

    init(forwarder: Forwarder, configFile: String) {
        self.forwarder = forwarder
        loadedConfig = (try? String(contentsOfFile: configFile, encoding: .utf8)) ?? "(the configuration file can no longer be read)"
    }

    var config: SwiftfwdConfig { forwarder.config }

    func version() -> VersionInfo {
        VersionInfo(version: SwiftfwdCommand.version, dpdkVersion: EAL.version, startedAt: startedAt,
                    mainCore: config.eal.mainCore, workerCores: config.eal.workerCores,
                    rxCores: config.threading.mode == .pipeline ? config.threading.rxCores : [])
    }

    func sample() -> StatsSample {
        let snapshot = forwarder.snapshot()
        let interfaces = config.ports.enumerated().map { index, port -> InterfaceInfo in
            let stats = snapshot.ports[index]
            let ethernet = forwarder.ports.indices.contains(index) ? forwarder.ports[index] : nil
            let link = ethernet?.link
            let counters = PortCounters(
                rxPackets: stats.rxPackets, rxBytes: stats.rxBytes, txPackets: stats.txPackets, txBytes: stats.txBytes,
                hwRxPackets: stats.hardware.ipackets, hwTxPackets: stats.hardware.opackets,
                hwRxBytes: stats.hardware.ibytes, hwTxBytes: stats.hardware.obytes,
                imissed: stats.hardware.imissed, ierrors: stats.hardware.ierrors, oerrors: stats.hardware.oerrors,
                rxNoMbuf: stats.hardware.rxNoMbuf)
            return InterfaceInfo(name: port.name, device: port.device, driver: ethernet?.driverName ?? "closed",
                                 mac: forwarder.portMACs.indices.contains(index) ? forwarder.portMACs[index] : MACAddress(0),
                                 mtu: port.mtu, linkUp: link?.up ?? false, speedMbps: link?.speedMbps ?? 0,
                                 addresses: port.addresses, counters: counters, rxQueues: port.rxQueues,
                                 rssHash: forwarder.portRSS.indices.contains(index) ? RSSHash.names(forwarder.portRSS[index]) : [])
        }
        let workers = snapshot.workers.map { w in
            WorkerInfo(core: Int(w.core), queues: w.queues.split(separator: ",").map(String.init),
                       rxPackets: w.rxPackets, txPackets: w.txPackets, drops: w.drops.reduce(0, +),
                       busyCycles: w.busyCycles, idleCycles: w.idleCycles, role: w.role.rawValue, rings: w.rings,
                       ipv4Fragmented: w.ipv4Fragmented, ipv4Fragments: w.ipv4Fragments)
        }
        let rings = snapshot.rings.map { r in
            RingInfo(name: r.name, rxCore: Int(r.rxCore), workerCore: Int(r.workerCore), size: r.size, count: r.count,
                     enqueued: r.enqueued, dequeued: r.dequeued, dropped: r.dropped)
        }
        let threading = ThreadingInfo(mode: config.threading.mode.rawValue, ringSize: config.threading.ringSize,
                                      ringBurst: config.threading.ringBurst)
        let drops = DropReason.allCases.map { reason in
            DropCount(name: reason.name, explanation: reason.explanation,
                      perWorker: snapshot.workers.map { $0.drops[Int(reason.rawValue)] })
        }
        let mempool = MempoolInfo(size: snapshot.mempoolSize, inUse: snapshot.mempoolSize - snapshot.mempoolAvailable,
                                  available: snapshot.mempoolAvailable)
        return StatsSample(monotonicSeconds: Double(DispatchTime.now().uptimeNanoseconds) / 1e9, tscHz: snapshot.tscHz,
                           interfaces: interfaces, workers: workers, drops: drops, mempool: mempool,
                           threading: threading, rings: rings)
    }

    func kernel() -> KernelStatus? {
        guard let punt = forwarder.snapshot().punt else { return nil }
        let classes = PuntClass.allCases.map { c in
            let limit = config.kernel.policer[c] ?? KernelConfig.Limit(rate: Int(c.defaultRate), burst: Int(c.defaultBurst))
            return KernelStatus.PuntClassInfo(name: c.name, rate: limit.rate, burst: limit.burst,
                                              punted: punt.punted[c.rawValue], policed: punt.policed[c.rawValue])
        }
        let twins = punt.twins.map {
            KernelStatus.Twin(port: $0.port, interface: $0.interface, toKernel: $0.toKernel, toKernelDropped: $0.toKernelDropped,
                              fromKernel: $0.fromKernel, fromKernelDropped: $0.fromKernelDropped)
        }
        var sync = KernelStatus.Sync()
        sync.routes = punt.sync.routes
        sync.neighbors = punt.sync.neighbors
        sync.resyncs = punt.sync.resyncs
        sync.overruns = punt.sync.overruns
        sync.batches = punt.sync.batches
        sync.refused = punt.sync.refused
        sync.resolveRequests = punt.sync.resolveRequests
        sync.lastLagMicroseconds = punt.sync.lastLagMicroseconds
        sync.maxLagMicroseconds = punt.sync.maxLagMicroseconds
        sync.queued = punt.sync.queued
        sync.maxQueued = punt.sync.maxQueued
        sync.largestBatch = punt.sync.largestBatch
        return KernelStatus(classes: classes, ringFull: punt.ringFull, twins: twins, sync: sync)
    }

    func portIndex(_ name: String) throws -> Int {
        guard let index = config.ports.firstIndex(where: { $0.name == name }) else {
            let names = config.ports.map(\.name).joined(separator: ", ")
            throw ConsoleError("no port named \"\(name)\" (ports: \(names))")
        }
        return index
    }

    func xstats(port: String) throws -> [(name: String, value: UInt64)] {
        let index = try portIndex(port)
        guard forwarder.ports.indices.contains(index) else { throw ConsoleError("port \(port) is closed") }
        do {
            return try forwarder.ports[index].extendedStats()
        } catch {
            throw ConsoleError("cannot read extended statistics of \(port): \(error)")
        }
    }

    // MARK: Routes

    func describe(_ prefix: IPPrefix, nextHop: UInt32, in table: ForwardingTable) -> RouteInfo {
        let kind = table.kind(of: prefix) ?? .connected
        let adjacency = table.adjacencies[Int(nextHop)]
        let portName = adjacency.action == .local || adjacency.action == .noRoute ? nil : config.ports[Int(adjacency.port)].name
        switch kind {
        case .local:
            return RouteInfo(prefix: prefix, kind: kind.name, nextHop: "local", port: nil, resolved: true)
        case .connected:
            return RouteInfo(prefix: prefix, kind: kind.name, nextHop: "dev \(portName ?? "?")", port: portName, resolved: true)
        case .neighbor:
            // A neighbor route is the neighbor's host route: its address is the prefix's.
            let address: IPAddress
            switch prefix {
            case .v4(let p): address = .v4(p.address)
            case .v6(let p): address = .v6(p.address)
            }
            let mac = table.neighbors[address]?.mac
            return RouteInfo(prefix: prefix, kind: kind.name, nextHop: "lladdr \(mac.map { "\($0)" } ?? "?") dev \(portName ?? "?")",
                             port: portName, resolved: true)
        case .staticRoute:
            if let group = table.group(at: nextHop) {
                let paths = group.hops.map { hop -> RoutePath in
                    let member = table.adjacencies[Int(table.memberIndex(hop.target))]
                    let port = member.action == .noRoute ? nil : config.ports[Int(member.port)].name
                    switch hop.target {
                    case .via(let gateway):
                        return RoutePath(nextHop: "via \(gateway) dev \(port ?? "?")", port: port,
                                         resolved: member.action == .forward, weight: Int(hop.weight))
                    case .port:
                        return RoutePath(nextHop: "dev \(port ?? "?")", port: port, resolved: true, weight: Int(hop.weight))
                    }
                }
                return RouteInfo(prefix: prefix, kind: kind.name, nextHop: paths.map(\.label).joined(separator: ", "),
                                 port: paths[0].port, resolved: paths.allSatisfy(\.resolved), paths: paths)
            }
            switch table.staticRoutes[prefix] {
            case .via(let gateway)?:
                return RouteInfo(prefix: prefix, kind: kind.name, nextHop: "via \(gateway) dev \(portName ?? "?")",
                                 port: portName, resolved: adjacency.action == .forward)
            case .port(let port)?:
                return RouteInfo(prefix: prefix, kind: kind.name, nextHop: "dev \(config.ports[port].name)",
                                 port: config.ports[port].name, resolved: true)
            case nil:
                return RouteInfo(prefix: prefix, kind: kind.name, nextHop: "?", port: portName, resolved: false)
            }
        }
    }

    func routes() -> [RouteInfo] {
        // A snapshot rather than holding the plane's lock while a full table is sorted: the
        // price is one copy of the table at the next change.
        guard let table = forwarder.plane?.tableSnapshot() else { return [] }
        var out: [RouteInfo] = []
        out.reserveCapacity(table.ipv4Routes.count + table.ipv6Routes.count)
        for (prefix, nh) in table.ipv4Routes.sorted(by: { ($0.key.address, $0.key.length) < ($1.key.address, $1.key.length) }) {
            out.append(describe(.v4(prefix), nextHop: nh, in: table))
        }
        for (prefix, nh) in table.ipv6Routes.sorted(by: { ($0.key.address, $0.key.length) < ($1.key.address, $1.key.length) }) {
            out.append(describe(.v6(prefix), nextHop: nh, in: table))
        }
        return out
    }

    func lookup(_ address: IPAddress) -> RouteInfo? {
        forwarder.plane?.withTable { table in
            table.longestMatch(address).map { describe($0.prefix, nextHop: $0.nextHop, in: table) }
        }
    }

    func tableUsage() -> TableUsage {
        let counts = forwarder.plane?.withTable { $0.routeCount } ?? (ipv4: 0, ipv6: 0)
        return TableUsage(ipv4Routes: counts.ipv4, ipv4Capacity: config.fib.ipv4MaxRoutes,
                          ipv6Routes: counts.ipv6, ipv6Capacity: config.fib.ipv6MaxRoutes)
    }

    func neighbors() -> [NeighborInfo] {
        let entries = forwarder.plane?.withTable { Array($0.neighbors) } ?? []
        return entries.map { address, entry in
            NeighborInfo(address: address, mac: entry.mac, port: config.ports[entry.port].name, source: entry.source)
        }.sorted { $0.address.description < $1.address.description }
    }

    func memory() -> MemoryInfo {
        let snapshot = forwarder.snapshot()
        let heap = DPDKHeap.usage()
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int? {
            meminfo.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
        }
        let pageKB = field("Hugepagesize") ?? 2048
        let usesHugepages = forwarder.usesHugepages
        let mbufBytes = snapshot.mempoolSize * (config.mempool.dataRoom + 128 + 64)
        return MemoryInfo(mbufsTotal: snapshot.mempoolSize, mbufsInUse: snapshot.mempoolSize - snapshot.mempoolAvailable,
                          mbufsFree: snapshot.mempoolAvailable, mbufBytes: mbufBytes,
                          hugepagesTotalMB: usesHugepages ? (field("HugePages_Total") ?? 0) * pageKB / 1024 : nil,
                          hugepagesFreeMB: usesHugepages ? (field("HugePages_Free") ?? 0) * pageKB / 1024 : nil,
                          heapTotalBytes: heap.total, heapUsedBytes: heap.used, fibBytes: forwarder.tableBytes)
    }

    func configText() -> String { loadedConfig }

    // MARK: Changes (called on the console's control queue, one at a time)

    /// One change, published on its own (one grace period). Pipelined lines and `route load`
    /// come in batches instead (ForwarderConsoleBackend+Batch.swift).
    func change(_ change: TableChange) throws {
        guard let plane = forwarder.plane else { throw ConsoleError("the forwarding tables are not set up") }
        if let refusal = plane.apply(CollectionOfOne(change)).refused.first {
            throw ConsoleError(refusal.message)
        }
    }

    func addRoute(_ prefix: IPPrefix, via: IPAddress) throws {
        try change(.addRoute(prefix, .via(via)))
    }

    func addRoute(_ prefix: IPPrefix, port: String) throws {
        try change(.addRoute(prefix, .port(try portIndex(port))))
    }

    func deleteRoute(_ prefix: IPPrefix) throws {
        try change(.deleteRoute(prefix))
    }

    func addNeighbor(_ address: IPAddress, mac: MACAddress, port: String) throws {
        try change(.addNeighbor(address, mac, port: try portIndex(port), source: "console"))
    }

    func deleteNeighbor(_ address: IPAddress) throws {
        try change(.deleteNeighbor(address))
    }
}
