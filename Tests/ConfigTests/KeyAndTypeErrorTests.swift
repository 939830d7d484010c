import XCTest
@testable import Config

/// Unknown keys, missing keys, wrong types and out-of-range values: each names the key path,
/// points at the offending text and says what was expected.
final class KeyAndTypeErrorTests: XCTestCase {
    func testUnknownKeySuggestsTheClosestKey() {
        assertRefused("""
        eal:
          main_core: 0
          worker_core: [1]
        ports: [{ name: a, device: net_null0 }]
        """, line: 3, column: 3, keyPath: "eal.worker_core", message: "unknown key; did you mean \"worker_cores\"?")
    }

    func testUnknownKeyWithTransposedLetters() {
        assertRefused("""
        ports:
          - name: a
            devcie: net_null0
        """, line: 3, column: 5, keyPath: "ports[0].devcie", message: "unknown key; did you mean \"device\"?")
    }

    func testUnknownTopLevelKeyWithoutCloseMatchListsTheKeys() {
        assertRefused("""
        ports: [{ name: a, device: net_null0 }]
        firewall: {}
        """, line: 2, column: 1, keyPath: "firewall",
        message: "unknown key; expected one of \"eal\", \"mempool\", \"fib\", \"ports\", \"queue_map\", \"routes\", \"routes_file\", \"neighbors\", \"log\", \"console\", \"metrics\", \"icmp_errors\", \"kernel\", \"threading\"")
    }

