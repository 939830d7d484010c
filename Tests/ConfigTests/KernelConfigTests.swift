import XCTest
import Forwarding
@testable import Config

/// The kernel section: off by default, SONiC-like policer defaults, every key read, bad values
/// refused with their place.
final class KernelConfigTests: XCTestCase {
    private let port = "ports: [{ name: a, device: net_null0 }]\n"

    func testDefaults() throws {
        let kernel = try accepted(port).kernel
        XCTAssertFalse(kernel.enabled)
        XCTAssertEqual(kernel.puntRingSize, 1024)
        XCTAssertEqual(kernel.policer[.routingProtocol], KernelConfig.Limit(rate: 6000, burst: 600))
        XCTAssertEqual(kernel.policer[.neighborDiscovery], KernelConfig.Limit(rate: 600, burst: 60))
        XCTAssertEqual(kernel.policer[.other], KernelConfig.Limit(rate: 600, burst: 60))
        XCTAssertEqual(kernel.policer[.local], KernelConfig.Limit(rate: 6000, burst: 600))
        XCTAssertEqual(kernel.table, 254, "the main table")
    }

    func testTable() throws {
        XCTAssertEqual(try accepted(port + "kernel:\n  table: 100\n").kernel.table, 100)
        let local = try XCTUnwrap(refusal(port + "kernel:\n  table: 255\n"))
        XCTAssertEqual(local.keyPath, "kernel.table")
        XCTAssertTrue(local.message.contains("other than 255"), local.message)
        let zero = try XCTUnwrap(refusal(port + "kernel:\n  table: 0\n"))
        XCTAssertEqual(zero.keyPath, "kernel.table")
    }

    func testEverySettingIsRead() throws {
        let kernel = try accepted(port + """
        kernel:
          enabled: true
          punt_ring_size: 256
          policer:
            arp_nd: {rate: 100}
            local: {rate: 50, burst: 5}
        """).kernel
        XCTAssertTrue(kernel.enabled)
        XCTAssertEqual(kernel.puntRingSize, 256)
        XCTAssertEqual(kernel.policer[.neighborDiscovery], KernelConfig.Limit(rate: 100, burst: 60), "burst keeps its default")
        XCTAssertEqual(kernel.policer[.local], KernelConfig.Limit(rate: 50, burst: 5))
        XCTAssertEqual(kernel.policer[.routingProtocol], KernelConfig.Limit(rate: 6000, burst: 600), "untouched class")
    }

    func testBadValuesAreRefused() {
        let cases: [(String, Int, String, String)] = [
            ("kernel:\n  punt_ring_size: 1000\n", 3, "kernel.punt_ring_size", "expected a power of two between 64 and 65536, found 1000"),
            ("kernel:\n  punt_ring_size: 32\n", 3, "kernel.punt_ring_size", "between 64 and 65536"),
            ("kernel:\n  enabled: yes please\n", 3, "kernel.enabled", "true or false"),
            ("kernel:\n  policer:\n    bgp: {rate: 1}\n", 4, "kernel.policer.bgp", "unknown key"),
            ("kernel:\n  policer:\n    local: {rate: -5}\n", 4, "kernel.policer.local.rate", "between 0 and 10000000"),
            ("kernel:\n  policer:\n    local: {burst: 0}\n", 4, "kernel.policer.local.burst", "between 1 and 1000000"),
        ]
        for (yaml, line, keyPath, expected) in cases {
            guard let error = refusal(port + yaml) else { continue }
            XCTAssertEqual(error.line, line, yaml)
            XCTAssertEqual(error.keyPath, keyPath, yaml)
            XCTAssertTrue(error.message.contains(expected), "\(yaml): \(error.message)")
        }
    }

    func testKernelInterfaceDefaultsToThePortNameAndCanBeSet() throws {
        let config = try accepted("""
        ports:
          - { name: a, device: net_null0 }
          - { name: b, device: net_null1, kernel_interface: Twin-b.1_x }
        """)
        XCTAssertEqual(config.ports[0].kernelName, "a")
        XCTAssertNil(config.ports[0].kernelInterface)
        XCTAssertEqual(config.ports[1].kernelName, "Twin-b.1_x")
    }

    func testBadKernelInterfacesAreRefused() {
        let cases: [(String, Int, String, String)] = [
            ("ports:\n  - { name: a, device: net_null0, kernel_interface: sixteen-chars-xx }\n", 2, "ports[0].kernel_interface", "1 to 15 characters"),
            ("ports:\n  - { name: a, device: net_null0, kernel_interface: \"\" }\n", 2, "ports[0].kernel_interface", "1 to 15 characters"),
            ("ports:\n  - { name: a, device: net_null0, kernel_interface: \"a b\" }\n", 2, "ports[0].kernel_interface", "1 to 15 characters"),
            ("ports:\n  - { name: a, device: net_null0, kernel_interface: \"a/b\" }\n", 2, "ports[0].kernel_interface", "1 to 15 characters"),
            ("ports:\n  - { name: a, device: net_null0 }\n  - { name: b, device: net_null1, kernel_interface: a }\n", 3,
             "ports[1].kernel_interface", "already the twin of ports[0]"),
        ]
        for (yaml, line, keyPath, expected) in cases {
            guard let error = refusal(yaml) else { XCTFail("accepted: \(yaml)"); continue }
            XCTAssertEqual(error.line, line, yaml)
            XCTAssertEqual(error.keyPath, keyPath, yaml)
            XCTAssertTrue(error.message.contains(expected), "\(yaml): \(error.message)")
        }
    }
}
