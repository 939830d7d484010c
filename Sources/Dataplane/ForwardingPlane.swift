import Config
import DPDK
import Forwarding
import Foundation
import Packet

/// One complete copy of what workers read: both FIBs and the adjacency table they index.
public struct PlaneSlot {
    public var ipv4: IPv4FIB
    public var ipv6: IPv6FIB
    public var adjacencies: UnsafeMutablePointer<Adjacency>
    public var adjacencyCount: Int
    /// Whether the workers prefetch IPv4 table entries (`prefetches(_:)`).
    public var prefetchIPv4 = false

    /// The worker prefetches the tbl24 entry of every usual IPv4 packet while it checks the rest
    /// of the burst: with a large table most lookups would miss the cache (1M routes: 1.07
    /// against 0.83 of l3fwd, paired, docs/performance.md). A small table is always in cache,
    /// and there the prefetch only costs instructions (about 1.4 cycles a packet). The route
    /// count stands in for the table's size: a table of few but short prefixes with traffic
    /// spread over them misses too, and then only loses the prefetch's help.
    static func prefetches(_ table: ForwardingTable) -> Bool { table.ipv4Routes.count >= 16384 }
}

/// The forwarding tables, double-buffered under RCU, so a route change never shows a worker a
/// half-updated table.
///
/// Why two copies: rte_fib (DPDK 22.11) has no RCU of its own, and a delete may free a tbl8
/// group that a concurrent lookup is still reading, to be reused by the next add. So changes
/// are applied to the standby copy (no reader), the standby is published with a store-release,
/// the control thread waits for an RCU grace period (every worker has finished the bursts that
/// might hold the old copy), then applies the same changes to the old copy. Workers read the
/// active index once per burst. The price is twice the table memory; the gain is that no
/// packet is ever looked up in a table being written.
///
/// Changes come in batches (`apply`): a batch is written to the standby copy change by change,
/// published once, and costs one grace period however many changes it holds. That is what
/// lets the console absorb 100k changes a second: the grace period and the adjacency copy are
/// paid per batch, the rte_fib writes (two per change, one per copy) per change.
///
/// Ownership: `apply` runs on control threads only, serialised by `lock`, which also guards
/// `table`: readers use `withTable`. Workers only read `active` (load-acquire) and the slot it
/// names.
public final class ForwardingPlane: @unchecked Sendable {
    public let slots: UnsafeMutablePointer<PlaneSlot>
    public let active: UnsafeMutablePointer<UInt32>
    public let qsbr: QSBR
    private var table: ForwardingTable
    let lock = NSLock()
    let fib: FIBConfig
    let socket: Int32
    /// A copy a failed replay left out of step with the table; rebuilt before it is written.
    var brokenSlot: Int?
    /// A copy whose rte_fib tables were freed by a rebuild that then failed.
    var released = [false, false]
    /// When a broken copy may be rebuilt again (DispatchTime nanoseconds).
    var nextRebuild: UInt64 = 0
    /// Counters for the console and the benchmark, read under `lock` (`statistics`).
    var stats = PlaneStatistics()

    /// Everything that can fail happens before any stored property is set: a class whose
    /// init throws after that point runs its deinit on what it had.
    public init(table: ForwardingTable, fib: FIBConfig, socket: Int32, workers: Int) throws {
        let qsbr = try QSBR(maxThreads: max(1, workers))
        let made: [PlaneSlot]
        do {
            for worker in 0..<workers { try qsbr.register(thread: UInt32(worker)) }
            made = try Self.makeSlots(table: table, fib: fib, socket: socket)
        } catch {
            qsbr.free()
            throw error
        }
        self.qsbr = qsbr
        self.table = table
        self.fib = fib
        self.socket = socket
        slots = .allocate(capacity: 2)
        slots.initialize(from: made, count: 2)
        active = .allocate(capacity: 1)
        active.initialize(to: 0)
    }

