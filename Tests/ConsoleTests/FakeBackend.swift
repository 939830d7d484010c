import Console
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Packet
import XCTest

/// A forwarder in memory: two ports, two workers, a few routes and neighbors. Tests move its
/// clock and counters, and read back which changes the console asked for.
final class FakeBackend: ConsoleBackend, @unchecked Sendable {
    private let lock = NIOLock()
    private var _now: Double = 1000
    private var _interfaces: [InterfaceInfo]
    private var _workers: [WorkerInfo]
    private var _drops: [DropCount]
    private var _routes: [RouteInfo]
    private var _neighbors: [NeighborInfo]
    private var _changes: [String] = []
    private var _samples = 0
    private var _threading = ThreadingInfo()
    private var _rings: [RingInfo] = []
    /// The next change fails with this.
    var refuseNext: ConsoleError? {
        get { lock.withLock { _refuseNext } }
        set { lock.withLock { _refuseNext = newValue } }
    }
    private var _refuseNext: ConsoleError?
    var config = """
    ports:
      - name: p0
        device: net_null0
    console:
      listen: 127.0.0.1:5002
      password: hunter2
    """
    let started = Date(timeIntervalSince1970: 1_750_000_000)

    init() {
        _interfaces = [
            InterfaceInfo(name: "p0", device: "net_pcap0,rx_pcap=in.pcap", driver: "net_pcap", mac: MACAddress("02:00:00:00:00:00")!,
                          mtu: 1500, linkUp: true, speedMbps: 10000,
                          addresses: [InterfaceAddress("198.18.0.1/24")!, InterfaceAddress("2001:db8::1/64")!],
                          counters: PortCounters(rxPackets: 1000, rxBytes: 64000, txPackets: 10, txBytes: 640, hwRxPackets: 1001,
                                                 hwTxPackets: 10, hwRxBytes: 64064, hwTxBytes: 640, imissed: 3, ierrors: 0, oerrors: 0, rxNoMbuf: 0)),
            InterfaceInfo(name: "p1", device: "net_null0,no-rx=1", driver: "net_null", mac: MACAddress("02:00:00:00:00:01")!,
                          mtu: 1280, linkUp: false, speedMbps: 0, addresses: [InterfaceAddress("198.18.1.1/24")!],
                          counters: PortCounters(rxPackets: 0, rxBytes: 0, txPackets: 990, txBytes: 63360, hwTxPackets: 990, hwTxBytes: 63360)),
        ]
        _workers = [
            WorkerInfo(core: 1, queues: ["p0:0"], rxPackets: 1000, txPackets: 1000, drops: 0, busyCycles: 60_000, idleCycles: 940_000),
            WorkerInfo(core: 2, queues: ["p1:0"], rxPackets: 0, txPackets: 0, drops: 0, busyCycles: 0, idleCycles: 1_000_000),
        ]
        _drops = [
            DropCount(name: "eth_too_short", explanation: "frame shorter than an Ethernet header", perWorker: [0, 0]),
            DropCount(name: "ipv4_ttl_expired", explanation: "TTL was 1 or 0", perWorker: [7, 0]),
            DropCount(name: "no_route", explanation: "no route matches the destination", perWorker: [5, 1]),
        ]
        _routes = [
            RouteInfo(prefix: IPPrefix("198.18.1.0/24")!, kind: "connected", nextHop: "dev p1", port: "p1", resolved: true),
            RouteInfo(prefix: IPPrefix("198.18.0.0/24")!, kind: "connected", nextHop: "dev p0", port: "p0", resolved: true),
            RouteInfo(prefix: IPPrefix("2001:db8::/64")!, kind: "connected", nextHop: "dev p0", port: "p0", resolved: true),
            RouteInfo(prefix: IPPrefix("198.18.4.0/24")!, kind: "static", nextHop: "via 198.18.1.2 dev p1", port: "p1", resolved: true),
            RouteInfo(prefix: IPPrefix("198.18.0.1/32")!, kind: "local", nextHop: "local", port: nil, resolved: true),
            RouteInfo(prefix: IPPrefix("198.18.8.0/24")!, kind: "static", nextHop: "via 198.18.1.9 dev p1", port: "p1", resolved: false),
        ]
        _neighbors = [
            NeighborInfo(address: IPAddress("198.18.1.2")!, mac: MACAddress("02:00:00:00:01:02")!, port: "p1", source: "static"),
            NeighborInfo(address: IPAddress("2001:db8::2")!, mac: MACAddress("02:00:00:00:01:03")!, port: "p0", source: "console"),
        ]
    }

