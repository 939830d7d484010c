// Readers for the sections made only of scalars: eal, mempool, fib and log. Each starts from
// the documented defaults (the types' initialisers) and overrides what the file gives. Ranges
// are the ones in docs/config.md; checks that involve other sections are in ConfigValidation.

/// Cores are lcore ids; DPDK 22.11 is built with RTE_MAX_LCORE 128 on Debian.
let coreRange = 0...127

extension EALConfig {
    static let keys = ["main_core", "worker_cores", "memory_mb", "hugepages", "file_prefix", "max_simd_bitwidth", "extra_args"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of EAL settings")
        if let v = m.optional("main_core") { mainCore = try v.int(coreRange) }
        if let v = m.optional("worker_cores") {
            let list = try v.list(what: "a list of worker core numbers such as [1, 2]")
            guard !list.isEmpty else { throw v.error("expected a list of at least one worker core, found an empty list") }
            workerCores = try list.map { try $0.int(coreRange) }
        }
        if let v = m.optional("memory_mb") { memoryMB = try v.int(64...65536) }
        if let v = m.optional("hugepages") {
            switch try v.keyword(["auto", "true", "false"]) {
            case "true": hugepages = .on
            case "false": hugepages = .off
            default: hugepages = .auto
            }
        }
        if let v = m.optional("file_prefix") {
            let text = try v.string(what: "a file prefix such as swiftfwd")
            // It names directories under /var/run/dpdk, so path separators and spaces are refused.
            guard text.count <= 64, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }),
                  !text.hasPrefix(".") else {
                throw v.error("expected a file prefix of 1 to 64 letters, digits, '_', '-' or '.', found \(v.found)")
            }
            filePrefix = text
        }
        if let v = m.optional("max_simd_bitwidth") {
            let bits = try v.int(128...512)
            guard [128, 256, 512].contains(bits) else { throw v.error("expected 128, 256 or 512, found \(bits)") }
            maxSIMDBitwidth = bits
        }
        if let v = m.optional("extra_args") {
            extraArgs = try v.list(what: "a list of EAL arguments").map { try $0.string(what: "an EAL argument") }
        }
    }
}

extension MempoolConfig {
    static let keys = ["mbufs", "cache_size", "data_room"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of mempool settings")
        if let v = m.optional("mbufs") {
            if case .scalar(let s) = v.node, s.string == "auto", s.style == .plain {
                mbufs = nil
            } else {
                let range = 1024...16_777_216
                guard case .scalar(let s) = v.node, !v.isNull, ConfigValue.parseInteger(s.string) != nil, s.style == .plain else {
                    throw v.error("expected auto or an integer between \(range.lowerBound) and \(range.upperBound), found \(v.foundForPlainScalar)")
                }
                mbufs = try v.int(range)
            }
        }
        // DPDK refuses a per-lcore cache larger than RTE_MEMPOOL_CACHE_MAX_SIZE (512).
        if let v = m.optional("cache_size") { cacheSize = try v.int(0...512) }
        if let v = m.optional("data_room") { dataRoom = try v.int(1024...65535) }
    }
}

extension FIBConfig {
    static let keys = ["ipv4_max_routes", "ipv4_tbl8_groups", "ipv6_max_routes", "ipv6_tbl8_groups"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of FIB sizes")
        if let v = m.optional("ipv4_max_routes") { ipv4MaxRoutes = try v.int(16...16_777_216) }
        if let v = m.optional("ipv4_tbl8_groups") { ipv4Tbl8Groups = try v.int(16...8_388_608) }
        if let v = m.optional("ipv6_max_routes") { ipv6MaxRoutes = try v.int(16...16_777_216) }
        if let v = m.optional("ipv6_tbl8_groups") { ipv6Tbl8Groups = try v.int(16...8_388_608) }
    }
}

extension LogConfig {
    static let keys = ["level"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of log settings")
        if let v = m.optional("level") { level = try v.keyword(Self.levels) }
    }
}
