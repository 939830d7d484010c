import Config
import DPDK
import Forwarding
import Packet

/// One RX queue a worker polls.
public struct PolledQueue: Sendable {
    public var portIndex: Int
    public var portID: UInt16
    public var queue: UInt16
    public init(portIndex: Int, portID: UInt16, queue: UInt16) {
        self.portIndex = portIndex; self.portID = portID; self.queue = queue
    }
}

/// Everything a worker needs, built by the control thread before launch and never changed
/// while the worker runs. The worker copies it into its `Worker` struct on its own core.
/// In pipeline mode `queues` is empty and the worker reads `rings` instead (Worker+Pipeline).
public struct WorkerSetup {
    public var lcore: UInt32
    public var queues: [PolledQueue]
    /// This worker's TX queue on every port (worker index: each worker has its own).
    public var txQueue: UInt16
    public var portIDs: [UInt16]
    public var portMACs: [UInt64]
    /// The two table copies and the index of the one to read (see ForwardingPlane).
    public var slots: UnsafePointer<PlaneSlot>
    public var active: UnsafePointer<UInt32>
    public var qsbr: QSBR
    /// This worker's RCU reader id (its index).
    public var thread: UInt32
    public var counters: WorkerCounters
    /// Set to non-zero by the control thread to stop the worker.
    public var stop: UnsafePointer<UInt32>
    public var drainCycles: UInt64
    /// For ICMP errors: the pool to build them in, each port's identity, the rate limit.
    public var pool: OpaquePointer
    public var identities: [PortIdentity]
    public var icmpErrors: ICMPErrorsConfig
    /// Pipeline mode: one ring per receive core, in `threading.rx_cores` order.
    public var pipeline = false
    public var rings: [OpaquePointer] = []
    public var ringBurst = BurstPipeline.capacity
    /// Pipeline mode: the port index of each DPDK port id (mbuf->port), -1 where none.
    public var portIndexOfID: [Int] = []
    /// Kernel control plane (nil when off): this worker's punt ring, its policer buckets (one
    /// per PuntClass, in rawValue order), and the inject rings it drains with their ports.
    public var puntRing: OpaquePointer? = nil
    public var policer: [TokenBucket] = []
    public var injectRings: [OpaquePointer] = []
    public var injectPorts: [Int] = []
}

/// The poll loop of one worker. All state is in this struct, held in a local variable of the
/// worker thread and mutated in place: no class, no reference counting, no allocation after
/// `init` (GUIDE rule 4).
public struct Worker {
    let queues: UnsafeMutableBufferPointer<PolledQueue>
    let txQueue: UInt16
    let portIDs: UnsafeMutableBufferPointer<UInt16>
    let portMACs: UnsafeMutableBufferPointer<UInt64>
    let slots: UnsafePointer<PlaneSlot>
    let active: UnsafePointer<UInt32>
    let qsbr: QSBR
    let thread: UInt32
    let counters: WorkerCounters
    let stop: UnsafePointer<UInt32>
    let drainCycles: UInt64
    let rx: UnsafeMutablePointer<MbufPointer?>
    var pipeline: BurstPipeline
    let tx: UnsafeMutablePointer<TxBuffer>
    var icmp: ICMPResponder
    /// ICMP errors built during one burst, queued after it.
    let errors: UnsafeMutablePointer<MbufPointer?>
    /// IPv4 fragmentation of mtu_exceeded drops without DF (Worker+Fragment.swift).
    let fragmenter: IPv4Fragmenter
    let egress: EgressLookup
    // Pipeline mode only (empty otherwise); see Worker+Pipeline.swift.
    let rings: UnsafeMutableBufferPointer<OpaquePointer>
    let ringBurst: Int
    let portIndexOfID: UnsafeMutableBufferPointer<Int>
    // Kernel control plane; see KernelPath.swift. `puntRing` nil: nothing is punted.
    let puntRing: OpaquePointer?
    let buckets: UnsafeMutablePointer<TokenBucket>
    /// One burst's conforming punts, with their class and the drop reason they would count
    /// under should the ring refuse them.
    let punts: UnsafeMutablePointer<MbufPointer?>
    let puntClasses: UnsafeMutablePointer<PuntClass>
    let puntReasons: UnsafeMutablePointer<DropReason>
    let injectRings: UnsafeMutableBufferPointer<OpaquePointer>
    let injectPorts: UnsafeMutableBufferPointer<Int>
    /// Scratch for one burst taken from an inject ring.
    let injected: UnsafeMutablePointer<MbufPointer?>

