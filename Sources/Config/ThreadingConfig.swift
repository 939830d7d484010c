// The `threading` section: how the data-plane cores share the work (docs/config.md).
//
//   run-to-completion  every worker core polls its RX queues and forwards what it receives
//   pipeline           receive cores (rx_cores) poll the RX queues and hand each packet, by a
//                      flow hash, over a ring to a worker core (eal.worker_cores), which
//                      forwards and transmits it
//
// `lcore_cpus` maps EAL lcores onto CPUs (EAL --lcores), so more polling lcores than CPUs can
// run, for functional tests on small machines.

public enum ThreadingMode: String, Sendable, CaseIterable {
    case runToCompletion = "run-to-completion"
    case pipeline
}

public struct ThreadingConfig: Sendable {
    public var mode: ThreadingMode
    /// Pipeline mode only: the cores that poll the RX queues.
    public var rxCores: [Int]
    /// Slots of each (receive core, worker) ring; a power of two.
    public var ringSize: Int
    /// The most packets one enqueue or dequeue moves.
    public var ringBurst: Int
    /// lcore -> CPU. Empty: each lcore runs on the CPU of the same number (EAL -l).
    public var lcoreCPUs: [Int: Int]

    public static let ringSizeRange = 32...65536
    public static let ringBurstRange = 1...32
    /// The first CPU number sched_setaffinity's default set (CPU_SETSIZE) cannot hold.
    public static let cpuRange = 0...1023

    public init(mode: ThreadingMode = .runToCompletion, rxCores: [Int] = [], ringSize: Int = 1024, ringBurst: Int = 32,
                lcoreCPUs: [Int: Int] = [:]) {
        self.mode = mode
        self.rxCores = rxCores
        self.ringSize = ringSize
        self.ringBurst = ringBurst
        self.lcoreCPUs = lcoreCPUs
    }
}

extension SwiftfwdConfig {
    /// The cores that poll RX queues: the workers in run-to-completion, the receive cores in
    /// pipeline mode. `queue_map` names these.
    public var pollingCores: [Int] { threading.mode == .pipeline ? threading.rxCores : eal.workerCores }

    /// Every lcore EAL must start, main core first.
    public var allCores: [Int] { [eal.mainCore] + eal.workerCores + (threading.mode == .pipeline ? threading.rxCores : []) }
}

extension ThreadingConfig {
    static let keys = ["mode", "rx_cores", "ring_size", "ring_burst", "lcore_cpus"]

