import Config
import Foundation
import Glibc
import DPDK
import Forwarding
import Logging
import Packet

/// Builds the data plane from a validated config, runs it, and takes it down in order.
/// This is control-thread code: it may allocate and log freely; workers never call into it.
public final class Forwarder {
    public let config: SwiftfwdConfig
    let logger: Logger
    public private(set) var ports: [EthernetPort] = []
    /// Each port's MAC as the forwarder uses it: the configured one when given (even where the
    /// device could not take it), otherwise the device's.
    public private(set) var portMACs: [MACAddress] = []
    var startedPorts: [EthernetPort] = []
    public private(set) var pool: MbufPool?
    /// The forwarding tables (two RCU copies); nil until set up.
    public private(set) var plane: ForwardingPlane?
    var workerSetups: [UnsafeMutablePointer<WorkerSetup>] = []
    var counters: [WorkerCounters] = []
    /// Pipeline mode: the receive cores and their rings to the workers; nil in run-to-completion.
    var receive: ReceiveCores?
    /// The RSS hash functions each port uses (RSSHash flags), 0 where RSS is off.
    public private(set) var portRSS: [UInt64] = []
    let stopFlag: UnsafeMutablePointer<UInt32>
    var launched: [UInt32] = []
    var ealStarted = false
    /// Kernel control plane (`kernel.enabled`): the twins and the punt path, and the mirror of
    /// the kernel's routes and neighbors; nil when off.
    public private(set) var kernel: KernelPath?
    public private(set) var sync: KernelSync?
    /// Whether EAL runs on hugepages (else --no-huge), as decided at setup.
    public private(set) var usesHugepages = false
    /// DPDK memory the two copies of the forwarding tables took, measured when they were made:
    /// rte_fib reserves its first level, its tbl8 groups and its RIB's node pool up front, as
    /// sized by the `fib` config, so this does not grow with the routes loaded.
    public private(set) var tableBytes = 0

    public init(config: SwiftfwdConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        stopFlag = .allocate(capacity: 1)
        stopFlag.initialize(to: 0)
    }

    deinit { stopFlag.deallocate() }

    /// EAL, pool, ports, tables. Throws with a sentence on the first failure; `shutdown()`
    /// then releases whatever was set up.
    public func setUp() throws {
        try CPUCheck.check(config)
        let (hugepages, hugepageNote) = EALArguments.useHugepages(config.eal)
        usesHugepages = hugepages
        logger.info("\(hugepageNote)")
        let arguments = EALArguments.build(config, hugepages: hugepages)
        logger.info("EAL arguments: \(arguments.joined(separator: " "))")
        do {
            try EAL.initialize(programName: "swiftfwd", arguments: arguments)
        } catch let error as DPDKError where hugepages {
            // The usual cause: another process took the hugepages between our check and EAL's.
            throw DPDKError("\(error.operation) with hugepages (EAL's own lines above say why; if another process took the hugepages, set eal.hugepages: false to run on anonymous memory)", code: error.code)
        }
        ealStarted = true
        logger.info("\(EAL.version), TSC \(EAL.tscHz / 1_000_000) MHz")

        let socket = EAL.socketOfLcore(UInt32(config.eal.mainCore))
        let sizing = MbufPoolSizing(config)
        let mbufs = config.mempool.mbufs ?? sizing.total
        let pool = try MbufPool(name: "swiftfwd_mbufs", count: mbufs, cacheSize: config.mempool.cacheSize,
                                dataRoom: config.mempool.dataRoom, socket: socket)
        self.pool = pool
        let poolMiB = Double(mbufs * (config.mempool.dataRoom + 128 + 64)) / 1_048_576
        logger.info("mbuf pool: \(mbufs) mbufs (\(config.mempool.mbufs == nil ? sizing.explanation : "set in config")), about \(Int(poolMiB)) MiB")

        var rssRequested: [UInt64] = []
        for portConfig in config.ports {
            let port = try EthernetPort(device: portConfig.device)
            // RSS spreads several queues; in pipeline mode it also gives the receive cores a
            // flow hash for free, so it is asked for even on a single queue.
            let wantsRSS = portConfig.rxQueues > 1 || config.threading.mode == .pipeline
            let rss = wantsRSS ? RSSHash.flags(portConfig.rssHash.map(\.rawValue)) : 0
            let settings = PortSettings(rxQueues: portConfig.rxQueues, txQueues: portConfig.txQueues,
                                        rxDescriptors: portConfig.rxDescriptors, txDescriptors: portConfig.txDescriptors,
                                        mtu: portConfig.mtu, promiscuous: portConfig.promiscuous, mac: portConfig.mac, rss: rss)
            let notes = try port.configure(settings, pool: pool)
            for note in notes { logger.warning("port \(portConfig.name): \(note)") }
            ports.append(port)
            portMACs.append(portConfig.mac ?? port.mac)
            rssRequested.append(rss)
        }

        try buildTables(socket: socket)

        for (index, port) in ports.enumerated() {
            try port.start()
            startedPorts.append(port)
            let c = config.ports[index]
            portRSS.append(rssRequested[index] == 0 ? 0 : port.rssHashFunctions)
            let rss = portRSS[index] == 0 ? "off" : RSSHash.names(portRSS[index]).joined(separator: " ")
            logger.info("port \(c.name): \(c.device) driver \(port.driverName), MAC \(portMACs[index]), MTU \(c.mtu), \(c.rxQueues) RX / \(c.txQueues) TX queues, RSS \(rss), link \(port.link.description)")
        }
        if config.kernel.enabled, let plane {
            let kernel = try KernelPath(config: config, ports: ports, macs: portMACs, pool: pool, socket: socket)
            self.kernel = kernel
            sync = try KernelSync(config: config, plane: plane, path: kernel, ports: ports, logger: logger)
            for (index, c) in config.ports.enumerated() {
                logger.info("port \(c.name): twin interface \(c.kernelName) (net_tap port \(kernel.taps[index].id), ifindex \(sync?.ifindexes[index] ?? 0)) has the port's addresses")
            }
        }
    }

