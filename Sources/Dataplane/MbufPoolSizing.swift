import Config
import Forwarding

/// How many mbufs the pool needs, and the sum spelled out for the startup log.
public struct MbufPoolSizing {
    public var rings = 0
    public var workerBuffers = 0
    public var caches = 0
    public var slack = 0
    /// Pipeline mode: every ring full, and each receive core's RX burst and staged bursts.
    public var pipeline = 0
    /// Kernel control plane: every punt and inject ring full, the taps' rings.
    public var kernel = 0

    public init(_ config: SwiftfwdConfig) {
        for port in config.ports {
            rings += port.rxQueues * port.rxDescriptors + port.txQueues * port.txDescriptors
        }
        // Each worker holds one RX burst and a full TX buffer per port at most.
        workerBuffers = config.eal.workerCores.count * (BurstPipeline.capacity + TxBuffer.capacity * config.ports.count)
        // A mempool cache may grow to 1.5 times its size before flushing (rte_mempool flush
        // threshold), on every lcore that touches the pool.
        caches = config.allCores.count * config.mempool.cacheSize * 3 / 2
        if config.threading.mode == .pipeline {
            let rx = config.threading.rxCores.count, workers = config.eal.workerCores.count
            pipeline = rx * workers * config.threading.ringSize + rx * (BurstPipeline.capacity + workers * config.threading.ringBurst)
        }
        if config.kernel.enabled {
            kernel = (config.eal.workerCores.count + config.ports.count) * config.kernel.puntRingSize
                + config.ports.count * 2 * KernelPath.descriptors + BurstPipeline.capacity
        }
        // Drivers that keep mbufs of their own (net_pcap infinite_rx keeps a copy of its whole
        // file; set mempool.mbufs for large files) and control-plane use.
        slack = 8192
    }

    /// Rounded up to 2^n - 1, the size rte_mempool stores most compactly.
    public var total: Int {
        let needed = rings + workerBuffers + caches + pipeline + kernel + slack
        var size = 1
        while size - 1 < needed { size <<= 1 }
        return size - 1
    }

    public var explanation: String {
        let handOver = pipeline == 0 ? "" : " + \(pipeline) in pipeline rings and receive bursts"
        let punt = kernel == 0 ? "" : " + \(kernel) in punt/inject rings and taps"
        return "\(rings) in RX/TX rings + \(workerBuffers) in worker bursts and TX buffers\(handOver)\(punt) + \(caches) in lcore caches + \(slack) slack, rounded to \(total)"
    }
}
