import NIOConcurrencyHelpers

// Rates and `clear counters`, computed by the console from samples of the workers' totals.
// Workers' counters are never written by the control plane (GUIDE rule 5): clearing records a
// baseline that later readings are shown relative to, and a rate is the difference between
// the current reading and one taken about a second earlier by the console's 1 s sampler.

/// Shared by every session of one console: the recent samples and the clear baseline.
public final class StatsHistory: @unchecked Sendable {
    private let lock = NIOLock()
    private var samples: [StatsSample] = []        // oldest first; guarded by lock
    private var baseline: StatsSample?             // guarded by lock
    /// How many samples are kept: a few seconds' worth is enough to find one ~1 s old.
    private let capacity = 4

    public init() {}

    /// Called by the sampler once a second.
    public func record(_ sample: StatsSample) {
        lock.withLock {
            samples.append(sample)
            if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        }
    }

    /// `clear counters`: from now on counters are shown relative to `sample`.
    public func clear(at sample: StatsSample) {
        lock.withLock { baseline = sample }
    }

    /// The view of `now` with rates over the last interval and the baseline subtracted.
    public func view(now: StatsSample) -> CounterView {
        lock.withLock {
            CounterView(now: now, reference: Self.reference(for: now, in: samples), baseline: baseline)
        }
    }

    /// The newest sample at least half a second older than `now` (the sampler runs every
    /// second, so this is normally one to two seconds old); failing that the oldest one that is
    /// older at all, so the first second after start still shows a rate.
    static func reference(for now: StatsSample, in samples: [StatsSample]) -> StatsSample? {
        if let s = samples.last(where: { now.monotonicSeconds - $0.monotonicSeconds >= 0.5 }) { return s }
        return samples.first(where: { now.monotonicSeconds - $0.monotonicSeconds > 0.01 })
    }
}

/// Rates of one port over the last interval.
public struct InterfaceRates: Sendable {
    public var rxPacketsPerSecond: Double = 0
    public var rxBitsPerSecond: Double = 0
    public var txPacketsPerSecond: Double = 0
    public var txBitsPerSecond: Double = 0
}

/// One worker's figures over the last interval.
public struct WorkerRates: Sendable {
    /// Busy cycles over all cycles.
    public var busyFraction: Double = 0
    /// Busy cycles per received packet; nil when nothing was received.
    public var cyclesPerPacket: Double?
    public var mpps: Double = 0
}

/// One reading, with the counters since `clear counters` and the rates since the reference.
public struct CounterView: Sendable {
    public let now: StatsSample
    public let reference: StatsSample?
    public let baseline: StatsSample?

    /// Seconds between the reference and now; nil when there is no reference yet.
    public var interval: Double? {
        guard let reference else { return nil }
        let dt = now.monotonicSeconds - reference.monotonicSeconds
        return dt > 0 ? dt : nil
    }

    /// `a - b`, or `a` when the counter went backwards (a port reset restarts its counters).
    static func since(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a - b : a }

    public func counters(of port: InterfaceInfo) -> PortCounters {
        guard let base = baseline?.interfaces.first(where: { $0.name == port.name })?.counters else { return port.counters }
        return Self.subtract(port.counters, base)
    }

    static func subtract(_ c: PortCounters, _ b: PortCounters) -> PortCounters {
        PortCounters(rxPackets: since(c.rxPackets, b.rxPackets), rxBytes: since(c.rxBytes, b.rxBytes),
                     txPackets: since(c.txPackets, b.txPackets), txBytes: since(c.txBytes, b.txBytes),
                     hwRxPackets: since(c.hwRxPackets, b.hwRxPackets), hwTxPackets: since(c.hwTxPackets, b.hwTxPackets),
                     hwRxBytes: since(c.hwRxBytes, b.hwRxBytes), hwTxBytes: since(c.hwTxBytes, b.hwTxBytes),
                     imissed: since(c.imissed, b.imissed), ierrors: since(c.ierrors, b.ierrors),
                     oerrors: since(c.oerrors, b.oerrors), rxNoMbuf: since(c.rxNoMbuf, b.rxNoMbuf))
    }

    public func rates(of port: InterfaceInfo) -> InterfaceRates {
        guard let dt = interval, let old = reference?.interfaces.first(where: { $0.name == port.name })?.counters else {
            return InterfaceRates()
        }
        let d = Self.subtract(port.counters, old)
        return InterfaceRates(rxPacketsPerSecond: Double(d.rxPackets) / dt, rxBitsPerSecond: Double(d.rxBytes) * 8 / dt,
                              txPacketsPerSecond: Double(d.txPackets) / dt, txBitsPerSecond: Double(d.txBytes) * 8 / dt)
    }

    public func counters(of worker: WorkerInfo) -> WorkerInfo {
        guard let base = baseline?.workers.first(where: { $0.core == worker.core }) else { return worker }
        var w = worker
        w.rxPackets = Self.since(w.rxPackets, base.rxPackets)
        w.txPackets = Self.since(w.txPackets, base.txPackets)
        w.drops = Self.since(w.drops, base.drops)
        w.busyCycles = Self.since(w.busyCycles, base.busyCycles)
        w.idleCycles = Self.since(w.idleCycles, base.idleCycles)
        w.ipv4Fragmented = Self.since(w.ipv4Fragmented, base.ipv4Fragmented)
        w.ipv4Fragments = Self.since(w.ipv4Fragments, base.ipv4Fragments)
        return w
    }

    public func rates(of worker: WorkerInfo) -> WorkerRates {
        guard let dt = interval, let old = reference?.workers.first(where: { $0.core == worker.core }) else { return WorkerRates() }
        let busy = Self.since(worker.busyCycles, old.busyCycles)
        let idle = Self.since(worker.idleCycles, old.idleCycles)
        let rx = Self.since(worker.rxPackets, old.rxPackets)
        var r = WorkerRates()
        r.busyFraction = busy + idle == 0 ? 0 : Double(busy) / Double(busy + idle)
        r.cyclesPerPacket = rx == 0 ? nil : Double(busy) / Double(rx)
        r.mpps = Double(rx) / dt / 1e6
        return r
    }

    /// A ring's totals since `clear counters` (its size and occupancy are as they are now).
    public func counters(of ring: RingInfo) -> RingInfo {
        guard let base = baseline?.rings.first(where: { $0.name == ring.name }) else { return ring }
        var r = ring
        r.enqueued = Self.since(r.enqueued, base.enqueued)
        r.dequeued = Self.since(r.dequeued, base.dequeued)
        r.dropped = Self.since(r.dropped, base.dropped)
        return r
    }

    /// Every drop reason with its per-worker counts since `clear counters`.
    public var drops: [DropCount] {
        now.drops.map { drop in
            guard let base = baseline?.drops.first(where: { $0.name == drop.name }) else { return drop }
            var d = drop
            d.perWorker = drop.perWorker.enumerated().map { i, v in i < base.perWorker.count ? Self.since(v, base.perWorker[i]) : v }
            return d
        }
    }
}
