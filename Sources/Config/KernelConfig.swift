import Forwarding

/// `kernel`: the control plane that stays in Linux. Each port gets a twin interface in the
/// kernel; what the fast path does not forward and the kernel should see (ARP, neighbor
/// discovery, traffic to the router, routing protocols) is punted to it through a policer, and
/// what the kernel sends out of a twin leaves through the port.
public struct KernelConfig: Sendable, Equatable {
    /// A token bucket: packets per second per worker, and the burst a full bucket passes.
    public struct Limit: Sendable, Equatable {
        public var rate: Int
        public var burst: Int
        public init(rate: Int, burst: Int) { self.rate = rate; self.burst = burst }
    }

    /// false: no twin interfaces; what would be punted is dropped and counted (`local`, ...).
    public var enabled: Bool
    /// Packets each worker's punt ring holds (a power of two); a full ring drops and counts.
    public var puntRingSize: Int
    /// Per punt class (`PuntClass.name`): the policer's limit.
    public var policer: [PuntClass: Limit]
    /// The kernel routing table whose routes through the twins are mirrored (254: main).
    public var table: Int = 254

    public init(enabled: Bool = false, puntRingSize: Int = 1024, policer: [PuntClass: Limit] = KernelConfig.defaultPolicer) {
        self.enabled = enabled
        self.puntRingSize = puntRingSize
        self.policer = policer
    }

    /// SONiC's control-plane policing as the starting point (see PuntClass).
    public static var defaultPolicer: [PuntClass: Limit] {
        Dictionary(uniqueKeysWithValues: PuntClass.allCases.map {
            ($0, Limit(rate: Int($0.defaultRate), burst: Int($0.defaultBurst)))
        })
    }

    static let keys = ["enabled", "punt_ring_size", "policer", "table"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of kernel control-plane settings (enabled, punt_ring_size, policer, table)")
        if let v = m.optional("enabled") { enabled = try v.bool() }
        if let v = m.optional("punt_ring_size") {
            let size = try v.int(64...65536)
            guard size & (size - 1) == 0 else { throw v.error("expected a power of two between 64 and 65536, found \(size)") }
            puntRingSize = size
        }
        // Table ids are 32-bit; 0 is RT_TABLE_UNSPEC, 255 the local table (the router's own
        // addresses, not routes to mirror).
        if let v = m.optional("table") {
            let id = try v.int(1...Int(UInt32.max))
            guard id != 255 else { throw v.error("expected a routing table other than 255 (local, the kernel's own addresses), found 255") }
            table = id
        }
        if let v = m.optional("policer") {
            let classes = try v.mapping(keys: PuntClass.allCases.map(\.name),
                                        what: "a mapping of punt classes (\(PuntClass.allCases.map(\.name).joined(separator: ", "))) to {rate, burst}")
            for punt in PuntClass.allCases {
                guard let entry = classes.optional(punt.name) else { continue }
                let limit = try entry.mapping(keys: ["rate", "burst"], what: "a mapping with rate and burst")
                var result = policer[punt] ?? Limit(rate: Int(punt.defaultRate), burst: Int(punt.defaultBurst))
                if let r = limit.optional("rate") { result.rate = try r.int(0...10_000_000) }
                if let b = limit.optional("burst") { result.burst = try b.int(1...1_000_000) }
                policer[punt] = result
            }
        }
    }
}
