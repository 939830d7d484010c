/// `icmp_errors`: the ICMP and ICMPv6 errors the router sends about packets it drops (time
/// exceeded, destination unreachable, fragmentation needed / packet too big), rate-limited.
public struct ICMPErrorsConfig: Sendable, Equatable {
    /// false: drop silently (still counted under the drop reason).
    public var enabled: Bool
    /// Errors per second, per worker core (each worker has its own bucket: no shared state).
    public var rate: Int
    /// Errors that may go out at once after a quiet spell.
    public var burst: Int

    public init(enabled: Bool = true, rate: Int = 1000, burst: Int = 50) {
        self.enabled = enabled
        self.rate = rate
        self.burst = burst
    }

    static let keys = ["enabled", "rate", "burst"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of ICMP error settings (enabled, rate, burst)")
        if let v = m.optional("enabled") { enabled = try v.bool() }
        if let v = m.optional("rate") { rate = try v.int(0...1_000_000) }
        if let v = m.optional("burst") { burst = try v.int(1...100_000) }
    }
}
