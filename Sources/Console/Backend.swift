import Foundation
import Packet

// What the console needs from the forwarder. The console never touches DPDK or worker memory:
// it asks a ConsoleBackend, which the executable implements over the data plane and the tests
// implement with a fake. Every value is a copy, so nothing here is shared with a worker.

/// `show version`.
public struct VersionInfo: Sendable {
    public var version: String
    public var dpdkVersion: String
    public var startedAt: Date
    public var mainCore: Int
    public var workerCores: [Int]
    /// Pipeline mode's receive cores; empty in run-to-completion.
    public var rxCores: [Int]

    public init(version: String, dpdkVersion: String, startedAt: Date, mainCore: Int, workerCores: [Int], rxCores: [Int] = []) {
        self.version = version
        self.dpdkVersion = dpdkVersion
        self.startedAt = startedAt
        self.mainCore = mainCore
        self.workerCores = workerCores
        self.rxCores = rxCores
    }
}

/// One port's counters: swiftfwd's own (summed over workers) and the driver's (rte_eth_stats).
/// All are totals since start; the console subtracts its own baseline for `clear counters`.
public struct PortCounters: Sendable {
    public var rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64
    public var hwRxPackets: UInt64, hwTxPackets: UInt64, hwRxBytes: UInt64, hwTxBytes: UInt64
    /// Dropped by the NIC because the RX ring was full (rte_eth_stats.imissed).
    public var imissed: UInt64
    public var ierrors: UInt64
    public var oerrors: UInt64
    /// RX mbuf allocation failures (rte_eth_stats.rx_nombuf).
    public var rxNoMbuf: UInt64

    public init(rxPackets: UInt64 = 0, rxBytes: UInt64 = 0, txPackets: UInt64 = 0, txBytes: UInt64 = 0,
                hwRxPackets: UInt64 = 0, hwTxPackets: UInt64 = 0, hwRxBytes: UInt64 = 0, hwTxBytes: UInt64 = 0,
                imissed: UInt64 = 0, ierrors: UInt64 = 0, oerrors: UInt64 = 0, rxNoMbuf: UInt64 = 0) {
        self.rxPackets = rxPackets
        self.rxBytes = rxBytes
        self.txPackets = txPackets
        self.txBytes = txBytes
        self.hwRxPackets = hwRxPackets
        self.hwTxPackets = hwTxPackets
        self.hwRxBytes = hwRxBytes
        self.hwTxBytes = hwTxBytes
        self.imissed = imissed
        self.ierrors = ierrors
        self.oerrors = oerrors
        self.rxNoMbuf = rxNoMbuf
    }
}

public struct InterfaceInfo: Sendable {
    /// The port's name from the configuration.
    public var name: String
    /// The DPDK device string (`net_pcap0,...`, `0000:03:00.0`).
    public var device: String
    public var driver: String
    public var mac: MACAddress
    public var mtu: Int
    public var linkUp: Bool
    /// 0 when the driver does not know.
    public var speedMbps: UInt32
    public var addresses: [InterfaceAddress]
    public var counters: PortCounters
    public var rxQueues: Int
    /// The RSS hash fields the port uses ("ipv4", "tcp", ...); empty when RSS is off.
    public var rssHash: [String]

    public init(name: String, device: String, driver: String, mac: MACAddress, mtu: Int, linkUp: Bool, speedMbps: UInt32,
                addresses: [InterfaceAddress], counters: PortCounters, rxQueues: Int = 1, rssHash: [String] = []) {
        self.name = name
        self.device = device
        self.driver = driver
        self.mac = mac
        self.mtu = mtu
        self.linkUp = linkUp
        self.speedMbps = speedMbps
        self.addresses = addresses
        self.counters = counters
        self.rxQueues = rxQueues
        self.rssHash = rssHash
    }
}

/// One data-plane core. In run-to-completion mode every core is a `worker` that polls its
/// queues and forwards. In pipeline mode an `rx` core polls queues and hands packets to the
/// workers over rings (its tx is what it handed over, its drops are ring_full), and a `worker`
/// takes them from its rings (its rx) and forwards them.
public struct WorkerInfo: Sendable {
    public var core: Int
    /// `worker` or `rx`.
    public var role: String
    /// The (port, queue) pairs it polls, as "p0:0".
    public var queues: [String]
    /// Pipeline mode: the rings it writes (rx) or reads (worker).
    public var rings: [String]
    public var rxPackets: UInt64, txPackets: UInt64, drops: UInt64
    /// TSC cycles spent in polls that received packets, and in empty polls.
    public var busyCycles: UInt64, idleCycles: UInt64
    /// IPv4 packets the worker split into fragments (too big for the egress MTU, DF clear), and
    /// the fragments they became; the fragments are in `txPackets` too.
    public var ipv4Fragmented: UInt64, ipv4Fragments: UInt64

