import DPDK
import Forwarding

/// The worker's loop in pipeline mode: instead of polling RX queues it takes bursts from its
/// rings (one per receive core) and forwards them with the same code as run-to-completion
/// (`forward`): same pipeline, same TX buffers, same drain timer, same RCU reports.
extension Worker {
    /// Polls the rings until told to stop, then empties them, sends what is buffered and
    /// returns. The control thread stops every receive core before it stops the workers, so
    /// what a ring holds then is all it will ever hold.
    public mutating func runPipeline() {
        qsbr.online(thread: thread)
        defer { qsbr.offline(thread: thread) }
        var lastDrain = readTSC()
        var previous = lastDrain
        while SharedMemory.loadAcquire(stop) == 0 {
            var received = 0
            for r in 0..<rings.count { received &+= take(r) }
            for r in 0..<injectRings.count { received &+= drainInject(r) }
            let now = readTSC()
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
            qsbr.quiescent(thread: thread)
        }
        // Bounded: with its producer stopped a ring holds at most its capacity, so this never
        // spins on a ring even if the shutdown order were wrong (Forwarder frees any leftover).
        for r in 0..<rings.count {
            var left = PacketRing.capacity(rings[r])
            while left > 0 {
                let got = take(r)
                if got == 0 { break }
                left &-= got
            }
        }
        flushAll()
    }

    /// Takes one burst from ring `r` and forwards it; returns how many packets it took.
    @inline(__always)
    mutating func take(_ r: Int) -> Int {
        let count = PacketRing.dequeue(rings[r], into: rx, capacity: ringBurst)
        if count == 0 { return 0 }
        counters.add(counters.ringSlot(r) &+ 1, UInt64(count))
        counters.add(WorkerCounters.rxPackets, UInt64(count))
        // Another core wrote these mbufs (the driver on the receive core): unlike in
        // run-to-completion they are not in this core's cache. Start moving both lines of every
        // header (the second holds `next` and `pool`, which freeing after TX reads: without it a
        // net_null sink spent a third of the worker's time there), then every frame's first
        // line, before the pipeline reads them one by one.
        for i in 0..<count {
            let m = UnsafeRawPointer(rx[i].unsafelyUnwrapped)
            Mbuf.prefetch(m)
            Mbuf.prefetch(m + 64)
        }
        for i in 0..<count { Mbuf.prefetch(Mbuf.data(rx[i].unsafelyUnwrapped)) }
        // A ring carries every port its receive core polls, in runs (one per RX burst), and a
        // pipeline run takes one input port (for the destination MAC check): forward each run
        // on its own, in ring order, so a flow's packets stay in order.
        var start = 0
        var port = Mbuf.port(rx[0].unsafelyUnwrapped)
        for i in 1..<count {
            let next = Mbuf.port(rx[i].unsafelyUnwrapped)
            if next != port {
                forward(rx + start, count: i &- start, portIndex: portIndexOfID[Int(port)], countsPortRx: false)
                start = i
                port = next
            }
        }
        forward(rx + start, count: count &- start, portIndex: portIndexOfID[Int(port)], countsPortRx: false)
        return count
    }
}
