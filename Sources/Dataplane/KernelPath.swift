import Config
import DPDK
import Forwarding
import Foundation
import Packet

/// The packet path between the fast path and the kernel (docs/architecture.md, "Control
/// plane"): each port's twin (a net_tap port whose kernel side is the twin interface), one
/// punt ring per worker and one inject ring per port, and the kernel thread that moves packets
/// between them.
///
///     worker W ──punt ring W──▶ kernel thread ──tx──▶ tap of the ingress port ──▶ kernel
///     kernel ──▶ tap of port P ──rx──▶ kernel thread ──inject ring P──▶ worker P % workers ──▶ port P
///
/// Ownership: a punt ring has one producer (its worker) and one consumer (the kernel thread);
/// an inject ring one producer (the kernel thread) and one consumer (its worker). The taps'
/// queues are touched by the kernel thread only. `counters` are written by the kernel thread
/// only and read with relaxed loads by the control thread.
public final class KernelPath: @unchecked Sendable {
    public let taps: [EthernetPort]
    public let puntRings: [PacketRing]
    public let injectRings: [PacketRing]
    /// Per port: to the kernel (tap TX), refused by the tap, from the kernel (tap RX), refused
    /// by the inject ring.
    public static var slotsPerPort: Int { 4 }
    let counters: UnsafeMutablePointer<UInt64>
    let portIndexOfID: [Int]
    let stopFlag: UnsafeMutablePointer<UInt32>
    var thread: Thread?
    let finished = DispatchSemaphore(value: 0)
    /// Destinations of punted packets that may need their next hop resolved, for the sync
    /// thread (KernelSync), with the time each was last asked about.
    let resolveLock = NSLock()
    var resolveQueue: [IPAddress] = []
    var lastAsked: [IPAddress: UInt64] = [:]
    let routerAddresses: Set<IPAddress>

    /// The tap vdev for port `index`, for EAL's arguments.
    public static func vdev(index: Int, port: PortConfig) -> String {
        // "net_tap" + a name of our own: a data port may itself be a net_tap<n>.
        var device = "net_tap_twin\(index),iface=\(port.kernelName)"
        if let mac = port.mac { device += ",mac=\(mac)" }
        return device
    }

    /// Configures and starts each port's tap (1 RX and 1 TX queue, the port's MAC and MTU) and
    /// makes the rings. `ports` are the data ports, in config order.
    public init(config: SwiftfwdConfig, ports: [EthernetPort], macs: [MACAddress], pool: MbufPool, socket: Int32) throws {
        var taps: [EthernetPort] = []
        var punts: [PacketRing] = []
        var injects: [PacketRing] = []
        var started: [EthernetPort] = []
        do {
            for (index, portConfig) in config.ports.enumerated() {
                let tap = try EthernetPort(device: KernelPath.vdev(index: index, port: portConfig))
                let settings = PortSettings(rxQueues: 1, txQueues: 1, rxDescriptors: KernelPath.descriptors, txDescriptors: KernelPath.descriptors,
                                            mtu: portConfig.mtu, promiscuous: false, mac: macs[index], rss: 0)
                _ = try tap.configure(settings, pool: pool)
                try tap.start()
                started.append(tap)
                taps.append(tap)
            }
            for w in 0..<config.eal.workerCores.count {
                punts.append(try PacketRing(name: "punt\(w)", size: config.kernel.puntRingSize, socket: socket))
            }
            for p in 0..<config.ports.count {
                injects.append(try PacketRing(name: "inject\(p)", size: config.kernel.puntRingSize, socket: socket))
            }
        } catch {
            for tap in started { tap.stop() }
            for tap in taps { tap.close() }
            for ring in punts + injects { ring.free() }
            throw error
        }
        self.taps = taps
        puntRings = punts
        injectRings = injects
        var byID = [Int](repeating: -1, count: Int(ports.map(\.id).max() ?? 0) + 1)
        for (index, port) in ports.enumerated() { byID[Int(port.id)] = index }
        portIndexOfID = byID
        let slots = config.ports.count * KernelPath.slotsPerPort
        counters = .allocate(capacity: max(1, slots))
        counters.initialize(repeating: 0, count: max(1, slots))
        stopFlag = .allocate(capacity: 1)
        stopFlag.initialize(to: 0)
        routerAddresses = Set(config.ports.flatMap { $0.addresses.map(\.address) })
    }

    /// Tap ring sizes: control-plane rates need no more, and they count in the pool.
    public static var descriptors: Int { 512 }

    deinit {
        counters.deallocate()
        stopFlag.deallocate()
    }

    /// The policer buckets of one worker, in PuntClass order, on the TSC.
    public static func policer(_ config: KernelConfig) -> [TokenBucket] {
        PuntClass.allCases.map { punt in
            let limit = config.policer[punt] ?? KernelConfig.Limit(rate: Int(punt.defaultRate), burst: Int(punt.defaultBurst))
            return TokenBucket(rate: UInt64(limit.rate), burst: UInt64(limit.burst), ticksPerSecond: EAL.tscHz)
        }
    }

    public func start() {
        let thread = Thread { [self] in
            nameCurrentThread("swiftfwd-kernel")
            loop()
            finished.signal()
        }
        self.thread = thread
        thread.start()
    }

