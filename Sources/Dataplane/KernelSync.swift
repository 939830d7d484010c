import Config
import DPDK
import Forwarding
import Foundation
import Logging
import Netlink
import Packet

/// Counters of the kernel mirror for `show sync` and --stats-json. Written by the sync thread
/// under `KernelSync.lock`, read under it.
public struct SyncStats: Sendable, Codable, Equatable {
    public var routes = 0
    public var neighbors = 0
    public var resyncs = 0
    public var overruns = 0
    public var batches = 0
    public var failures = 0
    /// Changes the fast path refused (a FIB full, a neighbor on a router address, ...).
    public var refused = 0
    /// Neighbor resolutions asked of the kernel (NTF_USE) for punted packets.
    public var resolveRequests = 0
    /// Times a port's link change was copied to its twin.
    public var linkChanges = 0
    /// Changes read from the kernel and not applied yet (`SyncQueue`), now and at most.
    public var queued = 0
    public var maxQueued = 0
    /// The most changes applied in one batch.
    public var largestBatch = 0
    /// From netlink receipt of the oldest change of the last batch to its FIB update, and the
    /// largest such lag seen, in microseconds.
    public var lastLagMicroseconds: UInt64 = 0
    public var maxLagMicroseconds: UInt64 = 0
    public init() {}
}

/// Puts the router's addresses on the twins and mirrors the kernel's neighbors and routes of
/// the twins into the fast path (docs/architecture.md, "Control plane"). Runs on a thread of
/// its own: the mirror's dumps block, the kernel thread must not.
///
/// What is mirrored: neighbors on a twin in a usable state become fast-path neighbors with
/// source "kernel" (a static neighbor from the config is never replaced or removed); unicast
/// routes of the main table (or `kernel.table`) with next hops through the twins become routes
/// (via the gateway, or out of the port; several usable next hops make a multipath route),
/// except connected routes (proto kernel: the fast path has them from the config) and prefixes
/// the config routes itself (KernelSyncRules).
public final class KernelSync: @unchecked Sendable {
    let plane: ForwardingPlane
    let path: KernelPath
    let logger: Logger
    let twinNames: [String]
    /// ifindex of each port's twin.
    public let ifindexes: [Int32]
    let rules: KernelSyncRules
    /// The data ports, whose link state the twins follow.
    let ports: [EthernetPort]
    let table: UInt32
    /// Prefixes this mirror installed, so that only those are ever deleted.
    var installed: Set<IPPrefix> = []
    let lock = NSLock()
    var stats = SyncStats()
    let stopFlag = ManagedAtomicFlag()
    var thread: Thread?
    let finished = DispatchSemaphore(value: 0)

    /// Finds the twins and gives them the ports' addresses and MTU, and sets them up. Throws
    /// with a sentence if the kernel refuses.
    public init(config: SwiftfwdConfig, plane: ForwardingPlane, path: KernelPath, ports: [EthernetPort], logger: Logger) throws {
        self.ports = ports
        self.plane = plane
        self.path = path
        self.logger = logger
        twinNames = config.ports.map(\.kernelName)
        var indexes: [Int32] = []
        for name in twinNames {
            let index = Int32(if_nametoindex(name))
            guard index > 0 else { throw KernelSyncError("the twin interface \(name) does not exist after its net_tap port started") }
            indexes.append(index)
        }
        ifindexes = indexes
        rules = KernelSyncRules(portOfIfindex: Dictionary(uniqueKeysWithValues: indexes.enumerated().map { ($1, $0) }),
                                configRoutes: Set(config.routes.map(\.prefix)))
        table = UInt32(config.kernel.table)
        for name in twinNames {
            // The twin follows the port's link (below); IPv6 would drop its addresses each time
            // it goes down unless told to keep them.
            try? "1".write(toFile: "/proc/sys/net/ipv6/conf/\(name)/keep_addr_on_down", atomically: false, encoding: .utf8)
        }
        do {
            let client = try NetlinkClient()
            for (port, c) in config.ports.enumerated() {
                try client.setLink(ifindex: indexes[port], up: true, mtu: UInt32(c.mtu))
                for address in c.addresses {
                    // No duplicate address detection: the address is the router's, usable at once.
                    try client.addAddress(address, ifindex: indexes[port], skipDAD: true)
                }
            }
        } catch {
            throw KernelSyncError("cannot give the twin interfaces their addresses over netlink: \(error)")
        }
    }

    public var snapshot: SyncStats {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }

    public func start() {
        let thread = Thread { [self] in
            nameCurrentThread("swiftfwd-sync")
            run()
            finished.signal()
        }
        self.thread = thread
        thread.start()
    }

    public func stop() {
        guard thread != nil else { return }
        stopFlag.set()
        finished.wait()
        thread = nil
    }