    public init(_ setup: WorkerSetup) {
        queues = .allocate(capacity: setup.queues.count)
        _ = queues.initialize(from: setup.queues)
        txQueue = setup.txQueue
        portIDs = .allocate(capacity: setup.portIDs.count)
        _ = portIDs.initialize(from: setup.portIDs)
        portMACs = .allocate(capacity: setup.portMACs.count)
        _ = portMACs.initialize(from: setup.portMACs)
        slots = setup.slots
        active = setup.active
        qsbr = setup.qsbr
        thread = setup.thread
        counters = setup.counters
        stop = setup.stop
        drainCycles = setup.drainCycles
        rx = .allocate(capacity: BurstPipeline.capacity)
        rx.initialize(repeating: nil, count: BurstPipeline.capacity)
        pipeline = BurstPipeline(ports: setup.portIDs.count)
        tx = .allocate(capacity: setup.portIDs.count)
        for p in 0..<setup.portIDs.count { (tx + p).initialize(to: TxBuffer()) }
        icmp = ICMPResponder(enabled: setup.icmpErrors.enabled, rate: setup.icmpErrors.rate, burst: setup.icmpErrors.burst,
                             pool: setup.pool, ports: setup.identities, tscHz: EAL.tscHz)
        errors = .allocate(capacity: BurstPipeline.capacity)
        fragmenter = IPv4Fragmenter(pool: setup.pool)
        egress = EgressLookup()
        rings = .allocate(capacity: setup.rings.count)
        _ = rings.initialize(from: setup.rings)
        ringBurst = min(setup.ringBurst, BurstPipeline.capacity)
        portIndexOfID = .allocate(capacity: setup.portIndexOfID.count)
        _ = portIndexOfID.initialize(from: setup.portIndexOfID)
        puntRing = setup.policer.count == PuntClass.allCases.count ? setup.puntRing : nil
        buckets = .allocate(capacity: PuntClass.allCases.count)
        for c in 0..<PuntClass.allCases.count {
            (buckets + c).initialize(to: c < setup.policer.count ? setup.policer[c] : TokenBucket(rate: 0, burst: 1, ticksPerSecond: 1))
        }
        punts = .allocate(capacity: BurstPipeline.capacity)
        puntClasses = .allocate(capacity: BurstPipeline.capacity)
        puntClasses.initialize(repeating: .other, count: BurstPipeline.capacity)
        puntReasons = .allocate(capacity: BurstPipeline.capacity)
        puntReasons.initialize(repeating: .local, count: BurstPipeline.capacity)
        injectRings = .allocate(capacity: setup.injectRings.count)
        _ = injectRings.initialize(from: setup.injectRings)
        injectPorts = .allocate(capacity: setup.injectPorts.count)
        _ = injectPorts.initialize(from: setup.injectPorts)
        injected = .allocate(capacity: BurstPipeline.capacity)
    }

    public func deallocate() {
        for p in 0..<portIDs.count { tx[p].deallocate() }
        tx.deallocate()
        pipeline.deallocate()
        icmp.deallocate()
        errors.deallocate()
        fragmenter.deallocate()
        egress.deallocate()
        rx.deallocate()
        queues.deallocate()
        portIDs.deallocate()
        portMACs.deallocate()
        rings.deallocate()
        portIndexOfID.deallocate()
        buckets.deallocate()
        punts.deallocate()
        puntClasses.deallocate()
        puntReasons.deallocate()
        injectRings.deallocate()
        injectPorts.deallocate()
        injected.deallocate()
    }

    /// Polls until told to stop, then sends what is buffered and returns.
    public mutating func run() {
        qsbr.online(thread: thread)
        defer { qsbr.offline(thread: thread) }
        var lastDrain = readTSC()
        var previous = lastDrain
        while SharedMemory.loadAcquire(stop) == 0 {
            var received = 0
            for q in 0..<queues.count { received &+= poll(queues[q]) }
            for r in 0..<injectRings.count { received &+= drainInject(r) }
            let now = readTSC()
            // l3fwd-style accounting: a loop that moved packets is busy time, else idle.
            if received > 0 {
                counters.add(WorkerCounters.busyCycles, now &- previous)
                counters.add(WorkerCounters.busyPolls, 1)
            } else {
                counters.add(WorkerCounters.idleCycles, now &- previous)
            }
            previous = now
            if now &- lastDrain >= drainCycles {
                flushAll()
                lastDrain = now
            }
            // Holds no table reference past this point: the control thread may reuse the
            // copy it replaced once every worker has said so.
            qsbr.quiescent(thread: thread)
        }
        flushAll()
    }