    /// Stops the kernel thread and waits for it. Called before the workers stop: they never
    /// wait on it, and what it leaves in the rings is freed by `release`.
    public func stop() {
        guard thread != nil else { return }
        SharedMemory.storeRelease(stopFlag, 1)
        finished.wait()
        thread = nil
    }

    /// After the workers stopped: frees what the rings still hold, stops and closes the taps,
    /// frees the rings. Returns how many packets were left in the rings.
    public func release() -> Int {
        let scratch = UnsafeMutablePointer<MbufPointer?>.allocate(capacity: 64)
        defer { scratch.deallocate() }
        var left = 0
        for ring in puntRings + injectRings {
            while true {
                let n = PacketRing.dequeue(ring.pointer, into: scratch, capacity: 64)
                if n == 0 { break }
                Mbuf.free(scratch, count: n)
                left += n
            }
            ring.free()
        }
        for tap in taps { tap.stop() }
        for tap in taps { tap.close() }
        return left
    }

    /// One port's counters: (to kernel, to kernel dropped, from kernel, from kernel dropped).
    public func portCounters(_ port: Int) -> [UInt64] {
        (0..<KernelPath.slotsPerPort).map { SharedMemory.loadRelaxed(counters + port * KernelPath.slotsPerPort + $0) }
    }

    /// Takes the destinations punted since the last call (for KernelSync).
    public func takeResolveRequests() -> [IPAddress] {
        resolveLock.lock()
        defer { resolveLock.unlock() }
        let out = resolveQueue
        resolveQueue.removeAll()
        return out
    }

    // MARK: the kernel thread

    func loop() {
        let burst = BurstPipeline.capacity
        let scratch = UnsafeMutablePointer<MbufPointer?>.allocate(capacity: burst)
        defer { scratch.deallocate() }
        while SharedMemory.loadAcquire(stopFlag) == 0 {
            var moved = 0
            for ring in puntRings {
                let n = PacketRing.dequeue(ring.pointer, into: scratch, capacity: burst)
                if n > 0 { toKernel(scratch, count: n); moved += n }
            }
            for (port, tap) in taps.enumerated() {
                let n = Burst.receive(port: tap.id, queue: 0, into: scratch, capacity: UInt16(burst))
                if n == 0 { continue }
                moved += n
                add(port, 2, UInt64(n))
                let queued = PacketRing.enqueue(injectRings[port].pointer, scratch, count: n)
                if queued < n {
                    add(port, 3, UInt64(n - queued))
                    Mbuf.free(scratch + queued, count: n - queued)
                }
            }
            // Idle: the kernel path carries control traffic, a 50 us nap costs it little and
            // leaves the CPU to the workers.
            if moved == 0 { usleep(50) }
        }
    }

    func add(_ port: Int, _ slot: Int, _ value: UInt64) {
        let p = counters + port * KernelPath.slotsPerPort + slot
        SharedMemory.storeRelaxed(p, p.pointee &+ value)
    }

    /// Sends each run of same-port packets to that port's tap; what the tap refuses is freed
    /// and counted.
    func toKernel(_ packets: UnsafeMutablePointer<MbufPointer?>, count: Int) {
        var start = 0
        while start < count {
            let id = Int(Mbuf.port(packets[start]!))
            var end = start + 1
            while end < count && Int(Mbuf.port(packets[end]!)) == id { end += 1 }
            let port = id < portIndexOfID.count ? portIndexOfID[id] : -1
            if port < 0 {
                Mbuf.free(packets + start, count: end - start)
            } else {
                for i in start..<end { noteDestination(packets[i]!) }
                let sent = Burst.transmit(port: taps[port].id, queue: 0, packets + start, count: UInt16(end - start))
                add(port, 0, UInt64(sent))
                if sent < end - start {
                    add(port, 1, UInt64(end - start - sent))
                    Mbuf.free(packets + start + sent, count: end - start - sent)
                }
            }
            start = end
        }
    }

    /// A punted unicast IP packet not for the router may be waiting for its next hop: ask the
    /// sync thread to have the kernel resolve it, at most once a second per destination.
    func noteDestination(_ m: MbufPointer) {
        let frame = UnsafeRawPointer(Mbuf.data(m))
        let length = Int(Mbuf.dataLength(m))
        guard length >= Ethernet.headerLength + IPv4Header.minimumLength else { return }
        let ip = frame + Ethernet.headerLength
        let destination: IPAddress
        switch Ethernet.etherType(frame) {
        case Ethernet.typeIPv4:
            let d = IPv4Header.destination(ip)
            guard d >> 28 != 0xE && d != 0xFFFF_FFFF else { return }
            destination = .v4(IPv4Address(d))
        case Ethernet.typeIPv6:
            guard length >= Ethernet.headerLength + IPv6Header.length else { return }
            let high = IPv6Header.destinationHigh(ip)
            guard high >> 56 != 0xFF && high >> 54 != 0x3FA else { return }
            destination = .v6(IPv6Address(high: high, low: IPv6Header.destinationLow(ip)))
        default:
            return
        }
        if routerAddresses.contains(destination) { return }
        let now = DispatchTime.now().uptimeNanoseconds
        resolveLock.lock()
        defer { resolveLock.unlock() }
        if let last = lastAsked[destination], now - last < 1_000_000_000 { return }
        if lastAsked.count > 4096 { lastAsked.removeAll() }
        lastAsked[destination] = now
        if resolveQueue.count < 256 { resolveQueue.append(destination) }
    }
}
