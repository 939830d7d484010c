import Config
import DPDK
import Forwarding
import Logging

/// Pipeline mode's receive side, owned by `Forwarder`: one ring per (receive core, worker)
/// pair, the receive cores' counters, their setups and their stop flag. Control-thread code.
///
/// Why one ring per pair: each ring then has exactly one producer and one consumer, so it is
/// created single-producer/single-consumer and its enqueue and dequeue are a few plain loads and
/// stores with release/acquire ordering, no compare-and-swap. A shared multi-producer ring
/// would make receive cores contend on its head, and a producer preempted mid-enqueue (likely
/// when lcores share a CPU) would hold every other producer spinning on the tail. The cost is
/// rx × workers rings, each polled by its worker: a few dozen at most.
final class ReceiveCores {
    let config: SwiftfwdConfig
    /// rings[r][w]: from receive core r to worker w (indices into rx_cores and worker_cores).
    private(set) var rings: [[PacketRing]] = []
    private(set) var counters: [WorkerCounters] = []
    var setups: [UnsafeMutablePointer<RxCoreSetup>] = []
    let stopFlag: UnsafeMutablePointer<UInt32>
    var launched: [UInt32] = []

    var rxCores: [Int] { config.threading.rxCores }
    var workerCores: [Int] { config.eal.workerCores }

    /// The name of the ring from receive core `rx` to worker core `worker` (core numbers), in
    /// logs, `show rings` and DPDK's ring list.
    static func ringName(rx: Int, worker: Int) -> String { "rx\(rx)-w\(worker)" }

    init(config: SwiftfwdConfig) throws {
        self.config = config
        stopFlag = .allocate(capacity: 1)
        stopFlag.initialize(to: 0)
        for rx in config.threading.rxCores {
            var row: [PacketRing] = []
            for worker in config.eal.workerCores {
                do {
                    // On the consumer's socket: the worker reads every slot the producer writes.
                    row.append(try PacketRing(name: Self.ringName(rx: rx, worker: worker), size: config.threading.ringSize,
                                              socket: EAL.socketOfLcore(UInt32(worker))))
                } catch {
                    for ring in row { ring.free() }
                    release()
                    throw error
                }
            }
            rings.append(row)
        }
    }

    /// The rings worker `w` reads, one per receive core.
    func rings(toWorker w: Int) -> [OpaquePointer] { rings.map { $0[w].pointer } }

    /// Launches one pinned receive core per `threading.rx_cores` entry: after the workers, so
    /// every ring has its consumer before packets arrive.
    func launch(ports: [EthernetPort], logger: Logger) throws {
        for (r, core) in rxCores.enumerated() {
            let queues = config.queueMap.filter { $0.core == core }.map {
                PolledQueue(portIndex: $0.port, portID: ports[$0.port].id, queue: UInt16($0.queue))
            }
            let c = WorkerCounters.allocate(ports: ports.count, rings: workerCores.count)
            counters.append(c)
            let setup = UnsafeMutablePointer<RxCoreSetup>.allocate(capacity: 1)
            setup.initialize(to: RxCoreSetup(lcore: UInt32(core), queues: queues, rings: rings[r].map(\.pointer),
                                             ringBurst: config.threading.ringBurst, counters: c, stop: UnsafePointer(stopFlag)))
            setups.append(setup)
            try Lcore.launch(rxCoreEntry, argument: UnsafeMutableRawPointer(setup), on: UInt32(core))
            launched.append(UInt32(core))
            let described = queues.map { "\(config.ports[$0.portIndex].name):\($0.queue)" }.joined(separator: " ")
            let ringNames = workerCores.map { Self.ringName(rx: core, worker: $0) }.joined(separator: " ")
            logger.info("receive core \(core) polls \(described.isEmpty ? "nothing" : described), hands over to rings \(ringNames)")
        }
    }

    /// Stops the receive cores and waits for them: after this nothing enters a ring.
    func stop() {
        SharedMemory.storeRelease(stopFlag, 1)
        for lcore in launched { Lcore.wait(lcore) }
        launched.removeAll()
    }

    /// Frees what is left in the rings (nothing, once the workers have drained them), then the
    /// rings, setups and counters. Returns how many packets were left behind.
    @discardableResult
    func release() -> Int {
        var left = 0
        let scratch = UnsafeMutablePointer<MbufPointer?>.allocate(capacity: BurstPipeline.capacity)
        defer { scratch.deallocate() }
        for row in rings {
            for ring in row {
                while true {
                    let n = PacketRing.dequeue(ring.pointer, into: scratch, capacity: BurstPipeline.capacity)
                    if n == 0 { break }
                    Mbuf.free(scratch, count: n)
                    left += n
                }
                ring.free()
            }
        }
        rings.removeAll()
        for setup in setups { setup.deinitialize(count: 1); setup.deallocate() }
        setups.removeAll()
        for c in counters { c.deallocate() }
        counters.removeAll()
        return left
    }

    deinit { stopFlag.deallocate() }
}