    /// Two identical copies of the table, or none (what was made is freed on failure).
    static func makeSlots(table: ForwardingTable, fib: FIBConfig, socket: Int32) throws -> [PlaneSlot] {
        var made: [PlaneSlot] = []
        do {
            for copy in 0..<2 { made.append(try makeSlot(copy, table: table, fib: fib, socket: socket)) }
        } catch {
            for slot in made { Self.release(slot) }
            throw error
        }
        return made
    }

    /// One copy of the table, named after its index (rte_fib names are unique per process).
    static func makeSlot(_ copy: Int, table: ForwardingTable, fib: FIBConfig, socket: Int32) throws -> PlaneSlot {
        let v4 = try IPv4FIB(name: "swiftfwd_v4_\(copy)", socket: socket, maxRoutes: fib.ipv4MaxRoutes,
                             tbl8Groups: fib.ipv4Tbl8Groups, defaultNextHop: UInt64(Adjacency.noRouteIndex))
        do {
            let v6 = try IPv6FIB(name: "swiftfwd_v6_\(copy)", socket: socket, maxRoutes: fib.ipv6MaxRoutes,
                                 tbl8Groups: fib.ipv6Tbl8Groups, defaultNextHop: UInt64(Adjacency.noRouteIndex))
            do {
                for (prefix, nextHop) in table.ipv4Routes { try v4.add(prefix, nextHop: UInt64(nextHop)) }
                for (prefix, nextHop) in table.ipv6Routes { try v6.add(prefix, nextHop: UInt64(nextHop)) }
            } catch {
                v6.free()
                throw error
            }
            return PlaneSlot(ipv4: v4, ipv6: v6, adjacencies: Self.copy(table.adjacencies), adjacencyCount: table.adjacencies.count,
                             prefetchIPv4: PlaneSlot.prefetches(table))
        } catch {
            v4.free()
            throw error
        }
    }

    deinit {
        for i in 0..<2 where !released[i] { Self.release(slots[i]) }
        slots.deallocate()
        active.deallocate()
        qsbr.free()
    }

    public var lookupKinds: String { "\(slots[0].ipv4.lookupKind), \(slots[0].ipv6.lookupKind)" }

    /// Reads the control plane's table under the lock. `body` must not keep the table: a copy
    /// that outlives the call makes the next change copy every route (copy-on-write).
    public func withTable<T>(_ body: (ForwardingTable) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(table)
    }

    /// A copy of the table to read at leisure (`show routes`). It costs the next change a full
    /// copy of the table (copy-on-write), so it is for rare, large reads only.
    public func tableSnapshot() -> ForwardingTable {
        withTable { $0 }
    }

    /// tbl8 groups reserved and in the pools, from the copy workers read.
    public var room: TableRoom {
        lock.lock()
        defer { lock.unlock() }
        let slot = slots[Int(SharedMemory.loadAcquire(active))]
        let v4 = slot.ipv4.tbl8Groups, v6 = slot.ipv6.tbl8Groups
        return TableRoom(ipv4Reserved: v4.reserved, ipv4Groups: v4.total, ipv6Reserved: v6.reserved, ipv6Groups: v6.total)
    }

    public var statistics: PlaneStatistics {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }

