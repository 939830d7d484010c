import XCTest
@testable import Config

/// Checks across ports and cores: unique names and devices, one role per core, enough TX
/// queues, frames that fit in an mbuf, and a pool that can fill the rings.
final class PortAndCoreErrorTests: XCTestCase {
    func testDuplicatePortNames() {
        assertRefused("""
        ports:
          - name: wan
            device: net_null0
          - name: wan
            device: net_null1
        """, line: 4, column: 11, keyPath: "ports[1].name",
        message: "port name \"wan\" is already used by ports[0], and port names must be unique")
    }

    func testDuplicateDevices() {
        assertRefused("""
        ports:
          - name: a
            device: net_pcap0,rx_pcap=in.pcap
          - name: b
            device: net_pcap0,rx_pcap=other.pcap
        """, line: 5, column: 13, keyPath: "ports[1].device",
        message: "device \"net_pcap0\" is already used by ports[0] (\"a\"), and each port needs its own device")
    }

    func testDuplicatePCIAddressWithAndWithoutDomain() {
        assertRefused("""
        ports:
          - { name: a, device: "0000:03:00.0" }
          - { name: b, device: "03:00.0" }
        """, line: 3, keyPath: "ports[1].device",
        message: "device \"0000:03:00.0\" is already used by ports[0] (\"a\"), and each port needs its own device")
    }

    func testMainCoreAlsoAWorker() {
        assertRefused("""
        eal:
          main_core: 2
          worker_cores: [1, 2]
        ports: [{ name: a, device: net_null0, tx_queues: 2 }]
        """, line: 3, column: 21, keyPath: "eal.worker_cores[1]",
        message: "core 2 is already the main core (eal.main_core), and a core can have only one role")
    }

    func testMainCoreEqualToTheDefaultWorker() {
        assertRefused("eal:\n  main_core: 1\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 14, keyPath: "eal.main_core",
                      message: "core 1 is also the default worker core (eal.worker_cores defaults to [1]), so choose another main core or set eal.worker_cores")
    }

    func testWorkerListedTwice() {
        assertRefused("""
        eal:
          worker_cores:
            - 1
            - 3
            - 1
        ports: [{ name: a, device: net_null0, tx_queues: 3 }]
        """, line: 5, column: 7, keyPath: "eal.worker_cores[2]",
        message: "core 1 is already listed as eal.worker_cores[0], and each worker core can be listed only once")
    }

    func testTxQueuesBelowWorkerCount() {
        assertRefused("""
        eal:
          worker_cores: [1, 2, 3]
        ports:
          - name: a
            device: net_null0
            tx_queues: 2
        """, line: 6, column: 16, keyPath: "ports[0].tx_queues",
        message: "expected at least 3 TX queues, one per worker core, found 2")
    }

    func testMTULargerThanTheMbufDataRoom() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
            mtu: 9000
        """, line: 4, column: 10, keyPath: "ports[0].mtu",
        message: "an MTU of 9000 needs 9146 bytes of mbuf data room (128 headroom, 18 Ethernet header and CRC, and the MTU) but mempool.data_room is 2176, so raise mempool.data_room or lower the MTU")
    }

    func testMTUBelowTheIPv6MinimumOnAPortWithAnIPv6Address() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
            mtu: 1279
            addresses: [198.18.0.1/24, "2001:db8::1/64"]
        """, line: 4, column: 10, keyPath: "ports[0].mtu",
        message: "an MTU of 1279 is below 1280, the least IPv6 allows (RFC 8200), and the port has the IPv6 address 2001:db8::1/64 (ports[0].addresses[1]), so raise the MTU to at least 1280 or give the port only IPv4 addresses")
    }

    func testSmallMTUsAreAcceptedWhereIPv6AllowsThem() throws {
        // IPv4 only: down to RFC 791's 68; with IPv6: exactly 1280.
        let v4 = try accepted("ports:\n  - { name: a, device: net_null0, mtu: 68, addresses: [198.18.0.1/24] }\n")
        XCTAssertEqual(v4.ports[0].mtu, 68)
        let v6 = try accepted("ports:\n  - { name: a, device: net_null0, mtu: 1280, addresses: [\"2001:db8::1/64\"] }\n")
        XCTAssertEqual(v6.ports[0].mtu, 1280)
    }

    func testDefaultMTUAgainstASmallDataRoomPointsAtThePort() {
        assertRefused("mempool: { data_room: 1024 }\nports:\n  - name: a\n    device: net_null0\n", line: 3, column: 5, keyPath: "ports[0].mtu",
                      message: "an MTU of 1500 needs 1646 bytes of mbuf data room (128 headroom, 18 Ethernet header and CRC, and the MTU) but mempool.data_room is 1024, so raise mempool.data_room or lower the MTU")
    }

    func testSameAddressOnTwoPorts() {
        assertRefused("""
        ports:
          - { name: a, device: net_null0, addresses: [198.18.0.1/24] }
          - { name: b, device: net_null1, addresses: [198.18.0.1/25] }
        """, line: 3, keyPath: "ports[1].addresses[0]",
        message: "address 198.18.0.1 is already assigned at ports[0].addresses[0] (port \"a\"), and each address can be assigned once")
    }

    func testExplicitMbufsTooFewForTheRings() {
        assertRefused("""
        mempool:
          mbufs: 2048
        ports:
          - { name: a, device: net_null0, rx_descriptors: 2048 }
        """, line: 2, column: 10, keyPath: "mempool.mbufs",
        message: "2048 mbufs cannot fill the 3072 RX and TX descriptors of all ports, so give at least 3072 or use auto")
    }

    func testTooManyWorkers() {
        let cores = (1...65).map(String.init).joined(separator: ", ")
        assertRefused("eal:\n  worker_cores: [\(cores)]\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 17, keyPath: "eal.worker_cores",
                      message: "expected at most 64 worker cores, since each needs its own TX queue on every port, found 65")
    }
}
