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
    // Pipeline mode only (empty otherwise); see Worker+Pipeline.swift.
    let rings: UnsafeMutableBufferPointer<OpaquePointer>
    let ringBurst: Int
    let portIndexOfID: UnsafeMutableBufferPointer<Int>

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
        rings = .allocate(capacity: setup.rings.count)
        _ = rings.initialize(from: setup.rings)
        ringBurst = min(setup.ringBurst, BurstPipeline.capacity)
        portIndexOfID = .allocate(capacity: setup.portIndexOfID.count)
        _ = portIndexOfID.initialize(from: setup.portIndexOfID)
    }

    public func deallocate() {
        for p in 0..<portIDs.count { tx[p].deallocate() }
        tx.deallocate()
        pipeline.deallocate()
        icmp.deallocate()
        errors.deallocate()
        rx.deallocate()
        queues.deallocate()
        portIDs.deallocate()
        portMACs.deallocate()
        rings.deallocate()
        portIndexOfID.deallocate()
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
                     lookup: DPDKRouteLookup(ipv4: slot.pointee.ipv4, ipv6: slot.pointee.ipv6),
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
    /// out of the port they came in on.
    mutating func handleDrops(port: Int, slot: UnsafePointer<PlaneSlot>) {
        var errorCount = 0
        var errorBytes: UInt64 = 0
        for d in 0..<pipeline.dropCount {
            let reason = pipeline.dropReasons[d]
            counters.countDrop(reason)
            guard icmp.enabled && ICMPResponder.answers(reason) else { continue }
            switch icmp.respond(to: pipeline.dropped[d].unsafelyUnwrapped, reason: reason, port: port, now: readTSC(), slot: slot) {
            case .send(let reply):
                errors[errorCount] = reply
                errorCount &+= 1
                errorBytes &+= UInt64(Mbuf.dataLength(reply))
            case .rateLimited:
                counters.add(WorkerCounters.icmpErrorsRateLimited, 1)
            case .none:
                break
            }
        }
        Mbuf.free(pipeline.dropped, count: pipeline.dropCount)
        if errorCount > 0 {
            counters.add(WorkerCounters.icmpErrorsSent, UInt64(errorCount))
            queueForTransmit(errors, count: errorCount, bytes: errorBytes, port: port)
        }
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
