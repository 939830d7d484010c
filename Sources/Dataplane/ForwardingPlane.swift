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
}

/// The forwarding tables, double-buffered under RCU, so a route change never shows a worker a
/// half-updated table.
///
/// Why two copies: rte_fib (DPDK 22.11) has no RCU of its own, and a delete may free a tbl8
/// group that a concurrent lookup is still reading, to be reused by the next add. So a change
/// is applied to the standby copy (no reader), the standby is published with a store-release,
/// the control thread waits for an RCU grace period (every worker has finished the bursts that
/// might hold the old copy), then applies the same change to the old copy. Workers read the
/// active index once per burst. The price is twice the table memory; the gain is that no
/// packet is ever looked up in a table being written.
///
/// Ownership: `update` runs on control threads only, serialised by `lock`. Workers only read
/// `active` (load-acquire) and the slot it names.
public final class ForwardingPlane: @unchecked Sendable {
    public let slots: UnsafeMutablePointer<PlaneSlot>
    public let active: UnsafeMutablePointer<UInt32>
    public let qsbr: QSBR
    public private(set) var table: ForwardingTable
    let lock = NSLock()
    /// Route changes applied since start, for the console.
    public private(set) var updates = 0

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
        slots = .allocate(capacity: 2)
        slots.initialize(from: made, count: 2)
        active = .allocate(capacity: 1)
        active.initialize(to: 0)
    }

    /// Two identical copies of the table, or none (what was made is freed on failure).
    static func makeSlots(table: ForwardingTable, fib: FIBConfig, socket: Int32) throws -> [PlaneSlot] {
        var made: [PlaneSlot] = []
        var pending: [() -> Void] = []
        do {
            for copy in 0..<2 {
                let v4 = try IPv4FIB(name: "swiftfwd_v4_\(copy)", socket: socket, maxRoutes: fib.ipv4MaxRoutes,
                                     tbl8Groups: fib.ipv4Tbl8Groups, defaultNextHop: UInt64(Adjacency.noRouteIndex))
                pending.append { v4.free() }
                let v6 = try IPv6FIB(name: "swiftfwd_v6_\(copy)", socket: socket, maxRoutes: fib.ipv6MaxRoutes,
                                     tbl8Groups: fib.ipv6Tbl8Groups, defaultNextHop: UInt64(Adjacency.noRouteIndex))
                pending.append { v6.free() }
                for (prefix, nextHop) in table.ipv4Routes { try v4.add(prefix, nextHop: UInt64(nextHop)) }
                for (prefix, nextHop) in table.ipv6Routes { try v6.add(prefix, nextHop: UInt64(nextHop)) }
                made.append(PlaneSlot(ipv4: v4, ipv6: v6, adjacencies: Self.copy(table.adjacencies), adjacencyCount: table.adjacencies.count))
                pending.removeAll()
            }
        } catch {
            for free in pending { free() }
            for slot in made { Self.release(slot) }
            throw error
        }
        return made
    }

    deinit {
        for i in 0..<2 { Self.release(slots[i]) }
        slots.deallocate()
        active.deallocate()
        qsbr.free()
    }

    public var lookupKinds: String { "\(slots[0].ipv4.lookupKind), \(slots[0].ipv6.lookupKind)" }

    /// Makes a change to the table and to both FIB copies, as described above. If `change`
    /// throws, or a FIB refuses an entry (full), nothing changes and the error is rethrown.
    public func update(_ change: (inout ForwardingTable) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        var next = table
        try change(&next)
        let adjacenciesChanged = next.adjacenciesChanged
        let changes = next.takeChanges()
        if changes.isEmpty && !adjacenciesChanged {
            table = next
            return
        }
        let current = Int(SharedMemory.loadAcquire(active))
        let standby = 1 - current
        try apply(changes, adjacencies: next.adjacencies, to: standby)
        SharedMemory.storeRelease(active, UInt32(standby))
        qsbr.synchronize()
        // The old copy had the same content and capacity as the standby had: the same changes
        // fit. Should it still refuse, the active copy is right and the old one is rebuilt at
        // the next change that reaches it; report it.
        try apply(changes, adjacencies: next.adjacencies, to: current)
        table = next
        updates += 1
    }

    /// Reads the control-plane table under the same lock as `update`, for threads other than
    /// the one that changes it (the kernel mirror looks next hops up in it).
    public func read<T>(_ body: (ForwardingTable) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(table)
    }

    /// Applies changes to one (unread) slot; on failure undoes what it did and rethrows.
    func apply(_ changes: [ForwardingTable.FIBChange], adjacencies: [Adjacency], to index: Int) throws {
        var done: [ForwardingTable.FIBChange] = []
        do {
            for change in changes {
                try write(change.prefix, change.nextHop, into: index)
                done.append(change)
            }
        } catch {
            for change in done.reversed() { try? write(change.prefix, change.previous, into: index) }
            throw error
        }
        let old = slots[index].adjacencies
        slots[index].adjacencies = Self.copy(adjacencies)
        slots[index].adjacencyCount = adjacencies.count
        old.deallocate()
    }

    func write(_ prefix: IPPrefix, _ nextHop: UInt32?, into index: Int) throws {
        switch (prefix, nextHop) {
        case (.v4(let p), .some(let nh)): try slots[index].ipv4.add(p, nextHop: UInt64(nh))
        case (.v4(let p), .none): try slots[index].ipv4.delete(p)
        case (.v6(let p), .some(let nh)): try slots[index].ipv6.add(p, nextHop: UInt64(nh))
        case (.v6(let p), .none): try slots[index].ipv6.delete(p)
        }
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
