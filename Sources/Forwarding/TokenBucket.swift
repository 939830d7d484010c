/// A token bucket kept as one number, in the form of the generic cell rate algorithm: `due` is
/// the time at which the bucket would be full again. A packet conforms when `now` is no earlier
/// than `due` minus the burst allowance; each conforming packet moves `due` on by the cost of
/// one token. Integers only, no division per packet, one word of state: cheap enough for a
/// worker to police every punted packet and every ICMP error it sends.
///
/// Time is in the caller's unit (TSC cycles in the data plane, anything monotonic in tests).
/// Each bucket is owned by one thread; a worker's buckets are its own, so the aggregate limit
/// of a class is its rate times the number of workers (docs/architecture.md says so).
public struct TokenBucket: Sendable, Equatable {
    /// Time units per token; 0 when the rate is unlimited.
    public let interval: UInt64
    /// How far `due` may run ahead of now for a packet to pass: `burst - 1` tokens' worth, so a
    /// full bucket passes exactly `burst` packets at one instant.
    public let allowance: UInt64
    /// A rate of 0 passes nothing: the class is closed.
    public let closed: Bool
    @usableFromInline var due: UInt64 = 0

    /// `rate` tokens per second, at most `burst` (at least 1) saved up, with `ticksPerSecond`
    /// time units per second.
    public init(rate: UInt64, burst: UInt64, ticksPerSecond: UInt64) {
        closed = rate == 0
        interval = rate == 0 ? 0 : max(1, ticksPerSecond / rate)
        allowance = interval &* (max(1, burst) &- 1)
    }

    /// Takes one token if there is one. `now` must not go backwards.
    @inlinable
    public mutating func take(now: UInt64) -> Bool {
        if closed { return false }
        // A bucket idle for long is full, not fuller: credit is capped at the allowance.
        let start = due > now ? due : now
        guard start &- now <= allowance else { return false }
        due = start &+ interval
        return true
    }
}
