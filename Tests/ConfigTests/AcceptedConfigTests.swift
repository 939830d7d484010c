import XCTest
import Packet
@testable import Config

/// Configurations that must be accepted, and the values and defaults they resolve to.
final class AcceptedConfigTests: XCTestCase {
    func testMinimalConfigTakesEveryDocumentedDefault() throws {
        let config = try accepted("""
        ports:
          - name: wan
            device: net_null0,no-rx=1
        """)
        XCTAssertEqual(config.sourceFile, "test.yaml")
        XCTAssertEqual(config.eal.mainCore, 0)
        XCTAssertEqual(config.eal.workerCores, [1])
        XCTAssertEqual(config.eal.memoryMB, 4096)
        XCTAssertEqual(config.eal.hugepages, .auto)
        XCTAssertEqual(config.eal.filePrefix, "swiftfwd")
        XCTAssertEqual(config.eal.maxSIMDBitwidth, 512)
        XCTAssertEqual(config.eal.extraArgs, [])
        XCTAssertNil(config.mempool.mbufs)
        XCTAssertEqual(config.mempool.cacheSize, 256)
        XCTAssertEqual(config.mempool.dataRoom, 2176)
        XCTAssertEqual(config.fib.ipv4MaxRoutes, 1_300_000)
        XCTAssertEqual(config.fib.ipv4Tbl8Groups, 65536)
        XCTAssertEqual(config.fib.ipv6MaxRoutes, 330_000)
        XCTAssertEqual(config.fib.ipv6Tbl8Groups, 524_288)
        XCTAssertEqual(config.log.level, "info")
        XCTAssertEqual(config.routes.count, 0)
        XCTAssertEqual(config.neighbors.count, 0)
        let port = try XCTUnwrap(config.ports.first)
        XCTAssertEqual(port.name, "wan")
        XCTAssertEqual(port.device, "net_null0,no-rx=1")
        XCTAssertNil(port.mac)
        XCTAssertEqual(port.rxQueues, 1)
        XCTAssertEqual(port.txQueues, 1)
        XCTAssertEqual(port.rxDescriptors, 1024)
        XCTAssertEqual(port.txDescriptors, 1024)
        XCTAssertEqual(port.mtu, 1500)
        XCTAssertFalse(port.promiscuous)
        XCTAssertEqual(port.addresses, [])
        XCTAssertEqual(config.queueMap, [QueueAssignment(core: 1, port: 0, queue: 0)])
    }

    func testExampleFileLoadsWithEverySection() throws {
        let path = try XCTUnwrap(repositoryFile("config/example.yaml"), "config/example.yaml not found")
        let config = try ConfigLoader.load(path: path)
        XCTAssertEqual(config.sourceFile, path)
        XCTAssertEqual(config.eal.workerCores, [1, 2])
        XCTAssertEqual(config.eal.filePrefix, "swiftfwd-example")
        XCTAssertEqual(config.eal.extraArgs, ["--log-level=pmd.net.af_packet:info"])
        XCTAssertEqual(config.fib.ipv4MaxRoutes, 1024)
        XCTAssertEqual(config.ports.map(\.name), ["left", "right"])
        XCTAssertEqual(config.ports[0].mac, MACAddress("02:00:00:00:00:01"))
        XCTAssertEqual(config.ports[0].txQueues, 2, "tx_queues defaults to the worker count")
        XCTAssertEqual(config.ports[1].rxQueues, 2)
        XCTAssertEqual(config.ports[0].addresses, [InterfaceAddress("198.18.0.1/24")!, InterfaceAddress("2001:db8:0:1::1/64")!])
        XCTAssertEqual(config.queueMap, QueueSpread.deal(ports: config.ports, workerCores: config.eal.workerCores),
                       "the example's explicit map is the default spread")
        XCTAssertEqual(config.routes.map(\.prefix), [IPPrefix("198.18.4.0/24")!, IPPrefix("2001:db8:4::/48")!, IPPrefix("198.18.8.0/24")!])
        XCTAssertEqual(config.routes.map(\.nextHop), [.via(IPAddress("198.18.1.2")!), .via(IPAddress("2001:db8:0:2::2")!), .dev(0)])
        XCTAssertEqual(config.neighbors.map(\.port), [1, 1, 0])
        XCTAssertEqual(config.neighbors[0].mac, MACAddress("02:00:00:00:01:02"))
    }

    func testExampleFileUsesOnlyDocumentationAddresses() throws {
        // The example must never name a real network: only 198.18.0.0/15 (RFC 2544) and
        // 2001:db8::/32 (RFC 3849).
        let config = try ConfigLoader.load(path: try XCTUnwrap(repositoryFile("config/example.yaml")))
        let allowed = [IPPrefix("198.18.0.0/15")!, IPPrefix("2001:db8::/32")!]
        var addresses = config.ports.flatMap { $0.addresses.map(\.address) } + config.neighbors.map(\.address)
        for route in config.routes {
            if case .via(let a) = route.nextHop { addresses.append(a) }
            switch route.prefix {
            case .v4(let p): addresses.append(.v4(p.address))
            case .v6(let p): addresses.append(.v6(p.address))
            }
        }
        for a in addresses { XCTAssertTrue(allowed.contains { $0.contains(a) }, "\(a) is outside the documentation ranges") }
    }

