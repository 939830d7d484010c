import XCTest
@testable import Config

/// The `threading` section (run-to-completion or pipeline, receive cores, rings, lcore to CPU
/// map) and each port's `rss_hash`: defaults, accepted forms, and every refusal with its place.
final class ThreadingConfigTests: XCTestCase {
    private let port = "ports: [{ name: a, device: net_null0 }]\n"

    // MARK: Accepted

    func testDefaultsAreRunToCompletion() throws {
        let config = try accepted(port)
        XCTAssertEqual(config.threading.mode, .runToCompletion)
        XCTAssertEqual(config.threading.rxCores, [])
        XCTAssertEqual(config.threading.ringSize, 1024)
        XCTAssertEqual(config.threading.ringBurst, 32)
        XCTAssertEqual(config.threading.lcoreCPUs, [:])
        XCTAssertEqual(config.ports[0].rssHash, [.ipv4, .ipv6, .tcp, .udp])
        XCTAssertEqual(config.pollingCores, [1])
        XCTAssertEqual(config.allCores, [0, 1])
    }

    func testEmptySectionTakesTheDefaults() throws {
        let config = try accepted("threading:\n" + port)
        XCTAssertEqual(config.threading.mode, .runToCompletion)
    }

    func testPipelineWithEveryKey() throws {
        let config = try accepted("""
        eal:
          worker_cores: [1, 3]
        threading:
          mode: pipeline
          rx_cores: [2, 4]
          ring_size: 4096
          ring_burst: 16
          lcore_cpus: {0: 0, 1: 1, 2: 0, 3: 1, 4: 0}
        ports:
          - { name: a, device: net_null0, rx_queues: 3, rss_hash: [ipv4, udp] }
          - { name: b, device: net_null1 }
        """)
        XCTAssertEqual(config.threading.mode, .pipeline)
        XCTAssertEqual(config.threading.rxCores, [2, 4])
        XCTAssertEqual(config.threading.ringSize, 4096)
        XCTAssertEqual(config.threading.ringBurst, 16)
        XCTAssertEqual(config.threading.lcoreCPUs, [0: 0, 1: 1, 2: 0, 3: 1, 4: 0])
        XCTAssertEqual(config.ports[0].rssHash, [.ipv4, .udp])
        XCTAssertEqual(config.ports[1].rssHash, RSSHashField.defaults)
        XCTAssertEqual(config.pollingCores, [2, 4])
        XCTAssertEqual(config.allCores, [0, 1, 3, 2, 4])
        // The default queue map deals the RX queues to the receive cores, not the workers.
        XCTAssertEqual(config.queueMap, [QueueAssignment(core: 2, port: 0, queue: 0), QueueAssignment(core: 4, port: 0, queue: 1),
                                         QueueAssignment(core: 2, port: 0, queue: 2), QueueAssignment(core: 4, port: 1, queue: 0)])
        // Workers still transmit, so TX queues still default to one per worker.
        XCTAssertEqual(config.ports.map(\.txQueues), [2, 2])
    }

    func testPipelineQueueMapNamesReceiveCores() throws {
        let config = try accepted("""
        threading: { mode: pipeline, rx_cores: [2, 3] }
        ports: [{ name: a, device: net_null0, rx_queues: 2 }]
        queue_map:
          - { core: 3, port: a, queue: 0 }
          - { core: 3, port: a, queue: 1 }
        """)
        XCTAssertEqual(config.queueMap.map(\.core), [3, 3])
    }

    func testRingSizeBounds() throws {
        XCTAssertEqual(try accepted("threading: { ring_size: 32 }\n" + port).threading.ringSize, 32)
        XCTAssertEqual(try accepted("threading: { ring_size: 65536 }\n" + port).threading.ringSize, 65536)
        XCTAssertEqual(try accepted("threading: { ring_burst: 1 }\n" + port).threading.ringBurst, 1)
    }

    func testLcoreCPUsInRunToCompletion() throws {
        let config = try accepted("threading:\n  lcore_cpus: {0: 0, 1: 0}\n" + port)
        XCTAssertEqual(config.threading.lcoreCPUs, [0: 0, 1: 0])
    }

    func testEverySSHashField() throws {
        let config = try accepted("ports: [{ name: a, device: net_null0, rss_hash: [sctp, udp, tcp, ipv6, ipv4] }]\n")
        XCTAssertEqual(config.ports[0].rssHash, [.sctp, .udp, .tcp, .ipv6, .ipv4])
    }

    // MARK: Mode and keys

    func testUnknownMode() {
        assertRefused("threading:\n  mode: pipe\n" + port, line: 2, column: 9, keyPath: "threading.mode",
                      message: "expected run-to-completion or pipeline, found \"pipe\"; did you mean \"pipeline\"?")
    }

