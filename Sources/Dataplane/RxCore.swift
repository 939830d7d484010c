import DPDK
import Forwarding

/// What a receive core needs (pipeline mode), built by the control thread before launch.
public struct RxCoreSetup {
    public var lcore: UInt32
    public var queues: [PolledQueue]
    /// One ring per worker, in `eal.worker_cores` order; this core is each one's only producer.
    public var rings: [OpaquePointer]
    public var ringBurst: Int
    public var counters: WorkerCounters
    /// Set to non-zero by the control thread to stop the receive core (before the workers).
    public var stop: UnsafePointer<UInt32>
}

/// The poll loop of a receive core in pipeline mode: receive a burst, choose each packet's
/// worker by its flow hash, hand the packets over each worker's ring in bursts. It never
/// looks a packet up and never transmits. As for `Worker`, all state is in this struct, nothing
/// is allocated after `init` and nothing on the loop retains, locks or blocks (GUIDE rule 4).
///
/// Order: a flow always hashes to the same worker and a ring is FIFO, so the packets of a flow
/// reach their worker in the order this core received them.
public struct RxCore {
    let queues: UnsafeMutableBufferPointer<PolledQueue>
    let rings: UnsafeMutableBufferPointer<OpaquePointer>
    let ringBurst: Int
    let counters: WorkerCounters
    let stop: UnsafePointer<UInt32>
    let rx: UnsafeMutablePointer<MbufPointer?>
    /// Per worker w, up to `ringBurst` packets at `staged + w * ringBurst`, `stagedCount[w]` of them.
    let staged: UnsafeMutablePointer<MbufPointer?>
    let stagedCount: UnsafeMutablePointer<Int>

    public init(_ setup: RxCoreSetup) {
        queues = .allocate(capacity: setup.queues.count)
        _ = queues.initialize(from: setup.queues)
        rings = .allocate(capacity: setup.rings.count)
        _ = rings.initialize(from: setup.rings)
        ringBurst = max(1, min(setup.ringBurst, BurstPipeline.capacity))
        counters = setup.counters
        stop = setup.stop
        rx = .allocate(capacity: BurstPipeline.capacity)
        rx.initialize(repeating: nil, count: BurstPipeline.capacity)
        staged = .allocate(capacity: setup.rings.count * ringBurst)
        staged.initialize(repeating: nil, count: setup.rings.count * ringBurst)
        stagedCount = .allocate(capacity: setup.rings.count)
        stagedCount.initialize(repeating: 0, count: setup.rings.count)
    }

    public func deallocate() {
        queues.deallocate()
        rings.deallocate()
        rx.deallocate()
        staged.deallocate()
        stagedCount.deallocate()
    }

    /// Polls until told to stop. Nothing is left staged between polls, so there is nothing to
    /// drain on the way out: every packet received is in a ring or freed and counted.
    public mutating func run() {
        var previous = readTSC()
        while SharedMemory.loadAcquire(stop) == 0 {
            var received = 0
            for q in 0..<queues.count { received &+= poll(queues[q]) }
            let now = readTSC()
            if received > 0 {
                counters.add(WorkerCounters.busyCycles, now &- previous)
                counters.add(WorkerCounters.busyPolls, 1)
            } else {
                counters.add(WorkerCounters.idleCycles, now &- previous)
            }
            previous = now
        }
    }

    @inline(__always)
    func poll(_ queue: PolledQueue) -> Int {
        let count = Burst.receive(port: queue.portID, queue: queue.queue, into: rx, capacity: UInt16(BurstPipeline.capacity))
        if count == 0 { return 0 }
        let workers = rings.count
        if workers > 1 {
            // The software hash reads each packet's headers: start those loads together.
            for i in 0..<count { Mbuf.prefetch(Mbuf.data(rx[i].unsafelyUnwrapped)) }
        }
        var bytes: UInt64 = 0
        for i in 0..<count {
            let m = rx[i].unsafelyUnwrapped
            // rx_burst sets the input port; set it again (same cache line, already written)
            // so the worker's port lookup is safe even with a driver that does not.
            Mbuf.setPort(m, queue.portID)
            let length = Int(Mbuf.dataLength(m))
            bytes &+= UInt64(truncatingIfNeeded: length)
            var w = 0
            if workers > 1 {
                // The NIC's RSS hash when it gave one (no packet read at all), else ours.
                let hash: UInt32
                if let rss = Mbuf.rssHash(m) { hash = rss } else { hash = FlowHash.of(Mbuf.data(m), length: length) }
                w = FlowHash.pick(hash, among: workers)
            }
            let n = stagedCount[w]
            staged[w &* ringBurst &+ n] = m
            if n &+ 1 == ringBurst {
                handOver(w, count: ringBurst)
            } else {
                stagedCount[w] = n &+ 1
            }
        }
        for w in 0..<workers where stagedCount[w] > 0 { handOver(w, count: stagedCount[w]) }
        counters.add(WorkerCounters.rxPackets, UInt64(count))
        counters.addPortRx(queue.portIndex, packets: UInt64(count), bytes: bytes)
        return count
    }

    /// One enqueue burst to worker `w`'s ring. What does not fit is freed and counted as
    /// ring_full, never retried: a receive core that waited for a slow worker would stop
    /// receiving for every other worker too.
    @inline(__always)
    func handOver(_ w: Int, count: Int) {
        let packets = staged + w &* ringBurst
        let sent = PacketRing.enqueue(rings[w], packets, count: count)
        let slot = counters.ringSlot(w)
        counters.add(slot, UInt64(sent))
        counters.add(WorkerCounters.txPackets, UInt64(sent))
        if sent < count {
            let dropped = count &- sent
            counters.add(slot &+ 2, UInt64(dropped))
            counters.add(WorkerCounters.dropBase &+ Int(DropReason.ringFull.rawValue), UInt64(dropped))
            Mbuf.free(packets + sent, count: dropped)
        }
        stagedCount[w] = 0
    }
}

/// The C entry point EAL calls on a receive core's lcore. `argument` is an RxCoreSetup pointer.
public let rxCoreEntry: Lcore.Entry = { argument in
    let setup = argument.unsafelyUnwrapped.assumingMemoryBound(to: RxCoreSetup.self)
    var core = RxCore(setup.pointee)
    core.run()
    core.deallocate()
    return 0
}
