/// The queue map used when the file has none: walk the ports in order and each port's RX
/// queues in order, dealing the (port, queue) pairs round-robin to the worker cores. With one
/// queue per port and as many workers as ports, each worker gets one port.
public enum QueueSpread {
    public static func deal(ports: [PortConfig], workerCores: [Int]) -> [QueueAssignment] {
        guard !workerCores.isEmpty else { return [] }
        var result: [QueueAssignment] = []
        for (p, port) in ports.enumerated() {
            for q in 0..<port.rxQueues {
                result.append(QueueAssignment(core: workerCores[result.count % workerCores.count], port: p, queue: q))
            }
        }
        return result
    }
}