    func buildTables(socket: Int32) throws {
        let portViews = config.ports.enumerated().map { index, c in
            PortL3(mac: portMACs[index], mtu: c.mtu, addresses: c.addresses)
        }
        let routes = config.routes.map { r -> RouteSpec in
            switch r.nextHop {
            case .via(let gateway): return RouteSpec(prefix: r.prefix, target: .via(gateway))
            case .dev(let port): return RouteSpec(prefix: r.prefix, target: .port(port))
            case .multipath(let gateways):
                return RouteSpec(prefix: r.prefix, target: .via(gateways[0]), hops: gateways.map { WeightedTarget(.via($0)) })
            }
        }
        let neighbors = config.neighbors.map { NeighborSpec(address: $0.address, mac: $0.mac, port: $0.port) }
        let table = ForwardingTable(ports: portViews, routes: routes, neighbors: neighbors)
        let started = Date()
        let heapBefore = DPDKHeap.usage().used
        let plane: ForwardingPlane
        do {
            plane = try ForwardingPlane(table: table, fib: config.fib, socket: socket, workers: config.eal.workerCores.count)
        } catch let error as DPDKError where error.code == ENOMEM || error.code == EINVAL {
            // rte_fib6_create reports a failed allocation of its tables as EINVAL, not ENOMEM.
            throw DPDKError("\(error.operation), with two copies of the tables to fit in eal.memory_mb (\(config.eal.memoryMB) MiB): raise it or lower the fib sizes;", code: error.code)
        }
        self.plane = plane
        tableBytes = DPDKHeap.usage().used - heapBefore
        let seconds = Date().timeIntervalSince(started)
        logger.info("FIB: \(table.ipv4Routes.count) IPv4 routes (capacity \(config.fib.ipv4MaxRoutes)), \(table.ipv6Routes.count) IPv6 routes (capacity \(config.fib.ipv6MaxRoutes)), \(table.adjacencies.count) adjacencies; lookups \(plane.lookupKinds); two RCU copies loaded in \(String(format: "%.2f", seconds)) s, \(tableBytes >> 20) MiB of DPDK memory")
    }