    /// Reads the section and checks it against `eal`: every core has one role.
    init(from value: ConfigValue?, eal: EALConfig, sources: SourceMap) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of threading settings")
        if let v = m.optional("mode") {
            mode = ThreadingMode(rawValue: try v.keyword(ThreadingMode.allCases.map(\.rawValue)))!
        }
        if let v = m.optional("ring_size") {
            let size = try v.int(Self.ringSizeRange)
            // rte_ring indexes its slots with a mask, so its size is a power of two.
            guard size & (size - 1) == 0 else {
                throw v.error("expected a power of two between \(Self.ringSizeRange.lowerBound) and \(Self.ringSizeRange.upperBound), found \(size)")
            }
            ringSize = size
        }
        if let v = m.optional("ring_burst") { ringBurst = try v.int(Self.ringBurstRange) }
        switch (mode, m.optional("rx_cores")) {
        case (.runToCompletion, let v?):
            throw v.error("receive cores exist only in pipeline mode (threading.mode is run-to-completion), so set threading.mode: pipeline or remove threading.rx_cores")
        case (.runToCompletion, nil):
            break
        case (.pipeline, let given):
            let v = try given ?? m.required("rx_cores", expecting: "a list of receive core numbers such as [2], since pipeline mode needs at least one")
            let list = try v.list(what: "a list of receive core numbers such as [2]")
            guard !list.isEmpty else { throw v.error("expected a list of at least one receive core, found an empty list") }
            guard list.count <= maxQueuesPerPort else {
                throw v.error("expected at most \(maxQueuesPerPort) receive cores, found \(list.count)")
            }
            rxCores = try list.map { try $0.int(coreRange) }
            try Self.checkRoles(rxCores, eal: eal, sources: sources)
        }
        if let v = m.optional("lcore_cpus") {
            lcoreCPUs = try Self.readCPUs(v)
        }
        try checkCPUs(eal: eal, sources: sources)
    }

    /// A receive core may be neither the main core nor a worker, nor listed twice.
    static func checkRoles(_ rxCores: [Int], eal: EALConfig, sources: SourceMap) throws {
        for (i, core) in rxCores.enumerated() {
            let path = "threading.rx_cores[\(i)]"
            if core == eal.mainCore {
                throw sources.error(at: path, "core \(core) is already the main core (eal.main_core), and a core can have only one role")
            }
            if let w = eal.workerCores.firstIndex(of: core) {
                if !sources.contains("eal.worker_cores") {
                    throw sources.error(at: path, "core \(core) is also the default worker core (eal.worker_cores defaults to [1]), so choose another receive core or set eal.worker_cores")
                }
                throw sources.error(at: path, "core \(core) is already a worker core (eal.worker_cores[\(w)]), and a core can have only one role")
            }
            if let first = rxCores[..<i].firstIndex(of: core) {
                throw sources.error(at: path, "core \(core) is already listed as threading.rx_cores[\(first)], and each receive core can be listed only once")
            }
        }
    }

    /// `{lcore: cpu, ...}`: keys are lcore numbers, values CPU numbers.
    static func readCPUs(_ value: ConfigValue) throws -> [Int: Int] {
        if value.isNull { return [:] }
        guard case .mapping(let mapping) = value.node else {
            throw value.error("expected a mapping of lcore to CPU such as {0: 0, 1: 1, 2: 1}, found \(value.found)")
        }
        var result: [Int: Int] = [:]
        for (keyNode, valueNode) in mapping {
            let key = ConfigValue(node: keyNode, path: value.path, position: SourcePosition(keyNode.mark), sources: value.sources)
            guard case .scalar(let s) = keyNode, let lcore = ConfigValue.parseInteger(s.string), s.style == .plain, coreRange.contains(lcore) else {
                throw key.error("expected an lcore number between \(coreRange.lowerBound) and \(coreRange.upperBound) as the key, found \(key.foundForPlainScalar)")
            }
            // Recorded at the key, so "lcore N is not in use" points at the N.
            value.sources.record("\(value.path).\(lcore)", SourcePosition(keyNode.mark))
            let cpu = ConfigValue(node: valueNode, path: "\(value.path).\(lcore)", position: SourcePosition(valueNode.mark), sources: value.sources)
            // 1 and 01 are different YAML keys but the same lcore.
            guard result[lcore] == nil else { throw key.error("lcore \(lcore) is given twice; give each lcore one CPU") }
            result[lcore] = try cpu.int(cpuRange)
        }
        return result
    }

    /// When a map is given, it names exactly the cores in use: EAL starts only the lcores it
    /// lists, and an lcore listed but unused would be a thread with nothing to do.
    func checkCPUs(eal: EALConfig, sources: SourceMap) throws {
        guard !lcoreCPUs.isEmpty else { return }
        var roles: [(core: Int, key: String)] = [(eal.mainCore, "eal.main_core")]
        roles += eal.workerCores.enumerated().map { ($0.element, "eal.worker_cores[\($0.offset)]") }
        if mode == .pipeline { roles += rxCores.enumerated().map { ($0.element, "threading.rx_cores[\($0.offset)]") } }
        let used = Set(roles.map(\.core))
        for lcore in lcoreCPUs.keys.sorted() where !used.contains(lcore) {
            let list = roles.map(\.core).sorted().map(String.init).joined(separator: ", ")
            throw sources.error(at: "threading.lcore_cpus.\(lcore)", "lcore \(lcore) is not a core in use; expected only the main, worker and receive cores (\(list))")
        }
        for role in roles where lcoreCPUs[role.core] == nil {
            throw sources.error(at: "threading.lcore_cpus", "core \(role.core) (\(role.key)) has no CPU, and when threading.lcore_cpus is given it must give one for every core in use")
        }
    }
}
