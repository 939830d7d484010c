import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `metrics.listen`: HTTP GET /metrics in the Prometheus text format, with the same counters
/// the console shows (as totals since start: Prometheus computes rates itself, and
/// `clear counters` does not apply here, since a Prometheus counter must never go down).
///
/// The exposition is written by swift-prometheus (swift-server/swift-prometheus): it does the
/// escaping, HELP/TYPE lines and families. Its counters can only be incremented, while ours
/// are totals read from the data plane, so each scrape resets every counter and adds the
/// current total, under one lock with the emission, so no scrape sees a half-updated set.
public final class MetricsServer: Sendable {
    public let settings: MetricsSettings
    let backend: any ConsoleBackend
    let logger: Logger
    private let registry = PrometheusCollectorRegistry()
    private let renderLock = NIOLock()
    private let state = NIOLockedValueBox<(channel: Channel?, connections: Int)>((nil, 0))

    public init(settings: MetricsSettings, backend: any ConsoleBackend, logger: Logger) {
        self.settings = settings
        self.backend = backend
        self.logger = logger
    }

    public var localAddress: SocketAddress? { state.withLockedValue { $0.channel?.localAddress } }

    public func start(group: EventLoopGroup) throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 32)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.initialize(channel: channel) }
            }
        let channel: Channel
        do {
            channel = try bootstrap.bind(host: settings.host, port: settings.port).wait()
        } catch {
            throw ConsoleError("the metrics endpoint cannot listen on \(hostPort(settings.host, settings.port)): \(error) (check metrics.listen)")
        }
        state.withLockedValue { $0.channel = channel }
        let bound = channel.localAddress?.port ?? settings.port
        logger.info("metrics listening on http://\(hostPort(settings.host, bound))/metrics")
        if !isLoopback(settings.host) {
            logger.warning("the metrics endpoint listens on \(settings.host), which is not a loopback address")
        }
    }

    public func stop() {
        let channel = state.withLockedValue { value -> Channel? in
            defer { value.channel = nil }
            return value.channel
        }
        try? channel?.close().wait()
    }

    func initialize(channel: Channel) throws {
        let admitted = state.withLockedValue { value -> Bool in
            guard value.connections < settings.maxConnections else { return false }
            value.connections += 1
            return true
        }
        guard admitted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [state] _ in state.withLockedValue { $0.connections -= 1 } }
        let pipeline = channel.pipeline.syncOperations
        // A scraper that connects and says nothing is closed after 10 s.
        try pipeline.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
        try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
        try pipeline.addHandler(MetricsHTTPHandler(server: self))
    }

    // MARK: The exposition

    /// The text a scrape returns.
    public func render() -> String {
        String(decoding: renderBytes(), as: UTF8.self)
    }

    func renderBytes() -> [UInt8] {
        let sample = backend.sample()
        let usage = backend.tableUsage()
        let neighbors = backend.neighbors().count
        let version = backend.version()
        return renderLock.withLock {
            update(sample: sample, usage: usage, neighbors: neighbors, version: version)
            return registry.emitToBuffer()
        }
    }

    private func counter(_ name: String, _ labels: [(String, String)], _ value: UInt64, _ help: String) {
        let c = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
        c.reset()
        c.increment(by: Int64(clamping: value))
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels).set(to: value)
    }

    private func update(sample: StatsSample, usage: TableUsage, neighbors: Int, version: VersionInfo) {
        gauge("swiftfwd_build_info", [("version", version.version), ("dpdk_version", version.dpdkVersion)], 1,
              "Always 1; the labels name the swiftfwd and DPDK versions.")
        gauge("swiftfwd_start_time_seconds", [], version.startedAt.timeIntervalSince1970, "When swiftfwd started, in seconds since the Unix epoch.")
        for port in sample.interfaces {
            let l = [("port", port.name)]
            let c = port.counters
            counter("swiftfwd_port_rx_packets_total", l, c.rxPackets, "Packets received by the workers from the port.")
            counter("swiftfwd_port_rx_bytes_total", l, c.rxBytes, "Bytes received by the workers from the port.")
            counter("swiftfwd_port_tx_packets_total", l, c.txPackets, "Packets the port accepted for transmission from the workers.")
            counter("swiftfwd_port_tx_bytes_total", l, c.txBytes, "Bytes the port accepted for transmission from the workers.")
            counter("swiftfwd_port_hw_rx_packets_total", l, c.hwRxPackets, "Packets received, as counted by the driver (ipackets).")
            counter("swiftfwd_port_hw_rx_bytes_total", l, c.hwRxBytes, "Bytes received, as counted by the driver (ibytes).")
            counter("swiftfwd_port_hw_tx_packets_total", l, c.hwTxPackets, "Packets sent, as counted by the driver (opackets).")
            counter("swiftfwd_port_hw_tx_bytes_total", l, c.hwTxBytes, "Bytes sent, as counted by the driver (obytes).")
            counter("swiftfwd_port_rx_missed_total", l, c.imissed, "Packets the NIC dropped because the RX ring was full (imissed).")
            counter("swiftfwd_port_rx_errors_total", l, c.ierrors, "Erroneous packets received (ierrors).")
            counter("swiftfwd_port_tx_errors_total", l, c.oerrors, "Packets that failed to transmit (oerrors).")
            counter("swiftfwd_port_rx_nombuf_total", l, c.rxNoMbuf, "RX mbuf allocation failures (rx_nombuf).")
            gauge("swiftfwd_port_link_up", l, port.linkUp ? 1 : 0, "1 when the port's link is up.")
            gauge("swiftfwd_port_speed_mbps", l, Double(port.speedMbps), "Link speed in Mbit/s (0 when unknown).")
        }
        for w in sample.workers {
            let l = [("core", "\(w.core)")]
            counter("swiftfwd_worker_rx_packets_total", l, w.rxPackets, "Packets the worker received.")
            counter("swiftfwd_worker_tx_packets_total", l, w.txPackets, "Packets the worker transmitted.")
            counter("swiftfwd_worker_drops_total", l, w.drops, "Packets the worker dropped, all reasons.")
            counter("swiftfwd_worker_busy_cycles_total", l, w.busyCycles, "TSC cycles in polls that received packets.")
            counter("swiftfwd_worker_idle_cycles_total", l, w.idleCycles, "TSC cycles in polls that received nothing.")
            counter("swiftfwd_worker_ipv4_fragmented_total", l, w.ipv4Fragmented,
                    "IPv4 packets the worker split into fragments (larger than the egress MTU, DF clear).")
            counter("swiftfwd_worker_ipv4_fragments_total", l, w.ipv4Fragments, "Fragments the worker made of them (also in tx packets).")
        }
        // Pipeline mode only: one series per ring (none in run-to-completion).
        for r in sample.rings {
            let l = [("ring", r.name), ("rx_core", "\(r.rxCore)"), ("worker_core", "\(r.workerCore)")]
            counter("swiftfwd_ring_enqueued_total", l, r.enqueued, "Packets a receive core handed to a worker over the ring.")
            counter("swiftfwd_ring_dequeued_total", l, r.dequeued, "Packets the worker took from the ring.")
            counter("swiftfwd_ring_dropped_total", l, r.dropped, "Packets freed because the ring was full (ring_full).")
            gauge("swiftfwd_ring_packets", l, Double(r.count), "Packets in the ring at the moment of the scrape.")
            gauge("swiftfwd_ring_size", l, Double(r.size), "Packets the ring holds when full.")
        }
        gauge("swiftfwd_tsc_hz", [], Double(sample.tscHz), "TSC frequency, to turn cycles into seconds.")
        for drop in sample.drops {
            for (i, w) in sample.workers.enumerated() where i < drop.perWorker.count {
                counter("swiftfwd_drops_total", [("reason", drop.name), ("core", "\(w.core)")], drop.perWorker[i],
                        "Packets dropped, by reason and worker core (see show errors).")
            }
        }
        gauge("swiftfwd_mempool_mbufs", [], Double(sample.mempool.size), "Mbufs in the pool.")
        gauge("swiftfwd_mempool_mbufs_in_use", [], Double(sample.mempool.inUse), "Mbufs taken from the pool.")
        gauge("swiftfwd_mempool_mbufs_available", [], Double(sample.mempool.available), "Mbufs free in the pool.")
        gauge("swiftfwd_routes", [("family", "ipv4")], Double(usage.ipv4Routes), "Routes in the forwarding table.")
        gauge("swiftfwd_routes", [("family", "ipv6")], Double(usage.ipv6Routes), "Routes in the forwarding table.")
        gauge("swiftfwd_routes_capacity", [("family", "ipv4")], Double(usage.ipv4Capacity), "Routes the forwarding table can hold.")
        gauge("swiftfwd_routes_capacity", [("family", "ipv6")], Double(usage.ipv6Capacity), "Routes the forwarding table can hold.")
        gauge("swiftfwd_neighbors", [], Double(neighbors), "Neighbor entries.")
    }
}

/// Answers one HTTP request per connection: GET /metrics, or 404/405.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: MetricsServer
    private var head: HTTPRequestHead?

    init(server: MetricsServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body:
            break                                   // a body is never needed; it is not kept
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context, head)
        }
    }

    /// A malformed request was already answered with 400 by NIO's protocol error handler.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        var status = HTTPResponseStatus.ok
        var body: [UInt8]
        var contentType = "text/plain; charset=utf-8"
        var extra: [(String, String)] = []
        switch (head.method, path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            body = server.renderBytes()
            contentType = "text/plain; version=0.0.4; charset=utf-8"
        case (.GET, "/"), (.HEAD, "/"):
            body = Array("swiftfwd metrics: GET /metrics\n".utf8)
        case (.GET, _), (.HEAD, _):
            status = .notFound
            body = Array("not found; the metrics are at /metrics\n".utf8)
        default:
            status = .methodNotAllowed
            body = Array("only GET and HEAD are served\n".utf8)
            extra.append(("Allow", "GET, HEAD"))
        }
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)"), ("Connection", "close")])
        for (name, value) in extra { headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        body = []
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