    /// Launches one pinned worker per worker core, and in pipeline mode the rings and then the
    /// receive cores.
    public func launchWorkers() throws {
        guard let plane else { return }
        let pipeline = config.threading.mode == .pipeline
        if pipeline { receive = try ReceiveCores(config: config) }
        // ~100 us between forced TX drains: long enough to fill bursts under load, short
        // enough that a lone packet (a ping) is not held noticeably.
        let drainCycles = EAL.tscHz / 10_000
        guard let pool else { return }
        let identities = config.ports.enumerated().map { index, port in
            PortIdentity(mac: portMACs[index],
                         ipv4: port.addresses.lazy.compactMap { $0.address.ipv4 }.first,
                         ipv6: port.addresses.lazy.compactMap { $0.address.ipv6 }.first { !$0.isLinkLocal })
        }
        // mbuf->port to port index, for workers that take packets of several ports from a ring.
        var portIndexOfID = [Int](repeating: -1, count: Int(ports.map(\.id).max() ?? 0) + 1)
        for (index, port) in ports.enumerated() { portIndexOfID[Int(port.id)] = index }
        for (workerIndex, core) in config.eal.workerCores.enumerated() {
            let queues = pipeline ? [] : config.queueMap.filter { $0.core == core }.map {
                PolledQueue(portIndex: $0.port, portID: ports[$0.port].id, queue: UInt16($0.queue))
            }
            let workerCounters = WorkerCounters.allocate(ports: ports.count, rings: pipeline ? config.threading.rxCores.count : 0)
            counters.append(workerCounters)
            let rings = receive?.rings(toWorker: workerIndex) ?? []
            // Port p's inject ring is drained by worker p % workers, which has a TX queue on p.
            let injected = kernel == nil ? [] : Array(stride(from: workerIndex, to: ports.count, by: config.eal.workerCores.count))
            let setup = UnsafeMutablePointer<WorkerSetup>.allocate(capacity: 1)
            setup.initialize(to: WorkerSetup(
                lcore: UInt32(core), queues: queues, txQueue: UInt16(workerIndex),
                portIDs: ports.map(\.id), portMACs: portMACs.map(\.value),
                slots: UnsafePointer(plane.slots), active: UnsafePointer(plane.active), qsbr: plane.qsbr,
                thread: UInt32(workerIndex), counters: workerCounters, stop: stopFlag, drainCycles: drainCycles,
                pool: pool.pointer, identities: identities, icmpErrors: config.icmpErrors,
                pipeline: pipeline, rings: rings, ringBurst: config.threading.ringBurst, portIndexOfID: portIndexOfID,
                puntRing: kernel?.puntRings[workerIndex].pointer, policer: kernel == nil ? [] : KernelPath.policer(config.kernel),
                injectRings: injected.map { kernel!.injectRings[$0].pointer }, injectPorts: injected))
            workerSetups.append(setup)
            let described = pipeline
                ? "rings " + config.threading.rxCores.map { ReceiveCores.ringName(rx: $0, worker: core) }.joined(separator: " ")
                : queues.isEmpty ? "nothing" : queues.map { "\(config.ports[$0.portIndex].name):\($0.queue)" }.joined(separator: " ")
            try Lcore.launch(workerEntry, argument: UnsafeMutableRawPointer(setup), on: UInt32(core))
            launched.append(UInt32(core))
            logger.info("worker on core \(core) polls \(described), TX queue \(workerIndex)")
        }
        try receive?.launch(ports: ports, logger: logger)
        kernel?.start()
        sync?.start()
    }