    func testUnknownKeyIgnoringCase() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    MTU: 1500\n", line: 4, column: 5,
                      keyPath: "ports[0].MTU", message: "unknown key; did you mean \"mtu\"?")
    }

    func testMissingPortsList() {
        assertRefused("eal:\n  main_core: 0\n", line: 1, column: 1, keyPath: "ports",
                      message: "missing required key; expected a list of 1 to 32 ports")
    }

    func testMissingPortDevice() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
          - name: b
            mtu: 1500
        """, line: 4, column: 5, keyPath: "ports[1].device",
        message: "missing required key; expected a DPDK device such as 0000:03:00.0 or net_af_packet0,iface=veth0")
    }

    func testMissingPortName() {
        assertRefused("ports:\n  - device: net_null0\n", line: 2, column: 5, keyPath: "ports[0].name",
                      message: "missing required key; expected a port name of 1 to 15 characters from a-z, 0-9, '_' and '-'")
    }

    func testEmptyPortsList() {
        assertRefused("ports: []\n", line: 1, column: 8, keyPath: "ports", message: "expected a list of 1 to 32 ports, found an empty list")
    }

    func testTooManyPorts() {
        let list = (0..<33).map { "  - { name: p\($0), device: net_null\($0) }" }.joined(separator: "\n")
        assertRefused("ports:\n" + list + "\n", line: 2, column: 3, keyPath: "ports", message: "expected a list of 1 to 32 ports, found 33 ports")
    }

    func testPortsMustBeAList() {
        assertRefused("ports:\n  name: a\n", line: 2, column: 3, keyPath: "ports", message: "expected a list of 1 to 32 ports, found a mapping")
    }

    func testIntegerGivenAWord() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
            mtu: big
        """, line: 4, column: 10, keyPath: "ports[0].mtu", message: "expected an integer between 68 and 9600, found \"big\"")
    }

    func testIntegerGivenAQuotedNumber() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    rx_queues: \"2\"\n", line: 4, column: 16,
                      keyPath: "ports[0].rx_queues", message: "expected an integer between 1 and 64, found the quoted string \"2\"")
    }

    func testIntegerGivenAFraction() {
        assertRefused("eal: { memory_mb: 1.5 }\nports: [{ name: a, device: net_null0 }]\n", line: 1, column: 19,
                      keyPath: "eal.memory_mb", message: "expected an integer between 64 and 65536, found \"1.5\"")
    }

    func testEmptyValueIsReportedAtItsKey() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mtu:\n", line: 4, column: 5,
                      keyPath: "ports[0].mtu", message: "expected an integer between 68 and 9600, found nothing")
    }

    func testSectionOfTheWrongType() {
        assertRefused("eal: [1, 2]\nports: [{ name: a, device: net_null0 }]\n", line: 1, column: 6,
                      keyPath: "eal", message: "expected a mapping of EAL settings, found a list")
    }

    func testWorkerCoresMustBeAList() {
        assertRefused("eal:\n  worker_cores: 1\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 17,
                      keyPath: "eal.worker_cores", message: "expected a list of worker core numbers such as [1, 2], found 1")
    }

    func testStringGivenAMapping() {
        assertRefused("ports:\n  - name: a\n    device: { pci: 1 }\n", line: 3, column: 13,
                      keyPath: "ports[0].device", message: "expected a DPDK device such as 0000:03:00.0 or net_af_packet0,iface=veth0, found a mapping")
    }

    func testBooleanAcceptsOnlyTrueOrFalse() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    promiscuous: yes\n", line: 4, column: 18,
                      keyPath: "ports[0].promiscuous", message: "expected true or false, found \"yes\"")
    }

    func testHugepagesAcceptsOnlyAutoTrueFalse() {
        assertRefused("eal:\n  hugepages: on\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 14,
                      keyPath: "eal.hugepages", message: "expected auto, true or false, found \"on\"")
    }

    func testMbufsAcceptsAutoOrAnInteger() {
        assertRefused("mempool:\n  mbufs: lots\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 10,
                      keyPath: "mempool.mbufs", message: "expected auto or an integer between 1024 and 16777216, found \"lots\"")
        assertRefused("mempool:\n  mbufs: 512\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 10,
                      keyPath: "mempool.mbufs", message: "expected an integer between 1024 and 16777216, found 512")
    }

    func testLogLevelSuggestsTheNearestLevel() {
        assertRefused("log:\n  level: warn\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 10, keyPath: "log.level",
                      message: "expected trace, debug, info, notice, warning, error or critical, found \"warn\"; did you mean \"warning\"?")
    }

    func testMaxSIMDBitwidthIsOneOfThreeValues() {
        assertRefused("eal: { max_simd_bitwidth: 300 }\nports: [{ name: a, device: net_null0 }]\n", line: 1, column: 27,
                      keyPath: "eal.max_simd_bitwidth", message: "expected 128, 256 or 512, found 300")
    }

    func testFilePrefixMustBeSafeInAPath() {
        assertRefused("eal: { file_prefix: ../x }\nports: [{ name: a, device: net_null0 }]\n", line: 1, column: 21,
                      keyPath: "eal.file_prefix", message: "expected a file prefix of 1 to 64 letters, digits, '_', '-' or '.', found \"../x\"")
    }

    func testPortNameCharacters() {
        assertRefused("ports:\n  - name: WAN.1\n    device: net_null0\n", line: 2, column: 11, keyPath: "ports[0].name",
                      message: "expected a port name of 1 to 15 characters from a-z, 0-9, '_' and '-', found \"WAN.1\"")
    }

    func testOutOfRangeIntegers() {
        let cases: [(yaml: String, keyPath: String, message: String)] = [
            ("eal: { main_core: 128 }", "eal.main_core", "expected an integer between 0 and 127, found 128"),
            ("eal: { worker_cores: [1, -1] }", "eal.worker_cores[1]", "expected an integer between 0 and 127, found -1"),
            ("eal: { memory_mb: 32 }", "eal.memory_mb", "expected an integer between 64 and 65536, found 32"),
            ("mempool: { cache_size: 513 }", "mempool.cache_size", "expected an integer between 0 and 512, found 513"),
            ("mempool: { data_room: 70000 }", "mempool.data_room", "expected an integer between 1024 and 65535, found 70000"),
            ("fib: { ipv4_max_routes: 8 }", "fib.ipv4_max_routes", "expected an integer between 16 and 16777216, found 8"),
            ("fib: { ipv4_tbl8_groups: 9_000_000 }", "fib.ipv4_tbl8_groups", "expected an integer between 16 and 8388608, found 9_000_000"),
            ("fib: { ipv6_max_routes: 0 }", "fib.ipv6_max_routes", "expected an integer between 16 and 16777216, found 0"),
            ("fib: { ipv6_tbl8_groups: 99999999 }", "fib.ipv6_tbl8_groups", "expected an integer between 16 and 8388608, found 99999999"),
        ]
        for c in cases {
            assertRefused(c.yaml + "\nports: [{ name: a, device: net_null0 }]\n", line: 1, keyPath: c.keyPath, message: c.message)
        }
        let portCases: [(key: String, value: String, message: String)] = [
            ("rx_queues", "0", "expected an integer between 1 and 64, found 0"),
            ("tx_queues", "65", "expected an integer between 1 and 64, found 65"),
            ("rx_descriptors", "32", "expected an integer between 64 and 32768, found 32"),
            ("tx_descriptors", "65536", "expected an integer between 64 and 32768, found 65536"),
            ("mtu", "67", "expected an integer between 68 and 9600, found 67"),
            ("mtu", "9601", "expected an integer between 68 and 9600, found 9601"),
        ]
        for c in portCases {
            assertRefused("ports:\n  - name: a\n    device: net_null0\n    \(c.key): \(c.value)\n", line: 4, column: 7 + c.key.count,
                          keyPath: "ports[0].\(c.key)", message: c.message)
        }
    }

    func testEmptyWorkerList() {
        assertRefused("eal:\n  worker_cores: []\nports: [{ name: a, device: net_null0 }]\n", line: 2, column: 17,
                      keyPath: "eal.worker_cores", message: "expected a list of at least one worker core, found an empty list")
    }
}
