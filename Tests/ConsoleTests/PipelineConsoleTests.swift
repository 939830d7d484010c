@testable import Console
import Foundation
import XCTest

/// What the console shows of the threading mode: `show workers` with roles and rings in
/// pipeline mode, `show rings`, and the RSS hash fields in `show interfaces`.
final class PipelineConsoleTests: XCTestCase {
    func pipelineSession() throws -> Session {
        let backend = FakeBackend()
        backend.usePipeline()
        return try Session(backend: backend)
    }

    func testShowWorkersInPipelineMode() throws {
        let s = try pipelineSession()
        XCTAssertEqual(try s.run("show workers"), """
        threading: pipeline (receive cores hand packets to workers over rings of 1024, in bursts of up to 32)
        core  role    queues     rings          rx packets  tx packets  drops  busy  cycles/packet  Mpps
           3  rx      p0:0 p1:0  rx3-w1 rx3-w2        1000         990     10  0.0%              -  0.00
           1  worker  -          rx3-w1                600         600      0  0.0%              -  0.00
           2  worker  -          rx3-w2                390         390      0  0.0%              -  0.00
        (rates need a second sample; try again in a second)
        (an rx core's rx is what it received, tx what it handed to workers, drops ring_full; a worker's rx is what it took from its rings)

        """)
        let j = try s.json("show workers json")
        let threading = try XCTUnwrap(j["threading"] as? [String: Any])
        XCTAssertEqual(threading["mode"] as? String, "pipeline")
        XCTAssertEqual(threading["ring_size"] as? Int, 1024)
        XCTAssertEqual(threading["ring_burst"] as? Int, 32)
        let workers = try XCTUnwrap(j["workers"] as? [[String: Any]])
        XCTAssertEqual(workers.map { $0["role"] as? String }, ["rx", "worker", "worker"])
        XCTAssertEqual(workers[0]["queues"] as? [String], ["p0:0", "p1:0"])
        XCTAssertEqual(workers[0]["rings"] as? [String], ["rx3-w1", "rx3-w2"])
        XCTAssertEqual(workers[1]["queues"] as? [String], [])
        XCTAssertEqual(workers[2]["rings"] as? [String], ["rx3-w2"])
    }

    func testShowWorkersJSONNamesTheModeInRunToCompletion() throws {
        let s = try Session()
        let j = try s.json("show workers json")
        let threading = try XCTUnwrap(j["threading"] as? [String: Any])
        XCTAssertEqual(threading["mode"] as? String, "run-to-completion")
        XCTAssertNil(threading["ring_size"], "no rings in run-to-completion")
        let workers = try XCTUnwrap(j["workers"] as? [[String: Any]])
        XCTAssertEqual(workers.map { $0["role"] as? String }, ["worker", "worker"])
        XCTAssertEqual(workers[0]["rings"] as? [String], [])
    }

    func testShowRings() throws {
        let s = try pipelineSession()
        XCTAssertEqual(try s.run("show rings"), """
        threading: pipeline (receive cores hand packets to workers over rings of 1024, in bursts of up to 32)
        ring    from        to  size  in ring  enqueued  dequeued  dropped
        rx3-w1  rx 3  worker 1  1024        0       600       600       10
        rx3-w2  rx 3  worker 2  1024        5       390       385        0
        (dropped: the ring was full, counted as ring_full; in ring: now)

        """)
        let j = try s.json("show rings json")
        let rings = try XCTUnwrap(j["rings"] as? [[String: Any]])
        XCTAssertEqual(rings.count, 2)
        XCTAssertEqual(rings[1]["name"] as? String, "rx3-w2")
        XCTAssertEqual(rings[1]["rx_core"] as? Int, 3)
        XCTAssertEqual(rings[1]["worker_core"] as? Int, 2)
        XCTAssertEqual(rings[1]["size"] as? Int, 1024)
        XCTAssertEqual(rings[1]["count"] as? Int, 5)
        XCTAssertEqual(rings[1]["enqueued"] as? Int, 390)
        XCTAssertEqual(rings[1]["dequeued"] as? Int, 385)
        XCTAssertEqual(rings[0]["dropped"] as? Int, 10)
        XCTAssertEqual((j["threading"] as? [String: Any])?["mode"] as? String, "pipeline")
    }

    func testShowRingsInRunToCompletion() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show rings"), """
        threading: run-to-completion
        no rings: only pipeline mode has rings (threading.mode: pipeline)

