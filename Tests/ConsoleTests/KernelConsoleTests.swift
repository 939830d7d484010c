@testable import Console
import Foundation
import XCTest

/// `show punt` and `show sync`: the kernel control plane's counters, and a plain sentence when
/// it is off.
final class KernelConsoleTests: XCTestCase {
    func kernelSession() throws -> Session {
        let backend = FakeBackend()
        var sync = KernelStatus.Sync()
        sync.routes = 3
        sync.neighbors = 4
        sync.resyncs = 1
        sync.overruns = 1
        sync.batches = 7
        sync.resolveRequests = 2
        sync.lastLagMicroseconds = 180
        sync.maxLagMicroseconds = 950
        sync.queued = 12
        sync.maxQueued = 40_000
        sync.largestBatch = 2500
        backend.kernelStatus = KernelStatus(
            classes: [.init(name: "arp_nd", rate: 600, burst: 60, punted: 12, policed: 0),
                      .init(name: "local", rate: 200, burst: 20, punted: 500, policed: 9500)],
            ringFull: 5,
            twins: [.init(port: "p0", interface: "p0", toKernel: 512, toKernelDropped: 0, fromKernel: 510, fromKernelDropped: 1)],
            sync: sync)
        return try Session(backend: backend)
    }

    func testShowPunt() throws {
        let s = try kernelSession()
        let text = try s.run("show punt")
        XCTAssertTrue(text.contains("class"), text)
        XCTAssertNotNil(text.range(of: #"local\s+200\s+20\s+500\s+9500"#, options: .regularExpression), text)
        XCTAssertTrue(text.contains("punt rings full: 5 packets dropped"), text)
        XCTAssertNotNil(text.range(of: #"p0\s+p0\s+512\s+0\s+510\s+1"#, options: .regularExpression), text)
        let j = try s.json("show punt json")
        XCTAssertEqual(j["enabled"] as? Bool, true)
        XCTAssertEqual(j["ring_full"] as? Int, 5)
        let classes = try XCTUnwrap(j["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.map { $0["name"] as? String }, ["arp_nd", "local"])
        XCTAssertEqual(classes[1]["policed"] as? Int, 9500)
        let twins = try XCTUnwrap(j["twins"] as? [[String: Any]])
        XCTAssertEqual(twins[0]["from_kernel_dropped"] as? Int, 1)
    }

    func testShowSync() throws {
        let s = try kernelSession()
        let text = try s.run("show sync")
        XCTAssertNotNil(text.range(of: #"routes mirrored\s+3"#, options: .regularExpression), text)
        XCTAssertNotNil(text.range(of: #"neighbors mirrored\s+4"#, options: .regularExpression), text)
        XCTAssertTrue(text.contains("1 (1 netlink overruns)"), text)
        XCTAssertTrue(text.contains("last 180 us, max 950 us"), text)
        XCTAssertTrue(text.contains("largest 2500 changes"), text)
        XCTAssertNotNil(text.range(of: #"queued\s+12 changes read and not applied yet \(at most 40000\)"#, options: .regularExpression), text)
        let j = try s.json("show sync json")
        XCTAssertEqual(j["routes"] as? Int, 3)
        XCTAssertEqual(j["resolve_requests"] as? Int, 2)
        XCTAssertEqual(j["max_lag_us"] as? Int, 950)
        XCTAssertEqual(j["queued"] as? Int, 12)
        XCTAssertEqual(j["max_queued"] as? Int, 40_000)
        XCTAssertEqual(j["largest_batch"] as? Int, 2500)
    }

    func testOffSaysSo() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show punt"), "the kernel control plane is off (kernel.enabled: false)\n")
        XCTAssertEqual(try s.run("show sync"), "the kernel control plane is off (kernel.enabled: false)\n")
        XCTAssertEqual(try s.json("show sync json")["enabled"] as? Bool, false)
    }
}