    // MARK: Test controls

    var changes: [String] { lock.withLock { _changes } }
    var sampleCount: Int { lock.withLock { _samples } }

    /// Moves the clock and adds traffic: `packets` received on p0 and sent on p1 by worker 1.
    func advance(seconds: Double, packets: UInt64, bytesPerPacket: UInt64 = 64, busyCyclesPerPacket: UInt64 = 50) {
        lock.withLock {
            _now += seconds
            _interfaces[0].counters.rxPackets += packets
            _interfaces[0].counters.rxBytes += packets * bytesPerPacket
            _interfaces[0].counters.hwRxPackets += packets
            _interfaces[0].counters.hwRxBytes += packets * bytesPerPacket
            _interfaces[1].counters.txPackets += packets
            _interfaces[1].counters.txBytes += packets * bytesPerPacket
            _workers[0].rxPackets += packets
            _workers[0].txPackets += packets
            _workers[0].busyCycles += packets * busyCyclesPerPacket
            _workers[0].idleCycles += 1_000_000
            _workers[1].idleCycles += 1_000_000
        }
    }

    /// Worker 1 receives `packets` too big for p1 and sends them as `fragments` fragments.
    func fragment(packets: UInt64, into fragments: UInt64) {
        lock.withLock {
            _now += 1
            _workers[0].rxPackets += packets
            _workers[0].txPackets += fragments
            _workers[0].ipv4Fragmented += packets
            _workers[0].ipv4Fragments += fragments
            _workers[0].idleCycles += 1_000_000
            _workers[1].idleCycles += 1_000_000
        }
    }

    func setRoutes(_ routes: [RouteInfo]) { lock.withLock { _routes = routes } }

    /// Turns the fake into pipeline mode: receive core 3 polls both ports and hands packets to
    /// workers 1 and 2 over rings rx3-w1 and rx3-w2 of 1024 slots.
    func usePipeline() {
        lock.withLock {
            _threading = ThreadingInfo(mode: "pipeline", ringSize: 1024, ringBurst: 32)
            _workers = [
                WorkerInfo(core: 3, queues: ["p0:0", "p1:0"], rxPackets: 1000, txPackets: 990, drops: 10, busyCycles: 30_000,
                           idleCycles: 970_000, role: "rx", rings: ["rx3-w1", "rx3-w2"]),
                WorkerInfo(core: 1, queues: [], rxPackets: 600, txPackets: 600, drops: 0, busyCycles: 60_000, idleCycles: 940_000,
                           rings: ["rx3-w1"]),
                WorkerInfo(core: 2, queues: [], rxPackets: 390, txPackets: 390, drops: 0, busyCycles: 40_000, idleCycles: 960_000,
                           rings: ["rx3-w2"]),
            ]
            _drops = [
                DropCount(name: "no_route", explanation: "no route matches the destination", perWorker: [0, 0, 0]),
                DropCount(name: "ring_full", explanation: "the ring to the flow's worker was full", perWorker: [10, 0, 0]),
            ]
            _rings = [
                RingInfo(name: "rx3-w1", rxCore: 3, workerCore: 1, size: 1024, count: 0, enqueued: 600, dequeued: 600, dropped: 10),
                RingInfo(name: "rx3-w2", rxCore: 3, workerCore: 2, size: 1024, count: 5, enqueued: 390, dequeued: 385, dropped: 0),
            ]
        }
    }

    /// Pipeline mode: `packets` more through ring rx3-w1, `dropped` more refused by it.
    func advanceRing(packets: UInt64, dropped: UInt64) {
        lock.withLock {
            _now += 1
            _rings[0].enqueued += packets
            _rings[0].dequeued += packets
            _rings[0].dropped += dropped
        }
    }

    // MARK: ConsoleBackend

    func version() -> VersionInfo {
        VersionInfo(version: "0.9.0-test", dpdkVersion: "DPDK 22.11.4", startedAt: started, mainCore: 0, workerCores: [1, 2])
    }

    func sample() -> StatsSample {
        lock.withLock {
            _samples += 1
            return StatsSample(monotonicSeconds: _now, tscHz: 2_000_000_000, interfaces: _interfaces, workers: _workers, drops: _drops,
                               mempool: MempoolInfo(size: 8192, inUse: 2048, available: 6144), threading: _threading, rings: _rings)
        }
    }

    func xstats(port: String) throws -> [(name: String, value: UInt64)] {
        guard port == "p0" || port == "p1" else { throw ConsoleError("no port named \(port)") }
        return [("rx_good_packets", 1001), ("rx_good_bytes", 64064), ("rx_missed_errors", 3)]
    }