    @inline(__always)
    mutating func poll(_ queue: PolledQueue) -> Int {
        let count = Burst.receive(port: queue.portID, queue: queue.queue, into: rx, capacity: UInt16(BurstPipeline.capacity))
        if count == 0 { return 0 }
        counters.add(WorkerCounters.rxPackets, UInt64(count))
        forward(rx, count: count, portIndex: queue.portIndex, countsPortRx: true)
        return count
    }

    /// Runs packets that all arrived on port `portIndex` through the pipeline, frees the drops
    /// and queues the rest for transmit: the burst processing both threading modes share. In
    /// pipeline mode the receive core has counted the port's RX already (`countsPortRx` false).
    @inline(__always)
    mutating func forward(_ packets: UnsafeMutablePointer<MbufPointer?>, count: Int, portIndex: Int, countsPortRx: Bool) {
        // The table copy is chosen once per burst (see ForwardingPlane). Kept as a pointer: a
        // PlaneSlot value holds the FIBs' lookup-kind strings, and a copy that reaches a call
        // the optimizer cannot see through retains them (test_hot_path_profile.py caught it).
        let slot = slots + Int(SharedMemory.loadAcquire(active))
        pipeline.run(MbufAccess.self, packets: packets, count: count, portMAC: portMACs[portIndex],
                     lookup: DPDKRouteLookup(ipv4: slot.pointee.ipv4, ipv6: slot.pointee.ipv6, prefetch: slot.pointee.prefetchIPv4),
                     adjacencies: slot.pointee.adjacencies, adjacencyCount: slot.pointee.adjacencyCount)
        if countsPortRx { counters.addPortRx(portIndex, packets: UInt64(count), bytes: pipeline.receivedBytes) }
        if pipeline.dropCount > 0 { handleDrops(port: portIndex, slot: slot) }
        for t in 0..<pipeline.touchedCount {
            let port = pipeline.touchedPorts[t]
            queueForTransmit(pipeline.transmit + port &* BurstPipeline.capacity, count: pipeline.transmitCount[port],
                             bytes: pipeline.transmitBytes[port], port: port)
        }
        pipeline.resetOutputs()
    }

    /// Counts and frees the burst's drops; those that deserve an ICMP error get one, sent back
    /// out of the port they came in on; IPv4 too big without DF is fragmented instead
    /// (Worker+Fragment.swift). With the kernel control plane on, the drops the kernel
    /// should see (PuntDecision) are policed per class and the conforming ones go to the punt
    /// ring instead of being freed, untouched, in one enqueue at the end.
    mutating func handleDrops(port: Int, slot: UnsafePointer<PlaneSlot>) {
        var errorCount = 0
        var errorBytes: UInt64 = 0
        var puntCount = 0
        var kept = 0
        let now = readTSC()
        for d in 0..<pipeline.dropCount {
            var reason = pipeline.dropReasons[d]
            let m = pipeline.dropped[d].unsafelyUnwrapped
            if puntRing != nil,
               let punt = PuntDecision.punt(reason, frame: Mbuf.data(m), length: Int(Mbuf.dataLength(m))) {
                if buckets[punt.rawValue].take(now: now) {
                    punts[puntCount] = m
                    puntClasses[puntCount] = punt
                    puntReasons[puntCount] = reason
                    puntCount &+= 1
                    continue
                }
                // Over the class's rate: dropped as it would be without a kernel, and counted.
                counters.add(WorkerCounters.policedBase &+ punt.rawValue, 1)
                counters.countDrop(reason)
                pipeline.dropped[kept] = m
                kept &+= 1
                continue
            }
            if reason == .mtuExceeded {
                guard let still = fragmentIfAllowed(m, slot: slot) else { continue }   // sent as fragments
                reason = still
            }
            counters.countDrop(reason)
            // Compacted in place (kept <= d): what is left at the front is freed below.
            pipeline.dropped[kept] = m
            kept &+= 1
            guard icmp.enabled && ICMPResponder.answers(reason) else { continue }
            switch icmp.respond(to: m, reason: reason, port: port, now: now, slot: slot) {
            case .send(let reply):
                errors[errorCount] = reply
                errorCount &+= 1
                errorBytes &+= UInt64(Mbuf.dataLength(reply))
            case .rateLimited:
                counters.add(WorkerCounters.icmpErrorsRateLimited, 1)
            case .noMbuf:
                counters.add(WorkerCounters.icmpErrorsNoMbuf, 1)
            case .none:
                break
            }
        }
        Mbuf.free(pipeline.dropped, count: kept)
        if puntCount > 0 { punt(puntCount) }
        if errorCount > 0 {
            counters.add(WorkerCounters.icmpErrorsSent, UInt64(errorCount))
            queueForTransmit(errors, count: errorCount, bytes: errorBytes, port: port)
        }
    }

