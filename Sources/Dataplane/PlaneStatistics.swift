import Forwarding
import Packet

/// What the forwarding plane has done since start: how changes were batched and what the
/// grace periods cost. Read under the plane's lock (`ForwardingPlane.statistics`).
public struct PlaneStatistics: Sendable {
    /// Changes applied and refused.
    public var changes = 0
    public var refused = 0
    /// Batches that changed the tables, each published once with one grace period.
    public var publishes = 0
    /// FIB entries written to the old copy after the grace periods (net per batch).
    public var fibWrites = 0
    /// Time spent waiting for grace periods, and the longest one.
    public var graceNanos: UInt64 = 0
    public var maxGraceNanos: UInt64 = 0
    /// Time spent in batches that published, from the lock to the last write.
    public var batchNanos: UInt64 = 0
    public var largestBatch = 0
    /// Replays the old copy refused (it was then rebuilt); 0 unless something is badly wrong.
    public var replayFailures = 0
}

/// One table copy as `ForwardingTable.applyBatch` writes it: rte_fib for IPv4, rte_fib6 for
/// IPv6. Only for a copy no worker reads.
struct SlotWriter: FIBWriter {
    let slot: UnsafeMutablePointer<PlaneSlot>

    mutating func write(_ prefix: IPPrefix, nextHop: UInt32?) throws {
        switch (prefix, nextHop) {
        case (.v4(let p), .some(let nh)): try slot.pointee.ipv4.add(p, nextHop: UInt64(nh))
        case (.v4(let p), .none): try slot.pointee.ipv4.delete(p)
        case (.v6(let p), .some(let nh)): try slot.pointee.ipv6.add(p, nextHop: UInt64(nh))
        case (.v6(let p), .none): try slot.pointee.ipv6.delete(p)
        }
    }
}