    func testDefaultQueueSpreadDealsPortQueuesRoundRobinToWorkers() throws {
        let config = try accepted("""
        eal:
          worker_cores: [3, 5]
        ports:
          - name: a
            device: net_null0
            rx_queues: 3
            tx_queues: 2
          - name: b
            device: net_null1
            rx_queues: 2
        """)
        XCTAssertEqual(config.queueMap, [
            QueueAssignment(core: 3, port: 0, queue: 0),
            QueueAssignment(core: 5, port: 0, queue: 1),
            QueueAssignment(core: 3, port: 0, queue: 2),
            QueueAssignment(core: 5, port: 1, queue: 0),
            QueueAssignment(core: 3, port: 1, queue: 1),
        ])
        XCTAssertEqual(config.ports[1].txQueues, 2)
    }

    func testExplicitQueueMapIsKeptInFileOrder() throws {
        let config = try accepted("""
        eal: { worker_cores: [1, 2] }
        ports:
          - { name: a, device: net_null0, rx_queues: 2 }
        queue_map:
          - { core: 2, port: a, queue: 1 }
          - { core: 2, port: a, queue: 0 }
        """)
        XCTAssertEqual(config.queueMap, [QueueAssignment(core: 2, port: 0, queue: 1), QueueAssignment(core: 2, port: 0, queue: 0)])
    }

    func testScalarSpellings() throws {
        let config = try accepted("""
        eal:
          main_core: 2
          worker_cores: [0, 1]
          hugepages: false
          max_simd_bitwidth: 256
        mempool:
          mbufs: 65_536
          cache_size: 0
        fib:
          ipv4_max_routes: 1_000_000
        ports:
          - name: p0
            device: "0000:03:00.0"
            promiscuous: true
            mac: 02-AB-cd-00-00-01
        log:
          level: debug
        """)
        XCTAssertEqual(config.eal.hugepages, .off)
        XCTAssertEqual(config.eal.maxSIMDBitwidth, 256)
        XCTAssertEqual(config.mempool.mbufs, 65536)
        XCTAssertEqual(config.mempool.cacheSize, 0)
        XCTAssertEqual(config.fib.ipv4MaxRoutes, 1_000_000)
        XCTAssertTrue(config.ports[0].promiscuous)
        XCTAssertEqual(config.ports[0].mac, MACAddress("02:ab:cd:00:00:01"))
        XCTAssertEqual(config.log.level, "debug")
        XCTAssertEqual(config.queueMap.map(\.core), [0])
    }

    func testHugepagesAcceptsAutoTrueAndFalse() throws {
        for (text, mode) in [("auto", HugepageMode.auto), ("true", .on), ("false", .off)] {
            let config = try accepted("eal: { hugepages: \(text) }\nports: [{ name: a, device: net_null0 }]")
            XCTAssertEqual(config.eal.hugepages, mode, text)
        }
    }

    func testEmptySectionsTakeTheirDefaults() throws {
        // A section whose entries are all commented out is YAML null, and means "defaults".
        let config = try accepted("""
        eal:
        mempool:
        routes:
        neighbors:
        ports:
          - name: a
            device: net_null0
        """)
        XCTAssertEqual(config.eal.workerCores, [1])
        XCTAssertEqual(config.routes.count, 0)
    }

    func testInterfaceAddressEdgeCasesThatAreAllowed() throws {
        // A /31 has no network or broadcast address (RFC 3021), and a /32 is a lone host.
        let config = try accepted("""
        ports:
          - name: a
            device: net_null0
            addresses: [198.18.0.0/31, 198.18.0.3/31, 198.18.9.0/32, "2001:db8::/64", "fe80::1/64"]
        """)
        XCTAssertEqual(config.ports[0].addresses.count, 5)
    }

    func testRouteAndNeighborResolution() throws {
        let config = try accepted("""
        ports:
          - { name: a, device: net_null0, addresses: [198.18.0.1/24] }
          - { name: b, device: net_null1, addresses: ["2001:db8:1::1/64"] }
        routes:
          - { prefix: 0.0.0.0/0, via: 198.18.0.254 }
          - { prefix: "::/0", via: "2001:db8:1::fe" }
          - { prefix: "2001:db8:9::/48", dev: a }
        neighbors:
          - { address: 198.18.0.254, mac: "02:00:00:00:00:fe", port: a }
          - { address: "2001:db8:9::5", mac: "02:00:00:00:00:05", port: a }
        """)
        XCTAssertEqual(config.routes.map(\.nextHop), [.via(IPAddress("198.18.0.254")!), .via(IPAddress("2001:db8:1::fe")!), .dev(0)])
        XCTAssertEqual(config.neighbors.map(\.port), [0, 0], "an IPv6 neighbor is allowed on a port with an IPv6 dev route")
    }

    func testLoadReportsAMissingFileAtLineZero() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/swiftfwd.yaml")) { error in
            let e = error as? ConfigError
            XCTAssertEqual(e?.line, 0)
            XCTAssertEqual(e?.column, 0)
            XCTAssertEqual(e?.description, "/nonexistent/swiftfwd.yaml:0:0: the configuration file does not exist")
        }
    }

    func testDescriptionIsFileLineColumnKeyPathMessage() {
        let e = ConfigError(file: "a.yaml", line: 7, column: 5, keyPath: "ports[0].mtu", message: "expected an integer")
        XCTAssertEqual(e.description, "a.yaml:7:5: ports[0].mtu: expected an integer")
    }
}