    /// Enqueues the burst's conforming punts in one call; what the ring refuses (the kernel
    /// thread is behind) is freed and counted under its drop reason and `punt_ring_full`.
    /// A worker never waits for the kernel (GUIDE rule 6).
    @inline(__always)
    func punt(_ count: Int) {
        let ring = puntRing.unsafelyUnwrapped
        let queued = PacketRing.enqueue(ring, punts, count: count)
        for i in 0..<queued { counters.add(WorkerCounters.puntedBase &+ puntClasses[i].rawValue, 1) }
        if queued < count {
            for i in queued..<count { counters.countDrop(puntReasons[i]) }
            counters.add(WorkerCounters.puntRingFull, UInt64(count &- queued))
            Mbuf.free(punts + queued, count: count &- queued)
        }
    }

    /// Takes one burst the kernel sent out of a twin from inject ring `r` and queues it on
    /// that port's TX buffer, untouched. An empty ring costs one load and compare.
    @inline(__always)
    func drainInject(_ r: Int) -> Int {
        let count = PacketRing.dequeue(injectRings[r], into: injected, capacity: BurstPipeline.capacity)
        if count == 0 { return 0 }
        var bytes: UInt64 = 0
        for i in 0..<count { bytes &+= UInt64(Mbuf.dataLength(injected[i].unsafelyUnwrapped)) }
        counters.add(WorkerCounters.injected, UInt64(count))
        queueForTransmit(injected, count: count, bytes: bytes, port: injectPorts[r])
        return count
    }

    /// Adds a burst's packets for one port to its TX buffer, sending whenever it fills. A full
    /// burst meeting an empty buffer is sent straight from the pipeline's list.
    @inline(__always)
    func queueForTransmit(_ packets: UnsafeMutablePointer<MbufPointer?>, count: Int, bytes: UInt64, port: Int) {
        let buffer = tx + port
        if buffer.pointee.count == 0 && count == TxBuffer.capacity {
            send(packets, count: count, bytes: bytes, port: port)
            return
        }
        buffer.pointee.bytes &+= bytes
        var source = packets
        var left = count
        while left > 0 {
            let queued = buffer.pointee.count
            let take = min(TxBuffer.capacity &- queued, left)
            (buffer.pointee.mbufs + queued).update(from: source, count: take)
            buffer.pointee.count = queued &+ take
            source += take
            left &-= take
            if buffer.pointee.count == TxBuffer.capacity { flush(port) }
        }
    }

    func flushAll() {
        for p in 0..<portIDs.count where tx[p].count > 0 { flush(p) }
    }

    func flush(_ port: Int) {
        let buffer = tx + port
        send(buffer.pointee.mbufs, count: buffer.pointee.count, bytes: buffer.pointee.bytes, port: port)
        buffer.pointee.count = 0
        buffer.pointee.bytes = 0
    }

    /// One tx_burst; what the port does not take is freed and counted, never retried.
    @inline(__always)
    func send(_ packets: UnsafeMutablePointer<MbufPointer?>, count: Int, bytes: UInt64, port: Int) {
        let sent = Burst.transmit(port: portIDs[port], queue: txQueue, packets, count: UInt16(count))
        var sentBytes = bytes
        if sent < count {
            for i in sent..<count {
                let m = packets[i].unsafelyUnwrapped
                sentBytes &-= UInt64(Mbuf.dataLength(m))
                counters.countDrop(.txQueueFull)
            }
            Mbuf.free(packets + sent, count: count &- sent)
        }
        counters.add(WorkerCounters.txPackets, UInt64(sent))
        counters.addPortTx(port, packets: UInt64(sent), bytes: sentBytes)
    }
}

/// The C entry point EAL calls on the worker's lcore. `argument` is a WorkerSetup pointer.
public let workerEntry: Lcore.Entry = { argument in
    let setup = argument.unsafelyUnwrapped.assumingMemoryBound(to: WorkerSetup.self)
    var worker = Worker(setup.pointee)
    if setup.pointee.pipeline { worker.runPipeline() } else { worker.run() }
    worker.deallocate()
    return 0
}