    func routes() -> [RouteInfo] { lock.withLock { _routes } }

    func lookup(_ address: IPAddress) -> RouteInfo? {
        lock.withLock { _routes.filter { $0.prefix.contains(address) }.max { $0.prefix.length < $1.prefix.length } }
    }

    func tableUsage() -> TableUsage {
        lock.withLock {
            let v4 = _routes.filter { if case .v4 = $0.prefix { return true } else { return false } }.count
            return TableUsage(ipv4Routes: v4, ipv4Capacity: 1024, ipv6Routes: _routes.count - v4, ipv6Capacity: 1024)
        }
    }

    func neighbors() -> [NeighborInfo] { lock.withLock { _neighbors } }

    func memory() -> MemoryInfo {
        MemoryInfo(mbufsTotal: 8192, mbufsInUse: 2048, mbufsFree: 6144, mbufBytes: 8192 * 2432, hugepagesTotalMB: 1024, hugepagesFreeMB: 512,
                   heapTotalBytes: 1 << 30, heapUsedBytes: 300 << 20, fibBytes: 67 << 20)
    }

    func configText() -> String { config }

    private func record(_ change: String) throws {
        try lock.withLock {
            if let refusal = _refuseNext {
                _refuseNext = nil
                throw refusal
            }
            _changes.append(change)
        }
    }

    func addRoute(_ prefix: IPPrefix, via: IPAddress) throws { try record("add \(prefix) via \(via)") }
    func addRoute(_ prefix: IPPrefix, port: String) throws { try record("add \(prefix) dev \(port)") }
    func deleteRoute(_ prefix: IPPrefix) throws { try record("del \(prefix)") }
    func addNeighbor(_ address: IPAddress, mac: MACAddress, port: String) throws { try record("neighbor \(address) \(mac) \(port)") }
    func deleteNeighbor(_ address: IPAddress) throws { try record("neighbor del \(address)") }

    /// nil: the kernel control plane is off.
    var kernelStatus: KernelStatus? {
        get { lock.withLock { _kernel } }
        set { lock.withLock { _kernel = newValue } }
    }
    private var _kernel: KernelStatus?
    func kernel() -> KernelStatus? { kernelStatus }
}

/// Log lines kept for assertions.
final class LogCapture: @unchecked Sendable {
    private let lock = NIOLock()
    private var _lines: [String] = []
    var lines: [String] { lock.withLock { _lines } }
    func append(_ line: String) { lock.withLock { _lines.append(line) } }

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(capture: self) }
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.append("\(event.level): \(event.message)")
        }
    }
}

/// One console session on an EmbeddedChannel, with the backend's changes run inline.
final class Session {
    let channel = EmbeddedChannel()
    let core: ConsoleCore
    let backend: FakeBackend
    let log = LogCapture()

    init(backend: FakeBackend = FakeBackend(), settings: ConsoleSettings = ConsoleSettings(), core: ConsoleCore? = nil) throws {
        self.backend = backend
        self.core = core ?? ConsoleCore(settings: settings, backend: backend, logger: log.logger, runner: InlineRunner(),
                                        clock: { Date(timeIntervalSince1970: 1_750_090_061) })
        try self.core.initialize(channel: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try channel.writeInbound(buffer)
    }

    /// Everything written to the client since the last read, as bytes.
    func readBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out += buffer.readableBytesView }
        return out
    }

    /// Everything written since the last read, as text with CR LF turned into LF.
    func read() throws -> String {
        String(decoding: try readBytes(), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// Sends a line and returns the answer without the prompt that follows it.
    func run(_ line: String, file: StaticString = #filePath, line testLine: UInt = #line) throws -> String {
        _ = try read()
        try send(line + "\r\n")
        let text = try read()
        XCTAssertTrue(text.hasSuffix("swiftfwd> "), "no prompt after \"\(line)\": \(text.debugDescription)", file: file, line: testLine)
        return text.hasSuffix("swiftfwd> ") ? String(text.dropLast("swiftfwd> ".count)) : text
    }

    /// Sends a line ending in json and parses the answer.
    func json(_ line: String, file: StaticString = #filePath, line testLine: UInt = #line) throws -> [String: Any] {
        let text = try run(line, file: file, line: testLine)
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            XCTFail("not a JSON object: \(text)", file: file, line: testLine)
            return [:]
        }
        return object
    }

    var isOpen: Bool { channel.isActive }
}