    func testMisspeltKey() {
        assertRefused("threading:\n  ring_sz: 64\n" + port, line: 2, column: 3, keyPath: "threading.ring_sz",
                      message: "unknown key; did you mean \"ring_size\"?")
    }

    func testSectionNotAMapping() {
        assertRefused("threading: pipeline\n" + port, line: 1, column: 12, keyPath: "threading",
                      message: "expected a mapping of threading settings, found \"pipeline\"")
    }

    // MARK: Receive cores

    func testReceiveCoresOutsidePipelineMode() {
        assertRefused("threading:\n  rx_cores: [2]\n" + port, line: 2, column: 13, keyPath: "threading.rx_cores",
                      message: "receive cores exist only in pipeline mode (threading.mode is run-to-completion), so set threading.mode: pipeline or remove threading.rx_cores")
    }

    func testPipelineWithoutReceiveCores() {
        assertRefused("threading:\n  mode: pipeline\n" + port, line: 2, column: 3, keyPath: "threading.rx_cores",
                      message: "missing required key; expected a list of receive core numbers such as [2], since pipeline mode needs at least one")
    }

    func testEmptyReceiveCores() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: []\n" + port, line: 3, column: 13, keyPath: "threading.rx_cores",
                      message: "expected a list of at least one receive core, found an empty list")
    }

    func testReceiveCoresNotAList() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: 2\n" + port, line: 3, column: 13, keyPath: "threading.rx_cores",
                      message: "expected a list of receive core numbers such as [2], found 2")
    }

    func testReceiveCoreOutOfRange() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: [128]\n" + port, line: 3, column: 14, keyPath: "threading.rx_cores[0]",
                      message: "expected an integer between 0 and 127, found 128")
    }

    func testReceiveCoreIsTheMainCore() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: [2, 0]\n" + port, line: 3, column: 17, keyPath: "threading.rx_cores[1]",
                      message: "core 0 is already the main core (eal.main_core), and a core can have only one role")
    }

    func testReceiveCoreIsAWorker() {
        assertRefused("""
        eal:
          worker_cores: [1, 2]
        threading:
          mode: pipeline
          rx_cores: [3, 2]
        ports: [{ name: a, device: net_null0 }]
        """, line: 5, column: 17, keyPath: "threading.rx_cores[1]",
        message: "core 2 is already a worker core (eal.worker_cores[1]), and a core can have only one role")
    }

    func testReceiveCoreIsTheDefaultWorker() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: [1]\n" + port, line: 3, column: 14, keyPath: "threading.rx_cores[0]",
                      message: "core 1 is also the default worker core (eal.worker_cores defaults to [1]), so choose another receive core or set eal.worker_cores")
    }

    func testReceiveCoreListedTwice() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: [2, 3, 2]\n" + port, line: 3, column: 20, keyPath: "threading.rx_cores[2]",
                      message: "core 2 is already listed as threading.rx_cores[0], and each receive core can be listed only once")
    }

    func testQueueMapWithAWorkerInPipelineMode() {
        assertRefused("""
        threading: { mode: pipeline, rx_cores: [2] }
        ports: [{ name: a, device: net_null0 }]
        queue_map:
          - { core: 1, port: a, queue: 0 }
        """, line: 4, column: 13, keyPath: "queue_map[0].core",
        message: "core 1 is not a receive core; expected one of threading.rx_cores (2)")
    }

    // MARK: Rings

    func testRingSizeNotAPowerOfTwo() {
        assertRefused("threading:\n  ring_size: 1000\n" + port, line: 2, column: 14, keyPath: "threading.ring_size",
                      message: "expected a power of two between 32 and 65536, found 1000")
    }

    func testRingSizeTooSmallAndTooLarge() {
        assertRefused("threading:\n  ring_size: 16\n" + port, line: 2, column: 14, keyPath: "threading.ring_size",
                      message: "expected an integer between 32 and 65536, found 16")
        assertRefused("threading:\n  ring_size: 131072\n" + port, line: 2, column: 14, keyPath: "threading.ring_size",
                      message: "expected an integer between 32 and 65536, found 131072")
    }

    func testRingSizeQuoted() {
        assertRefused("threading:\n  ring_size: \"1024\"\n" + port, line: 2, column: 14, keyPath: "threading.ring_size",
                      message: "expected an integer between 32 and 65536, found the quoted string \"1024\"")
    }

    func testRingBurstOutOfRange() {
        assertRefused("threading:\n  ring_burst: 0\n" + port, line: 2, column: 15, keyPath: "threading.ring_burst",
                      message: "expected an integer between 1 and 32, found 0")
        assertRefused("threading:\n  ring_burst: 33\n" + port, line: 2, column: 15, keyPath: "threading.ring_burst",
                      message: "expected an integer between 1 and 32, found 33")
    }

    // MARK: lcore_cpus

    func testLcoreCPUsNotAMapping() {
        assertRefused("threading:\n  lcore_cpus: [0, 1]\n" + port, line: 2, column: 15, keyPath: "threading.lcore_cpus",
                      message: "expected a mapping of lcore to CPU such as {0: 0, 1: 1, 2: 1}, found a list")
    }

    func testLcoreCPUsKeyNotANumber() {
        assertRefused("threading:\n  lcore_cpus: {main: 0, 1: 1}\n" + port, line: 2, column: 16, keyPath: "threading.lcore_cpus",
                      message: "expected an lcore number between 0 and 127 as the key, found \"main\"")
    }

    func testLcoreCPUsKeyGivenTwice() {
        assertRefused("threading:\n  lcore_cpus: {0: 0, 1: 1, 01: 1}\n" + port, line: 2, column: 28, keyPath: "threading.lcore_cpus",
                      message: "lcore 1 is given twice; give each lcore one CPU")
    }

    func testLcoreCPUsCPUOutOfRange() {
        assertRefused("threading:\n  lcore_cpus: {0: 0, 1: 1024}\n" + port, line: 2, column: 25, keyPath: "threading.lcore_cpus.1",
                      message: "expected an integer between 0 and 1023, found 1024")
    }

    func testLcoreCPUsNamesAnUnusedLcore() {
        assertRefused("threading:\n  lcore_cpus: {0: 0, 1: 1, 5: 1}\n" + port, line: 2, column: 28, keyPath: "threading.lcore_cpus.5",
                      message: "lcore 5 is not a core in use; expected only the main, worker and receive cores (0, 1)")
    }

    func testLcoreCPUsMissesAReceiveCore() {
        assertRefused("threading:\n  mode: pipeline\n  rx_cores: [2]\n  lcore_cpus: {0: 0, 1: 1}\n" + port, line: 4, column: 15,
                      keyPath: "threading.lcore_cpus",
                      message: "core 2 (threading.rx_cores[0]) has no CPU, and when threading.lcore_cpus is given it must give one for every core in use")
    }

    // MARK: rss_hash

    func testRSSHashUnknownField() {
        assertRefused("ports: [{ name: a, device: net_null0, rss_hash: [ipv4, tpc] }]\n", line: 1, column: 56,
                      keyPath: "ports[0].rss_hash[1]",
                      message: "expected ipv4, ipv6, tcp, udp or sctp, found \"tpc\"; did you mean \"tcp\"?")
    }

    func testRSSHashFieldTwice() {
        assertRefused("ports: [{ name: a, device: net_null0, rss_hash: [ipv4, udp, ipv4] }]\n", line: 1, column: 61,
                      keyPath: "ports[0].rss_hash[2]", message: "ipv4 is already listed as ports[0].rss_hash[0]; list each field once")
    }

    func testRSSHashEmpty() {
        assertRefused("ports: [{ name: a, device: net_null0, rss_hash: [] }]\n", line: 1, column: 49, keyPath: "ports[0].rss_hash",
                      message: "expected a list of RSS hash fields from ipv4, ipv6, tcp, udp and sctp, such as [ipv4, ipv6, tcp, udp], found an empty list")
    }

    func testRSSHashNotAList() {
        assertRefused("ports: [{ name: a, device: net_null0, rss_hash: ipv4 }]\n", line: 1, column: 49, keyPath: "ports[0].rss_hash",
                      message: "expected a list of RSS hash fields from ipv4, ipv6, tcp, udp and sctp, such as [ipv4, ipv6, tcp, udp], found \"ipv4\"")
    }
}

/// The demo lab's pipeline configuration loads as documented.
final class DemoPipelineConfigTests: XCTestCase {
    func testDemoPipelineFile() throws {
        let path = try XCTUnwrap(repositoryFile("config/demo-pipeline.yaml"), "config/demo-pipeline.yaml not found")
        let config = try ConfigLoader.load(path: path)
        XCTAssertEqual(config.threading.mode, .pipeline)
        XCTAssertEqual(config.threading.rxCores, [2])
        XCTAssertEqual(config.eal.workerCores, [1])
        XCTAssertEqual(config.threading.lcoreCPUs, [0: 0, 1: 1, 2: 0])
        XCTAssertEqual(config.queueMap, [QueueAssignment(core: 2, port: 0, queue: 0), QueueAssignment(core: 2, port: 1, queue: 0)])
        XCTAssertEqual(config.eal.filePrefix, "swiftfwd-demo", "scripts/demo cleans up by this prefix")
    }
}