    /// Applies a batch of changes in order (see `ForwardingTable.applyBatch`) and publishes
    /// them together: workers see the table before the batch or after it, never a part. A
    /// change that is refused (unknown next hop, full table) is left out and reported; the
    /// others are applied.
    public func apply<Changes: Collection>(_ batch: Changes) -> TableBatchResult where Changes.Element == TableChange {
        lock.lock()
        defer { lock.unlock() }
        let started = DispatchTime.now().uptimeNanoseconds
        let cpuStarted = Self.threadCPUNanos()
        let current = Int(SharedMemory.loadAcquire(active))
        let standby = 1 - current
        if brokenSlot == standby {
            do {
                // A rebuild that failed is not tried again for a while: it takes seconds with
                // a full table and fails the same way until routes are freed.
                guard started >= nextRebuild else { throw RebuildPending() }
                nextRebuild = started + 10_000_000_000
                try rebuild(standby)
            } catch {
                let message = "the standby copy of the forwarding tables could not be rebuilt (\(error)); no change is accepted"
                return TableBatchResult(count: batch.count, refused: (0..<batch.count).map { .init(index: $0, message: message) },
                                        writes: [], adjacenciesChanged: false)
            }
        }
        var writer = SlotWriter(slot: slots + standby)
        let result = table.applyBatch(batch, writingTo: &writer)
        stats.changes += result.applied
        stats.refused += result.refused.count
        // Refused writes are published and replayed too: a write rte_fib refuses may still
        // change its bookkeeping, and the two copies must go through the same steps.
        guard !result.writes.isEmpty || result.adjacenciesChanged else { return result }
        if result.adjacenciesChanged { setAdjacencies(of: standby) }
        slots[standby].prefetchIPv4 = PlaneSlot.prefetches(table)
        SharedMemory.storeRelease(active, UInt32(standby))
        let published = DispatchTime.now().uptimeNanoseconds
        let cpuBeforeGrace = Self.threadCPUNanos()
        qsbr.synchronizeYielding()
        let grace = DispatchTime.now().uptimeNanoseconds - published
        let cpuAfterGrace = Self.threadCPUNanos()
        // The old copy held what the standby held before the batch; the same writes in the
        // same order leave it alike (ForwardingTable.applyBatch says why not the net effect).
        // Should an outcome still differ, the copy is rebuilt from the table before it is
        // published again.
        var old = SlotWriter(slot: slots + current)
        if !ForwardingTable.replay(result.writes, into: &old) {
            brokenSlot = current
            stats.replayFailures += 1
        }
        if result.adjacenciesChanged { setAdjacencies(of: current) }
        slots[current].prefetchIPv4 = slots[standby].prefetchIPv4
        stats.publishes += 1
        stats.fibWrites += result.writes.count
        stats.graceNanos += grace
        stats.maxGraceNanos = max(stats.maxGraceNanos, grace)
        stats.batchNanos += DispatchTime.now().uptimeNanoseconds - started
        stats.cpuNanos += (cpuBeforeGrace - cpuStarted) + (Self.threadCPUNanos() - cpuAfterGrace)
        stats.largestBatch = max(stats.largestBatch, result.count)
        return result
    }

    /// CPU time of the calling thread: what a batch costs whether or not the thread was kept
    /// off its core meanwhile.
    static func threadCPUNanos() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    struct RebuildPending: Error, CustomStringConvertible {
        var description: String { "the last attempt failed less than 10 s ago" }
    }

    /// Frees a copy no worker reads and builds it again from the table.
    func rebuild(_ index: Int) throws {
        if !released[index] { Self.release(slots[index]) }
        released[index] = true
        slots[index] = try Self.makeSlot(index, table: table, fib: fib, socket: socket)
        released[index] = false
        brokenSlot = nil
    }

    /// Gives an unread copy the table's adjacency array (a new allocation: the copy's old one
    /// is unread too).
    func setAdjacencies(of index: Int) {
        let old = slots[index].adjacencies
        slots[index].adjacencies = Self.copy(table.adjacencies)
        slots[index].adjacencyCount = table.adjacencies.count
        old.deallocate()
    }

    static func copy(_ adjacencies: [Adjacency]) -> UnsafeMutablePointer<Adjacency> {
        let p = UnsafeMutablePointer<Adjacency>.allocate(capacity: max(1, adjacencies.count))
        p.initialize(from: adjacencies, count: adjacencies.count)
        return p
    }

    static func release(_ slot: PlaneSlot) {
        slot.ipv4.free()
        slot.ipv6.free()
        slot.adjacencies.deallocate()
    }
}
