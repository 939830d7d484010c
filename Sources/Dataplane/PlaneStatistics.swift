import DPDK
import Forwarding
import Glibc
import Packet

/// What the forwarding plane has done since start: how changes were batched and what the
/// grace periods cost. Read under the plane's lock (`ForwardingPlane.statistics`).
public struct PlaneStatistics: Sendable {
    /// Changes applied and refused.
    public var changes = 0
    public var refused = 0
    /// Batches that changed the tables, each published once with one grace period.
    public var publishes = 0
    /// FIB writes per copy (each is made to both copies).
    public var fibWrites = 0
    /// Time spent waiting for grace periods, and the longest one.
    public var graceNanos: UInt64 = 0
    public var maxGraceNanos: UInt64 = 0
    /// Time spent in batches that published, from the lock to the last write.
    public var batchNanos: UInt64 = 0
    /// CPU time of the control thread in those batches, grace periods left out: what the
    /// changes cost, however busy the machine was.
    public var cpuNanos: UInt64 = 0
    public var largestBatch = 0
    /// Replays whose outcome differed on the old copy (it was then rebuilt); 0 unless rte_fib
    /// behaves differently on two copies given the same writes.
    public var replayFailures = 0

    /// One line for the log at exit.
    public var summary: String {
        let average = publishes > 0 ? graceNanos / UInt64(publishes) / 1000 : 0
        var text = "route changes: \(changes) applied, \(refused) refused, in \(publishes) updates (largest batch \(largestBatch)); "
        text += "grace periods: average \(average) us, longest \(maxGraceNanos / 1000) us; \(batchNanos / 1_000_000) ms in updates, "
        text += "\(cpuNanos / 1_000_000) ms of CPU besides the grace periods"
        if cpuNanos > 0 { text += " (\(UInt64(changes) * 1_000_000_000 / cpuNanos) changes per CPU second)" }
        if replayFailures > 0 { text += "; \(replayFailures) table copies rebuilt after a failed replay" }
        return text
    }
}

/// One table copy as `ForwardingTable.applyBatch` writes it: rte_fib for IPv4, rte_fib6 for
/// IPv6. Only for a copy no worker reads.
struct SlotWriter: FIBWriter {
    let slot: UnsafeMutablePointer<PlaneSlot>

    mutating func write(_ prefix: IPPrefix, nextHop: UInt32?) throws {
        do {
            switch (prefix, nextHop) {
            case (.v4(let p), .some(let nh)): try slot.pointee.ipv4.add(p, nextHop: UInt64(nh))
            case (.v4(let p), .none): try slot.pointee.ipv4.delete(p)
            case (.v6(let p), .some(let nh)): try slot.pointee.ipv6.add(p, nextHop: UInt64(nh))
            case (.v6(let p), .none): try slot.pointee.ipv6.delete(p)
            }
        } catch let error as DPDKError where error.code == ENOSPC {
            throw TableFull(prefix: prefix, error: error)
        }
    }
}

/// A FIB out of room, with the config keys that size it.
struct TableFull: Error, CustomStringConvertible {
    let prefix: IPPrefix
    let error: DPDKError

    var description: String {
        let keys = prefix.familyName == "IPv4" ? "fib.ipv4_max_routes, fib.ipv4_tbl8_groups" : "fib.ipv6_max_routes, fib.ipv6_tbl8_groups"
        return "the \(prefix.familyName) table is full (\(keys)): \(error)"
    }
}

/// How full the tbl8 pools of the copy workers read are (both copies hold the same).
public struct TableRoom: Sendable {
    public var ipv4Reserved: Int, ipv4Groups: Int, ipv6Reserved: Int, ipv6Groups: Int
}