    public init(core: Int, queues: [String], rxPackets: UInt64, txPackets: UInt64, drops: UInt64, busyCycles: UInt64, idleCycles: UInt64,
                role: String = "worker", rings: [String] = [], ipv4Fragmented: UInt64 = 0, ipv4Fragments: UInt64 = 0) {
        self.core = core
        self.role = role
        self.queues = queues
        self.rings = rings
        self.rxPackets = rxPackets
        self.txPackets = txPackets
        self.drops = drops
        self.busyCycles = busyCycles
        self.idleCycles = idleCycles
        self.ipv4Fragmented = ipv4Fragmented
        self.ipv4Fragments = ipv4Fragments
    }
}

/// One ring of pipeline mode, from a receive core to a worker.
public struct RingInfo: Sendable {
    /// "rx2-w1": from receive core 2 to worker core 1.
    public var name: String
    public var rxCore: Int, workerCore: Int
    /// Packets it holds when full.
    public var size: Int
    /// Packets in it at the moment of the sample.
    public var count: Int
    /// Totals since start: handed over by the receive core, taken by the worker, and freed by
    /// the receive core because the ring was full (counted as ring_full).
    public var enqueued: UInt64, dequeued: UInt64, dropped: UInt64

    public init(name: String, rxCore: Int, workerCore: Int, size: Int, count: Int, enqueued: UInt64, dequeued: UInt64, dropped: UInt64) {
        self.name = name
        self.rxCore = rxCore
        self.workerCore = workerCore
        self.size = size
        self.count = count
        self.enqueued = enqueued
        self.dequeued = dequeued
        self.dropped = dropped
    }
}

/// How the data-plane cores share the work (config `threading`).
public struct ThreadingInfo: Sendable {
    /// `run-to-completion` or `pipeline`.
    public var mode: String
    /// Pipeline mode: slots per ring and the most packets one enqueue or dequeue moves.
    public var ringSize: Int, ringBurst: Int

    public init(mode: String = "run-to-completion", ringSize: Int = 0, ringBurst: Int = 0) {
        self.mode = mode
        self.ringSize = ringSize
        self.ringBurst = ringBurst
    }

    public var isPipeline: Bool { mode == "pipeline" }
}

/// One drop reason with its count on each worker.
public struct DropCount: Sendable {
    /// The reason's stable name, as in `--stats-json` (`no_route`).
    public var name: String
    /// One sentence for `show errors` ("no route matches the destination").
    public var explanation: String
    /// In the order of `StatsSample.workers`.
    public var perWorker: [UInt64]

    public init(name: String, explanation: String, perWorker: [UInt64]) {
        self.name = name
        self.explanation = explanation
        self.perWorker = perWorker
    }
}

public struct MempoolInfo: Sendable {
    public var size: Int, inUse: Int, available: Int

    public init(size: Int, inUse: Int, available: Int) {
        self.size = size
        self.inUse = inUse
        self.available = available
    }
}

/// Every counter at one moment. The console keeps a few of these to compute rates.
public struct StatsSample: Sendable {
    /// A monotonic clock reading in seconds: rates divide by the difference of two of these.
    public var monotonicSeconds: Double
    public var tscHz: UInt64
    public var interfaces: [InterfaceInfo]
    public var workers: [WorkerInfo]
    public var drops: [DropCount]
    public var mempool: MempoolInfo
    public var threading: ThreadingInfo
    /// Pipeline mode's rings; empty in run-to-completion.
    public var rings: [RingInfo]

    public init(monotonicSeconds: Double, tscHz: UInt64, interfaces: [InterfaceInfo], workers: [WorkerInfo], drops: [DropCount],
                mempool: MempoolInfo, threading: ThreadingInfo = ThreadingInfo(), rings: [RingInfo] = []) {
        self.monotonicSeconds = monotonicSeconds
        self.tscHz = tscHz
        self.interfaces = interfaces
        self.workers = workers
        self.drops = drops
        self.mempool = mempool
        self.threading = threading
        self.rings = rings
    }
}

public struct RouteInfo: Sendable {
    public var prefix: IPPrefix
    /// `connected`, `static`, `local` or `neighbor` (a host route to a neighbor).
    public var kind: String
    /// How it is reached, as a person reads it: "via 198.18.1.2 dev p1", "dev p1", "local".
    public var nextHop: String
    /// The egress port, nil for local routes.
    public var port: String?
    /// False while the next hop has no neighbor entry (packets are dropped as no_neighbor); for a
    /// multipath route, while any of them has none.
    public var resolved: Bool
    /// The next hops of a multipath route (ECMP), each flow on one of them; empty for a route
    /// with one next hop. `nextHop` and `port` are then the first one's.
    public var paths: [RoutePath]

