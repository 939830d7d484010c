import DPDK
import Forwarding

/// One worker's counters, in a cache-line aligned block of its own.
///
/// Ownership (GUIDE rule 5): only the worker writes this block, with plain increments, no
/// atomics. The control thread reads it with relaxed 64-bit loads (`snapshot`), which on
/// x86-64 never tear; it never writes it. "Clear counters" is a baseline the reader keeps.
///
/// Layout, in UInt64 slots: the fixed slots below, then one per DropReason, then four per port
/// (rx packets, rx bytes, tx packets, tx bytes), then, in pipeline mode, three per ring the core
/// touches (enqueued, dequeued, dropped): a receive core has one ring per worker and writes
/// only enqueued and dropped; a worker has one per receive core and writes only dequeued.
/// The same block serves receive cores: rxPackets counts what they received, txPackets what
/// they handed to workers.
public struct WorkerCounters {
    // Computed properties, not stored statics: those are initialised through swift_once, a
    // runtime call on every access from the hot path (found by test_hot_path_profile.py).
    public static var rxPackets: Int { 0 }
    public static var txPackets: Int { 1 }
    public static var busyCycles: Int { 2 }
    public static var idleCycles: Int { 3 }
    public static var busyPolls: Int { 4 }
    /// ICMP errors sent, and those the rate limit held back.
    public static var icmpErrorsSent: Int { 5 }
    public static var icmpErrorsRateLimited: Int { 6 }
    /// Kernel control plane: packets handed to the punt ring, per PuntClass; packets the
    /// class's policer dropped, per PuntClass; punts the full ring refused; packets the kernel
    /// sent that this worker queued for transmit (from its inject rings).
    public static var puntedBase: Int { 7 }
    public static var policedBase: Int { 11 }
    public static var puntRingFull: Int { 15 }
    public static var injected: Int { 16 }
    /// IPv4 fragmentation: packets split (each counted once), and the fragments they became.
    public static var ipv4Fragmented: Int { 17 }
    public static var ipv4Fragments: Int { 18 }
    /// ICMP errors that were due (token taken) but not sent because the mbuf pool was empty.
    public static var icmpErrorsNoMbuf: Int { 19 }
    public static var fixedSlots: Int { 20 }
    public static var dropBase: Int { fixedSlots }
    public static var portBase: Int { dropBase + DropReason.count }
    public static var slotsPerPort: Int { 4 }

    public static var slotsPerRing: Int { 3 }

    public let base: UnsafeMutablePointer<UInt64>
    public let portCount: Int
    public let ringCount: Int

    public static func slotCount(ports: Int, rings: Int = 0) -> Int { portBase + slotsPerPort * ports + slotsPerRing * rings }

    /// The first slot of ring `ring` (enqueued; dequeued and dropped follow).
    @inlinable @inline(__always)
    public func ringSlot(_ ring: Int) -> Int { WorkerCounters.portBase &+ WorkerCounters.slotsPerPort &* portCount &+ WorkerCounters.slotsPerRing &* ring }

    /// Allocates a zeroed block rounded up to whole cache lines, so no two workers' counters
    /// share a line (false sharing would cost every increment a cache miss).
    public static func allocate(ports: Int, rings: Int = 0) -> WorkerCounters {
        let bytes = (slotCount(ports: ports, rings: rings) * 8 + 63) / 64 * 64
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return WorkerCounters(base: raw.bindMemory(to: UInt64.self, capacity: bytes / 8), portCount: ports, ringCount: rings)
    }

    public func deallocate() { UnsafeMutableRawPointer(base).deallocate() }

    @inlinable @inline(__always)
    public func add(_ slot: Int, _ value: UInt64) { base[slot] &+= value }

    @inlinable @inline(__always)
    public func countDrop(_ reason: DropReason) { base[WorkerCounters.dropBase &+ Int(reason.rawValue)] &+= 1 }

    @inlinable @inline(__always)
    public func addPortRx(_ port: Int, packets: UInt64, bytes: UInt64) {
        let slot = WorkerCounters.portBase &+ port &* WorkerCounters.slotsPerPort
        base[slot] &+= packets
        base[slot &+ 1] &+= bytes
    }

    @inlinable @inline(__always)
    public func addPortTx(_ port: Int, packets: UInt64, bytes: UInt64) {
        let slot = WorkerCounters.portBase &+ port &* WorkerCounters.slotsPerPort &+ 2
        base[slot] &+= packets
        base[slot &+ 1] &+= bytes
    }

    /// A consistent-enough copy for the control thread (each value is read atomically; the set
    /// is not a single instant, which is fine for counters).
    public func snapshot() -> [UInt64] {
        (0..<WorkerCounters.slotCount(ports: portCount, rings: ringCount)).map { SharedMemory.loadRelaxed(base + $0) }
    }
}
