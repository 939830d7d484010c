import Foundation

/// The kernel control plane as the console shows it (`show punt`, `show sync`): copies of the
/// forwarder's counters, totals since start (`clear counters` does not reach them).
public struct KernelStatus: Sendable {
    public struct PuntClassInfo: Sendable {
        public var name: String
        public var rate: Int, burst: Int
        public var punted: UInt64, policed: UInt64
        public init(name: String, rate: Int, burst: Int, punted: UInt64, policed: UInt64) {
            self.name = name; self.rate = rate; self.burst = burst; self.punted = punted; self.policed = policed
        }
    }
    public struct Twin: Sendable {
        public var port: String, interface: String
        public var toKernel: UInt64, toKernelDropped: UInt64, fromKernel: UInt64, fromKernelDropped: UInt64
        public init(port: String, interface: String, toKernel: UInt64, toKernelDropped: UInt64, fromKernel: UInt64, fromKernelDropped: UInt64) {
            self.port = port; self.interface = interface; self.toKernel = toKernel; self.toKernelDropped = toKernelDropped
            self.fromKernel = fromKernel; self.fromKernelDropped = fromKernelDropped
        }
    }
    public struct Sync: Sendable {
        public var routes = 0, neighbors = 0, resyncs = 0, overruns = 0, batches = 0, refused = 0, resolveRequests = 0
        public var lastLagMicroseconds: UInt64 = 0, maxLagMicroseconds: UInt64 = 0
        /// Changes read from the kernel and not applied yet, now and at most; the largest batch.
        public var queued = 0, maxQueued = 0, largestBatch = 0
        public init() {}
    }
    public var classes: [PuntClassInfo]
    public var ringFull: UInt64
    public var twins: [Twin]
    public var sync: Sync
    public init(classes: [PuntClassInfo], ringFull: UInt64, twins: [Twin], sync: Sync) {
        self.classes = classes; self.ringFull = ringFull; self.twins = twins; self.sync = sync
    }
}

extension ConsoleBackend {
    /// nil: the kernel control plane is off (a backend that has none need not implement it).
    public func kernel() -> KernelStatus? { nil }
}

extension Views {
    static let kernelOff = "the kernel control plane is off (kernel.enabled: false)\n"

    // MARK: show punt

    static func punt(_ status: KernelStatus?, json: Bool) -> String {
        guard let k = status else { return json ? JSON.text(["enabled": false]) : kernelOff }
        if json {
            return JSON.text([
                "enabled": true,
                "classes": k.classes.map { ["name": $0.name, "rate": $0.rate, "burst": $0.burst, "punted": $0.punted, "policed": $0.policed] as [String: Any] },
                "ring_full": k.ringFull,
                "twins": k.twins.map { ["port": $0.port, "interface": $0.interface, "to_kernel": $0.toKernel, "to_kernel_dropped": $0.toKernelDropped,
                                        "from_kernel": $0.fromKernel, "from_kernel_dropped": $0.fromKernelDropped] as [String: Any] },
            ] as [String: Any])
        }
        var classes = TextTable([("class", .left), ("rate/s", .right), ("burst", .right), ("punted", .right), ("policed", .right)])
        for c in k.classes { classes.add([c.name, "\(c.rate)", "\(c.burst)", "\(c.punted)", "\(c.policed)"]) }
        var twins = TextTable([("port", .left), ("twin", .left), ("to kernel", .right), ("dropped", .right), ("from kernel", .right), ("dropped", .right)])
        for t in k.twins { twins.add([t.port, t.interface, "\(t.toKernel)", "\(t.toKernelDropped)", "\(t.fromKernel)", "\(t.fromKernelDropped)"]) }
        return classes.render() + "punt rings full: \(k.ringFull) packets dropped (rates are per worker)\n\n" + twins.render()
    }

    // MARK: show sync

    static func sync(_ status: KernelStatus?, json: Bool) -> String {
        guard let k = status else { return json ? JSON.text(["enabled": false]) : kernelOff }
        let s = k.sync
        if json {
            return JSON.text([
                "enabled": true, "routes": s.routes, "neighbors": s.neighbors, "resyncs": s.resyncs, "overruns": s.overruns,
                "batches": s.batches, "refused": s.refused, "resolve_requests": s.resolveRequests,
                "last_lag_us": s.lastLagMicroseconds, "max_lag_us": s.maxLagMicroseconds,
                "queued": s.queued, "max_queued": s.maxQueued, "largest_batch": s.largestBatch,
            ] as [String: Any])
        }
        var block = KeyValueBlock()
        block.add("routes mirrored", "\(s.routes)")
        block.add("neighbors mirrored", "\(s.neighbors)")
        block.add("batches applied", "\(s.batches) (\(s.refused) changes refused by the fast path), largest \(s.largestBatch) changes")
        block.add("queued", "\(s.queued) changes read and not applied yet (at most \(s.maxQueued))")
        block.add("resyncs", "\(s.resyncs) (\(s.overruns) netlink overruns)")
        block.add("resolve requests", "\(s.resolveRequests)")
        block.add("lag", "last \(s.lastLagMicroseconds) us, max \(s.maxLagMicroseconds) us (netlink receipt to FIB updated)")
        return block.render()
    }
}
