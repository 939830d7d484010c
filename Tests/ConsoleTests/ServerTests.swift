@testable import Console
import Foundation
import NIOCore
import NIOPosix
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The servers on real loopback sockets: binding, logging, the control queue, HTTP.
final class ServerTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    func testConsoleOverTCP() throws {
        let backend = FakeBackend()
        let log = LogCapture()
        let server = ConsoleServer(settings: ConsoleSettings(host: "127.0.0.1", port: 0), backend: backend, logger: log.logger)
        try server.start(group: group)
        defer { server.stop() }
        let port = try XCTUnwrap(server.localAddress?.port)
        XCTAssertTrue(log.lines.contains("info: console listening on 127.0.0.1:\(port)"), "\(log.lines)")

        let client = try LoopbackClient(port: port)
        XCTAssertTrue(try client.read(until: "swiftfwd> ").contains("console. Type \"help\""))
        client.send("show version\r\n")
        XCTAssertTrue(try client.read(until: "swiftfwd> ").contains("DPDK 22.11.4"))
        // A change runs on the control queue and is answered from the event loop.
        client.send("route add 198.18.16.0/24 via 198.18.1.2\r\n")
        XCTAssertTrue(try client.read(until: "swiftfwd> ").contains("route 198.18.16.0/24 via 198.18.1.2 added"))
        XCTAssertEqual(backend.changes, ["add 198.18.16.0/24 via 198.18.1.2"])
        XCTAssertGreaterThanOrEqual(backend.sampleCount, 1, "the sampler took its first sample at start")
        client.send("quit\r\n")
        XCTAssertTrue(try client.read(until: "bye\r\n").hasSuffix("bye\r\n"))
        XCTAssertTrue(client.readsEndOfFile())
    }

    func testStopClosesSessions() throws {
        let server = ConsoleServer(settings: ConsoleSettings(host: "127.0.0.1", port: 0), backend: FakeBackend(), logger: LogCapture().logger)
        try server.start(group: group)
        let client = try LoopbackClient(port: try XCTUnwrap(server.localAddress?.port))
        _ = try client.read(until: "swiftfwd> ")
        server.stop()
        XCTAssertTrue(client.readsEndOfFile())
    }

    func testBindFailureIsASentence() throws {
        let first = ConsoleServer(settings: ConsoleSettings(host: "127.0.0.1", port: 0), backend: FakeBackend(), logger: LogCapture().logger)
        try first.start(group: group)
        defer { first.stop() }
        let port = try XCTUnwrap(first.localAddress?.port)
        let second = ConsoleServer(settings: ConsoleSettings(host: "127.0.0.1", port: port), backend: FakeBackend(), logger: LogCapture().logger)
        XCTAssertThrowsError(try second.start(group: group)) { error in
            let message = (error as? ConsoleError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("the console cannot listen on 127.0.0.1:\(port): "), message)
            XCTAssertTrue(message.hasSuffix("(check console.listen)"), message)
        }
    }

    func testMetricsOverHTTP() throws {
        let log = LogCapture()
        let metrics = MetricsServer(settings: MetricsSettings(host: "127.0.0.1", port: 0), backend: FakeBackend(), logger: log.logger)
        try metrics.start(group: group)
        defer { metrics.stop() }
        let port = try XCTUnwrap(metrics.localAddress?.port)
        XCTAssertTrue(log.lines.contains("info: metrics listening on http://127.0.0.1:\(port)/metrics"), "\(log.lines)")
        let client = try LoopbackClient(port: port)
        client.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let response = try client.readAll()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK"), response)
        XCTAssertTrue(response.contains("swiftfwd_port_rx_packets_total{port=\"p0\"} 1000\n"))
    }

    func testLoopbackHosts() {
        XCTAssertTrue(isLoopback("127.0.0.1"))
        XCTAssertTrue(isLoopback("127.1.2.3"))
        XCTAssertTrue(isLoopback("::1"))
        XCTAssertFalse(isLoopback("0.0.0.0"))
        XCTAssertFalse(isLoopback("::"))
        XCTAssertFalse(isLoopback("198.18.0.1"))
        XCTAssertFalse(isLoopback("localhost"), "names are not looked up")
        XCTAssertEqual(hostPort("::1", 5002), "[::1]:5002")
        XCTAssertEqual(hostPort("127.0.0.1", 5002), "127.0.0.1:5002")
    }
}

/// A blocking TCP client on 127.0.0.1 with a receive timeout, as plain as telnet or nc.
final class LoopbackClient {
    private let fd: Int32

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw ConsoleError("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    private var received: [UInt8] = []

    /// Reads until `marker` has arrived; returns everything up to and including it.
    func read(until marker: String) throws -> String {
        let want = Array(marker.utf8)
        while true {
            if let range = find(want) {
                let text = String(decoding: received[..<range], as: UTF8.self)
                received.removeSubrange(..<range)
                return text
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw ConsoleError("connection ended or timed out before \(marker.debugDescription); got \(String(decoding: received, as: UTF8.self).debugDescription)") }
            received += chunk[..<n]
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard received.count >= needle.count else { return nil }
        for start in 0...(received.count - needle.count) where Array(received[start..<start + needle.count]) == needle {
            return start + needle.count
        }
        return nil
    }

    func readAll() throws -> String {
        while true {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw ConsoleError("timed out") }
            received += chunk[..<n]
        }
        defer { received.removeAll() }
        return String(decoding: received, as: UTF8.self)
    }

    /// True when the server closed the connection (within the timeout).
    func readsEndOfFile() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return false }
        }
    }
}