    func run() {
        let mirror: KernelMirror
        let client: NetlinkClient
        do {
            mirror = try KernelMirror(configuration: .init(table: table, interfaces: .names(Set(twinNames))))
            client = try NetlinkClient(timeoutMilliseconds: 1000)
        } catch {
            logger.error("kernel mirror: cannot open netlink sockets: \(error); routes and neighbors are not mirrored")
            return
        }
        var queue = SyncQueue()
        var twinUp = [Bool](repeating: true, count: ports.count)
        var lastLinkCheck: UInt64 = 0
        while !stopFlag.isSet {
            let now = monotonicNanoseconds()
            if now - lastLinkCheck >= 200_000_000 {
                followLinks(&twinUp)
                lastLinkCheck = now
            }
            read(mirror, into: &queue)
            let chunk = queue.isEmpty ? [] : queue.takeChunk()
            let began = monotonicNanoseconds()
            apply(chunk, mirror: mirror, queue: queue)
            queue.record(applied: chunk.count, nanoseconds: monotonicNanoseconds() - began)
            resolve(path.takeResolveRequests(), client: client)
        }
    }

    /// Sets each twin up or down as its port's link is (checked every 200 ms): the kernel then
    /// withdraws the routes and neighbors of a port that lost its link, and the mirror with it.
    func followLinks(_ twinUp: inout [Bool]) {
        for (index, port) in ports.enumerated() {
            let up = port.link.up
            guard up != twinUp[index] else { continue }
            let result = path.taps[index].setLink(up: up)
            if result != 0 {
                logger.warning("kernel mirror: cannot set twin \(twinNames[index]) \(up ? "up" : "down") (error \(-result))")
                continue
            }
            twinUp[index] = up
            logger.info("twin \(twinNames[index]) set \(up ? "up" : "down"): its port's link is \(up ? "up" : "down")")
            lock.lock()
            stats.linkChanges += 1
            lock.unlock()
        }
    }

    /// Empties the event socket into the queue (SyncQueue says why reading comes first): waits
    /// up to 20 ms for a notification only when nothing waits to be applied, and stops when a
    /// poll reads nothing, or after 200 ms so that links, resolve requests and stop are still
    /// seen while a routing daemon keeps the socket full.
    func read(_ mirror: KernelMirror, into queue: inout SyncQueue) {
        let until = monotonicNanoseconds() + 200_000_000
        var wait: Int32 = queue.isEmpty ? 20 : 0
        repeat {
            let before = mirror.statistics.messages
            let batch = mirror.poll(timeoutMilliseconds: wait)
            wait = 0
            queue.append(batch.changes)
            if let failure = batch.failure {
                logger.warning("kernel mirror: \(failure)")
                return
            }
            if batch.changes.isEmpty && mirror.statistics.messages == before { return }
        } while monotonicNanoseconds() < until
    }

    /// Applies one chunk of changes as one batch (one RCU grace period per batch) and updates
    /// the counters (also with an empty chunk: resyncs and overruns are the mirror's).
    func apply(_ chunk: [TimedChange], mirror: KernelMirror, queue: SyncQueue) {
        var refused = 0
        if !chunk.isEmpty {
            let changes: [TableChange] = plane.withTable { table in
                var overlay = KernelSyncRules.NeighborOverlay(table: table)
                return chunk.flatMap { self.rules.changes(for: $0.change, neighbors: &overlay, installed: &self.installed) }
            }
            if !changes.isEmpty {
                let result = plane.apply(changes)
                refused += result.refused.count
                if let first = result.refused.first {
                    logger.warning("kernel mirror: the fast path refused \(result.refused.count) of \(changes.count) changes, first: \(first.message)")
                }
            }
        }
        let now = monotonicNanoseconds()
        let oldest = chunk.map(\.receivedAt).min()
        let statistics = mirror.statistics
        let neighbors = plane.withTable { $0.neighbors.values.filter { $0.source == "kernel" }.count }
        lock.lock()
        defer { lock.unlock() }
        stats.routes = installed.count
        stats.neighbors = neighbors
        stats.resyncs = statistics.resyncs
        stats.overruns = statistics.overruns
        stats.failures = statistics.failures
        stats.refused += refused
        stats.queued = queue.count
        stats.maxQueued = queue.largestBacklog
        if let oldest {
            stats.batches += 1
            stats.largestBatch = max(stats.largestBatch, chunk.count)
            let lag = (now > oldest ? now - oldest : 0) / 1000
            stats.lastLagMicroseconds = lag
            stats.maxLagMicroseconds = max(stats.maxLagMicroseconds, lag)
        }
    }

    /// For each punted destination whose next hop has no neighbor yet, asks the kernel to
    /// resolve that next hop (the gateway of a route via one, else the destination itself); for
    /// a multipath route, each of its unresolved next hops.
    func resolve(_ destinations: [IPAddress], client: NetlinkClient) {
        guard !destinations.isEmpty else { return }
        let wanted: [(address: IPAddress, port: Int)] = plane.withTable { table in
            destinations.flatMap { table.unresolvedNextHops(for: $0) }
        }
        for (address, port) in wanted {
            do {
                try client.resolveNeighbor(address, ifindex: ifindexes[port])
            } catch {
                logger.debug("kernel mirror: \(error)")
            }
        }
        lock.lock()
        stats.resolveRequests += wanted.count
        lock.unlock()
    }
}

public struct KernelSyncError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Names the calling thread for top -H, perf and /proc/PID/task/TID/comm (the benchmarks read
/// each thread's CPU time by name): Foundation's `Thread.name` does not reach the kernel on
/// Linux, and Glibc's module does not export pthread_setname_np. At most 15 bytes.
func nameCurrentThread(_ name: String) {
    try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
}

/// A stop flag for a control thread (not a worker: a lock is fine here).
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
