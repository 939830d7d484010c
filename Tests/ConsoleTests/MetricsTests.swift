@testable import Console
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import XCTest

/// The Prometheus exposition and its HTTP endpoint.
final class MetricsTests: XCTestCase {
    private func server(_ backend: FakeBackend = FakeBackend()) -> MetricsServer {
        MetricsServer(settings: MetricsSettings(host: "127.0.0.1", port: 0), backend: backend, logger: LogCapture().logger)
    }

    func testExpositionHasTheCounters() {
        let text = server().render()
        let expected = [
            "# TYPE swiftfwd_port_rx_packets_total counter",
            "swiftfwd_port_rx_packets_total{port=\"p0\"} 1000",
            "swiftfwd_port_tx_packets_total{port=\"p1\"} 990",
            "swiftfwd_port_hw_rx_bytes_total{port=\"p0\"} 64064",
            "swiftfwd_port_rx_missed_total{port=\"p0\"} 3",
            "swiftfwd_worker_rx_packets_total{core=\"1\"} 1000",
            "swiftfwd_worker_busy_cycles_total{core=\"1\"} 60000",
            "# TYPE swiftfwd_worker_ipv4_fragmented_total counter",
            "swiftfwd_worker_ipv4_fragmented_total{core=\"1\"} 0",
            "swiftfwd_worker_ipv4_fragments_total{core=\"2\"} 0",
            "swiftfwd_drops_total{reason=\"no_route\",core=\"1\"} 5",
            "swiftfwd_drops_total{reason=\"no_route\",core=\"2\"} 1",
            "swiftfwd_drops_total{reason=\"eth_too_short\",core=\"1\"} 0",
            "# TYPE swiftfwd_mempool_mbufs_in_use gauge",
            "swiftfwd_mempool_mbufs_in_use 2048.0",
            "swiftfwd_routes{family=\"ipv4\"} 5.0",
            "swiftfwd_routes_capacity{family=\"ipv6\"} 1024.0",
            "swiftfwd_port_link_up{port=\"p1\"} 0.0",
            "swiftfwd_neighbors 2.0",
            "swiftfwd_build_info{version=\"0.9.0-test\",dpdk_version=\"DPDK 22.11.4\"} 1.0",
        ]
        let lines = Set(text.split(separator: "\n").map(String.init))
        for line in expected { XCTAssertTrue(lines.contains(line), "missing \(line) in\n\(text)") }
    }

    func testEveryLineIsValidTextFormat() throws {
        let text = server().render()
        let sample = try NSRegularExpression(pattern: #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.eE+]+$"#)
        var types: [String: String] = [:]
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                XCTAssertEqual(parts.count, 4, line)
                XCTAssertNil(types[String(parts[2])], "TYPE given twice for \(parts[2])")
                types[String(parts[2])] = String(parts[3])
                XCTAssertTrue(["counter", "gauge"].contains(parts[3]), line)
                continue
            }
            XCTAssertEqual(sample.numberOfMatches(in: line, range: NSRange(line.startIndex..., in: line)), 1, "not a sample line: \(line)")
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            XCTAssertNotNil(types[name], "no TYPE before \(name)")
            if types[name] == "counter" { XCTAssertTrue(name.hasSuffix("_total"), name) }
        }
        XCTAssertTrue(text.hasSuffix("\n"))
    }

    func testCountersFollowTheTotalsAcrossScrapes() {
        let backend = FakeBackend()
        let metrics = server(backend)
        _ = metrics.render()
        backend.advance(seconds: 1, packets: 500)
        let text = metrics.render()
        XCTAssertTrue(text.contains("swiftfwd_port_rx_packets_total{port=\"p0\"} 1500\n"), text)
        XCTAssertTrue(text.contains("swiftfwd_worker_rx_packets_total{core=\"1\"} 1500\n"), text)
    }

    private func http(_ request: String, on metrics: MetricsServer) throws -> (String, String) {
        let channel = EmbeddedChannel()
        try metrics.initialize(channel: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40001)).wait()
        var buffer = channel.allocator.buffer(capacity: request.utf8.count)
        buffer.writeString(request)
        try channel.writeInbound(buffer)
        var response = ""
        while let out = try channel.readOutbound(as: ByteBuffer.self) { response += String(buffer: out) }
        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive, "the connection is closed after the answer")
        let parts = response.components(separatedBy: "\r\n\r\n")
        return (parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func testHTTPEndpoint() throws {
        let metrics = server()
        let (head, body) = try http("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", on: metrics)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK"), head)
        XCTAssertTrue(head.lowercased().contains("content-type: text/plain; version=0.0.4; charset=utf-8"), head)
        XCTAssertTrue(head.lowercased().contains("content-length: \(body.utf8.count)"), head)
        XCTAssertTrue(body.contains("swiftfwd_port_rx_packets_total{port=\"p0\"} 1000"))

        let (head404, _) = try http("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n", on: metrics)
        XCTAssertTrue(head404.hasPrefix("HTTP/1.1 404 Not Found"), head404)
        let (head405, _) = try http("POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc", on: metrics)
        XCTAssertTrue(head405.hasPrefix("HTTP/1.1 405 Method Not Allowed"), head405)
        XCTAssertTrue(head405.contains("Allow: GET, HEAD"), head405)
        let (headHEAD, bodyHEAD) = try http("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", on: metrics)
        XCTAssertTrue(headHEAD.hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertEqual(bodyHEAD, "")
        let (headBad, _) = try http("\u{1}\u{2}garbage\r\n\r\n", on: metrics)
        XCTAssertTrue(headBad.hasPrefix("HTTP/1.1 400 Bad Request"), headBad)
    }
}