    public func snapshot() -> StatsSnapshot {
        var portStats = config.ports.map { PortStats(name: $0.name) }
        for (index, port) in ports.enumerated() { portStats[index].hardware = port.stats }
        var workers: [WorkerStats] = []
        // Receive cores count the ports' RX, workers their TX (and in run-to-completion both).
        func add(_ values: [UInt64], core: Int, role: CoreRole, rings: [String]) {
            for p in 0..<ports.count {
                let base = WorkerCounters.portBase + p * WorkerCounters.slotsPerPort
                portStats[p].rxPackets += values[base]
                portStats[p].rxBytes += values[base + 1]
                portStats[p].txPackets += values[base + 2]
                portStats[p].txBytes += values[base + 3]
            }
            let queues = role == .worker && receive != nil ? ""
                : config.queueMap.filter { $0.core == core }.map { "\(config.ports[$0.port].name):\($0.queue)" }.joined(separator: ",")
            workers.append(WorkerStats(
                core: UInt32(core), queues: queues,
                rxPackets: values[WorkerCounters.rxPackets], txPackets: values[WorkerCounters.txPackets],
                busyCycles: values[WorkerCounters.busyCycles], idleCycles: values[WorkerCounters.idleCycles],
                busyPolls: values[WorkerCounters.busyPolls],
                drops: Array(values[WorkerCounters.dropBase..<(WorkerCounters.dropBase + DropReason.count)]),
                icmpErrorsSent: values[WorkerCounters.icmpErrorsSent],
                icmpErrorsRateLimited: values[WorkerCounters.icmpErrorsRateLimited],
                icmpErrorsNoMbuf: values[WorkerCounters.icmpErrorsNoMbuf],
                ipv4Fragmented: values[WorkerCounters.ipv4Fragmented],
                ipv4Fragments: values[WorkerCounters.ipv4Fragments],
                role: role, rings: rings))
        }
        let rxCores = config.threading.rxCores
        let workerCores = config.eal.workerCores
        let rxValues = receive?.counters.map { $0.snapshot() } ?? []
        let workerValues = counters.map { $0.snapshot() }
        for (r, values) in rxValues.enumerated() {
            add(values, core: rxCores[r], role: .receive, rings: workerCores.map { ReceiveCores.ringName(rx: rxCores[r], worker: $0) })
        }
        for (w, values) in workerValues.enumerated() {
            let rings = receive == nil ? [] : rxCores.map { ReceiveCores.ringName(rx: $0, worker: workerCores[w]) }
            add(values, core: workerCores[w], role: .worker, rings: rings)
        }
        var rings: [RingStats] = []
        if let receive {
            for (r, row) in receive.rings.enumerated() {
                for (w, ring) in row.enumerated() {
                    let produced = r < rxValues.count ? rxValues[r] : nil
                    let consumed = w < workerValues.count ? workerValues[w] : nil
                    let slot = WorkerCounters.portBase + WorkerCounters.slotsPerPort * ports.count
                    rings.append(RingStats(
                        name: ReceiveCores.ringName(rx: rxCores[r], worker: workerCores[w]),
                        rxCore: UInt32(rxCores[r]), workerCore: UInt32(workerCores[w]), size: ring.capacity, count: ring.count,
                        enqueued: produced?[slot + WorkerCounters.slotsPerRing * w] ?? 0,
                        dequeued: consumed?[slot + WorkerCounters.slotsPerRing * r + 1] ?? 0,
                        dropped: produced?[slot + WorkerCounters.slotsPerRing * w + 2] ?? 0))
                }
            }
        }
        var punt: PuntStats?
        if let kernel {
            var p = PuntStats()
            for values in workerValues {
                for c in PuntClass.allCases {
                    p.punted[c.rawValue] += values[WorkerCounters.puntedBase + c.rawValue]
                    p.policed[c.rawValue] += values[WorkerCounters.policedBase + c.rawValue]
                }
                p.ringFull += values[WorkerCounters.puntRingFull]
                p.injected += values[WorkerCounters.injected]
            }
            p.twins = config.ports.enumerated().map { index, c in
                let v = kernel.portCounters(index)
                return PuntStats.Twin(port: c.name, interface: c.kernelName, toKernel: v[0], toKernelDropped: v[1], fromKernel: v[2], fromKernelDropped: v[3])
            }
            p.sync = sync?.snapshot ?? SyncStats()
            punt = p
        }
        return StatsSnapshot(ports: portStats, workers: workers, mempoolSize: pool?.size ?? 0,
                             mempoolAvailable: pool?.available ?? 0, tscHz: EAL.tscHz,
                             mode: config.threading.mode, rings: rings, punt: punt)
    }

    /// Tells the workers to stop and waits until each has drained its TX buffers and returned.
    /// In pipeline mode the receive cores stop first, so the workers can empty their rings.
    public func stopWorkers() {
        // The kernel side first: workers never wait for it, and it must not feed the inject
        // rings of workers that stopped.
        sync?.stop()
        kernel?.stop()
        receive?.stop()
        SharedMemory.storeRelease(stopFlag, 1)
        for lcore in launched { Lcore.wait(lcore) }
        launched.removeAll()
    }

    /// Stops and closes ports (drivers give back the mbufs they hold), then counts the pool.
    /// Returns how many mbufs are missing: anything but 0 is a leak.
    public func shutdown() -> Int {
        stopWorkers()
        if let receive {
            let left = receive.release()
            if left > 0 { logger.warning("\(left) packets were still in the rings after the workers stopped; freed") }
            self.receive = nil
        }
        if let kernel {
            let left = kernel.release()
            if left > 0 { logger.info("\(left) packets were still in the punt and inject rings; freed") }
            self.kernel = nil
            sync = nil
        }
        for port in startedPorts { port.stop() }
        startedPorts.removeAll()
        for port in ports { port.close() }
        ports.removeAll()
        var leaked = 0
        if let pool {
            leaked = pool.size - pool.available
        }
        for setup in workerSetups { setup.deinitialize(count: 1); setup.deallocate() }
        workerSetups.removeAll()
        plane = nil
        for c in counters { c.deallocate() }
        counters.removeAll()
        pool?.free(); pool = nil
        if ealStarted { EAL.cleanup(); ealStarted = false }
        return leaked
    }
}