    public init(prefix: IPPrefix, kind: String, nextHop: String, port: String?, resolved: Bool, paths: [RoutePath] = []) {
        self.prefix = prefix
        self.kind = kind
        self.nextHop = nextHop
        self.port = port
        self.resolved = resolved
        self.paths = paths
    }
}

/// One next hop of a multipath route.
public struct RoutePath: Sendable, Equatable {
    /// As `RouteInfo.nextHop`: "via 198.18.1.2 dev p1", "dev p1".
    public var nextHop: String
    public var port: String?
    public var resolved: Bool
    /// Its share of the flows, against the other next hops' weights.
    public var weight: Int

    public init(nextHop: String, port: String?, resolved: Bool, weight: Int) {
        self.nextHop = nextHop
        self.port = port
        self.resolved = resolved
        self.weight = weight
    }

    /// The next hop as the tables show it, with its weight when it is not 1.
    public var label: String { weight == 1 ? nextHop : "\(nextHop) weight \(weight)" }
}

public struct TableUsage: Sendable {
    public var ipv4Routes: Int, ipv4Capacity: Int, ipv6Routes: Int, ipv6Capacity: Int

    public init(ipv4Routes: Int, ipv4Capacity: Int, ipv6Routes: Int, ipv6Capacity: Int) {
        self.ipv4Routes = ipv4Routes
        self.ipv4Capacity = ipv4Capacity
        self.ipv6Routes = ipv6Routes
        self.ipv6Capacity = ipv6Capacity
    }
}

public struct NeighborInfo: Sendable {
    public var address: IPAddress
    public var mac: MACAddress
    public var port: String
    /// `static` (from the configuration) or `console` (added with `neighbor add`).
    public var source: String

    public init(address: IPAddress, mac: MACAddress, port: String, source: String) {
        self.address = address
        self.mac = mac
        self.port = port
        self.source = source
    }
}

public struct MemoryInfo: Sendable {
    public var mbufsTotal: Int, mbufsInUse: Int, mbufsFree: Int
    /// Bytes the whole mbuf pool occupies (every mbuf with its headroom and data room).
    public var mbufBytes: Int
    /// nil when EAL runs without hugepages (--no-huge).
    public var hugepagesTotalMB: Int?
    public var hugepagesFreeMB: Int?
    /// DPDK's heap (rte_malloc) over all sockets.
    public var heapTotalBytes: Int, heapUsedBytes: Int
    /// Memory held by the IPv4 and IPv6 FIBs.
    public var fibBytes: Int

    public init(mbufsTotal: Int, mbufsInUse: Int, mbufsFree: Int, mbufBytes: Int, hugepagesTotalMB: Int?, hugepagesFreeMB: Int?,
                heapTotalBytes: Int, heapUsedBytes: Int, fibBytes: Int) {
        self.mbufsTotal = mbufsTotal
        self.mbufsInUse = mbufsInUse
        self.mbufsFree = mbufsFree
        self.mbufBytes = mbufBytes
        self.hugepagesTotalMB = hugepagesTotalMB
        self.hugepagesFreeMB = hugepagesFreeMB
        self.heapTotalBytes = heapTotalBytes
        self.heapUsedBytes = heapUsedBytes
        self.fibBytes = fibBytes
    }
}

/// A refused change or a failed query, as one sentence the console prints after "error: ".
public struct ConsoleError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }
    public init(message: String) { self.message = message }

    public var description: String { message }
}

/// The forwarder as the console sees it. Queries are cheap copies and may be called on an event
/// loop. The five changes may block for up to ~100 ms (an RCU grace period): the console calls
/// them on its own control queue, never on an event loop, and one at a time.
public protocol ConsoleBackend: AnyObject, Sendable {
    func version() -> VersionInfo
    func sample() -> StatsSample
    /// The driver's extended statistics for a port; throws ConsoleError for an unknown port.
    func xstats(port: String) throws -> [(name: String, value: UInt64)]
    func routes() -> [RouteInfo]
    /// The longest-prefix match for an address, nil when no route matches.
    func lookup(_ address: IPAddress) -> RouteInfo?
    func tableUsage() -> TableUsage
    func neighbors() -> [NeighborInfo]
    func memory() -> MemoryInfo
    /// The configuration as loaded (YAML). The console hides password values before showing it.
    func configText() -> String
    func addRoute(_ prefix: IPPrefix, via: IPAddress) throws
    func addRoute(_ prefix: IPPrefix, port: String) throws
    func deleteRoute(_ prefix: IPPrefix) throws
    func addNeighbor(_ address: IPAddress, mac: MACAddress, port: String) throws
    func deleteNeighbor(_ address: IPAddress) throws
    /// The kernel control plane's counters; nil when it is off (KernelViews.swift has the default).
    func kernel() -> KernelStatus?
}