        """)
        let j = try s.json("show rings json")
        XCTAssertEqual((j["rings"] as? [Any])?.count, 0)
    }

    func testClearCountersAppliesToRings() throws {
        let s = try pipelineSession()
        _ = try s.run("clear counters")
        s.backend.advanceRing(packets: 7, dropped: 2)
        let rings = try XCTUnwrap(try s.json("show rings json")["rings"] as? [[String: Any]])
        XCTAssertEqual(rings[0]["enqueued"] as? Int, 7)
        XCTAssertEqual(rings[0]["dequeued"] as? Int, 7)
        XCTAssertEqual(rings[0]["dropped"] as? Int, 2)
        XCTAssertEqual(rings[0]["size"] as? Int, 1024, "the size is not a counter")
        XCTAssertEqual(rings[1]["count"] as? Int, 5, "occupancy is shown as it is now")
    }

    func testShowRingsWordsAndHelp() throws {
        let s = try pipelineSession()
        XCTAssertEqual(try s.run("sh ri"), try s.run("show rings"))
        XCTAssertEqual(try s.run("sh r"), "error: ambiguous command \"sh r\": did you mean \"show rings\", \"show routes\" or \"show route\"?\n")
        XCTAssertEqual(try s.run("show rings extra"), "error: unexpected \"extra\" after show rings; usage: show rings [json]\n")
        XCTAssertTrue(try s.run("help show rings").hasPrefix("usage: show rings [json]\n"))
        XCTAssertTrue(try s.run("help").contains("show rings"))
    }

    func testShowInterfacesGivesQueuesAndRSS() throws {
        let backend = FakeBackend()
        let s = try Session(backend: backend)
        XCTAssertTrue(try s.run("show interfaces p0").contains("  rx queues  1, RSS off\n"))
        let j = try s.json("show interfaces json")
        let ports = try XCTUnwrap(j["interfaces"] as? [[String: Any]])
        XCTAssertEqual(ports[0]["rx_queues"] as? Int, 1)
        XCTAssertEqual(ports[0]["rss_hash"] as? [String], [])

        var port = backend.sample().interfaces[0]
        port.rxQueues = 4
        port.rssHash = ["ipv4", "ipv6", "tcp", "udp"]
        let sample = StatsSample(monotonicSeconds: 1, tscHz: 1, interfaces: [port], workers: [], drops: [],
                                 mempool: MempoolInfo(size: 1, inUse: 0, available: 1))
        let view = StatsHistory().view(now: sample)
        XCTAssertTrue(Views.interfaces(view, only: nil, json: false).contains("  rx queues  4, RSS on ipv4 ipv6 tcp udp\n"))
        let parsed = try JSONSerialization.jsonObject(with: Data(Views.interfaces(view, only: nil, json: true).utf8)) as? [String: Any]
        let listed = try XCTUnwrap(parsed?["interfaces"] as? [[String: Any]])
        XCTAssertEqual(listed[0]["rss_hash"] as? [String], ["ipv4", "ipv6", "tcp", "udp"])
        XCTAssertEqual(listed[0]["rx_queues"] as? Int, 4)
    }

    func testShowVersionListsReceiveCores() {
        let v = VersionInfo(version: "1", dpdkVersion: "DPDK 22.11", startedAt: Date(timeIntervalSince1970: 0), mainCore: 0,
                            workerCores: [1], rxCores: [2])
        let text = Views.version(v, now: Date(timeIntervalSince1970: 60), json: false)
        XCTAssertTrue(text.contains("main 0, workers 1, rx 2"), text)
    }

    func testMetricsHaveTheRingsOnlyInPipelineMode() {
        let backend = FakeBackend()
        let plain = MetricsServer(settings: MetricsSettings(host: "127.0.0.1", port: 0), backend: backend, logger: LogCapture().logger).render()
        XCTAssertFalse(plain.contains("swiftfwd_ring_"), plain)
        backend.usePipeline()
        let text = MetricsServer(settings: MetricsSettings(host: "127.0.0.1", port: 0), backend: backend, logger: LogCapture().logger).render()
        let lines = Set(text.split(separator: "\n").map(String.init))
        for line in ["swiftfwd_ring_enqueued_total{ring=\"rx3-w2\",rx_core=\"3\",worker_core=\"2\"} 390",
                     "swiftfwd_ring_dequeued_total{ring=\"rx3-w2\",rx_core=\"3\",worker_core=\"2\"} 385",
                     "swiftfwd_ring_dropped_total{ring=\"rx3-w1\",rx_core=\"3\",worker_core=\"1\"} 10",
                     "swiftfwd_ring_packets{ring=\"rx3-w2\",rx_core=\"3\",worker_core=\"2\"} 5.0",
                     "swiftfwd_ring_size{ring=\"rx3-w1\",rx_core=\"3\",worker_core=\"1\"} 1024.0",
                     "swiftfwd_drops_total{reason=\"ring_full\",core=\"3\"} 10"] {
            XCTAssertTrue(lines.contains(line), "missing \(line) in\n\(text)")
        }
    }
}
