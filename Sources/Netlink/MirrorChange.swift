/// One change to what the mirror shows. Routes are per prefix: the route the kernel prefers
/// for it (see `MirrorState`), so a consumer with one FIB entry per prefix can apply them as
/// they come. Neighbors are per (interface, address).
public enum MirrorChange: Hashable, Sendable, CustomStringConvertible {
    case routeAdded(KernelRoute)
    case routeReplaced(old: KernelRoute, new: KernelRoute)
    case routeDeleted(KernelRoute)
    case neighborAdded(KernelNeighbor)
    /// The neighbor's link-layer address changed. Changes of NUD state alone (REACHABLE to
    /// STALE and back, every few seconds) are not reported: the fast path needs the MAC only.
    case neighborReplaced(old: KernelNeighbor, new: KernelNeighbor)
    case neighborDeleted(KernelNeighbor)
    /// A mirrored interface appeared or one of its properties changed.
    case linkChanged(KernelLink)
    case linkDeleted(KernelLink)
    case addressAdded(KernelAddress)
    case addressDeleted(KernelAddress)

    public var description: String {
        switch self {
        case .routeAdded(let r): return "route add \(r)"
        case .routeReplaced(_, let r): return "route replace \(r)"
        case .routeDeleted(let r): return "route del \(r)"
        case .neighborAdded(let n): return "neighbor add \(n)"
        case .neighborReplaced(_, let n): return "neighbor replace \(n)"
        case .neighborDeleted(let n): return "neighbor del \(n)"
        case .linkChanged(let l): return "link \(l)"
        case .linkDeleted(let l): return "link del \(l)"
        case .addressAdded(let a): return "address add \(a)"
        case .addressDeleted(let a): return "address del \(a)"
        }
    }
}

/// A change and the CLOCK_MONOTONIC time (`monotonicNanoseconds()`) at which the datagram
/// that caused it was received, or the dump that found it ended. The consumer subtracts it
/// from the time the change takes effect in the fast path to measure the mirror's lag.
public struct TimedChange: Hashable, Sendable {
    public var change: MirrorChange
    public var receivedAt: UInt64

    public init(change: MirrorChange, receivedAt: UInt64) {
        self.change = change
        self.receivedAt = receivedAt
    }
}

/// What one call to the mirror produced.
public struct MirrorBatch: Sendable {
    public var changes: [TimedChange] = []
    /// Full dumps done during this call (after an overrun, a twin going down, ...).
    public var resyncs = 0
    /// Messages skipped during this call because they were malformed.
    public var malformed: [NetlinkDecodeError] = []
    /// Why the call stopped early, if it did: the changes above were made and are valid; a
    /// dump that failed is tried again on the next call.
    public var failure: NetlinkError?

    public init() {}
}

/// Counters since the mirror was created.
public struct MirrorStatistics: Sendable {
    /// Notifications read from the event socket.
    public var messages = 0
    public var malformed = 0
    /// ENOBUFS (or a truncated datagram) on the event socket: notifications were lost.
    public var overruns = 0
    /// Full dumps after the initial one, whatever the cause.
    public var resyncs = 0
    /// Calls to `poll` that stopped on an error (see `MirrorBatch.failure`).
    public var failures = 0
    /// Dumps the kernel flagged interrupted on every attempt (see `Dump.interrupted`).
    public var interruptedDumps = 0
    /// Routes and neighbors currently mirrored (after the table and interface filters).
    public var routes = 0
    public var neighbors = 0
    /// How long the last full dump took, and how many routes it read (all tables, both
    /// families, before filtering).
    public var lastDumpNanoseconds: UInt64 = 0
    public var lastDumpRoutes = 0

    public init() {}
}
