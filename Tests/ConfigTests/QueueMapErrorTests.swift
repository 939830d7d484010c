import XCTest
@testable import Config

/// An explicit queue_map must use worker cores, real queues, and name every RX queue once.
final class QueueMapErrorTests: XCTestCase {
    private let head = """
    eal:
      worker_cores: [1, 2]
    ports:
      - { name: wan, device: net_null0, rx_queues: 2 }
      - { name: lan, device: net_null1, rx_queues: 2 }
    queue_map:

    """

    func testQueueBeyondRxQueues() {
        assertRefused(head + """
          - { core: 1, port: wan, queue: 0 }
          - { core: 2, port: wan, queue: 2 }
        """, line: 8, column: 34, keyPath: "queue_map[1].queue",
        message: "port \"wan\" has 2 RX queues, so expected a queue index between 0 and 1, found 2")
    }

    func testCoreThatIsNotAWorker() {
        assertRefused(head + """
          - core: 0
            port: wan
            queue: 0
        """, line: 7, column: 11, keyPath: "queue_map[0].core",
        message: "core 0 is not a worker core; expected one of eal.worker_cores (1, 2)")
    }

    func testQueueMappedTwice() {
        assertRefused(head + """
          - { core: 1, port: wan, queue: 0 }
          - { core: 2, port: wan, queue: 1 }
          - { core: 2, port: wan, queue: 0 }
        """, line: 9, column: 5, keyPath: "queue_map[2]",
        message: "port \"wan\" RX queue 0 is already mapped by queue_map[0], and each RX queue must be polled by exactly one core")
    }

    func testQueueNotMapped() {
        assertRefused(head + """
          - { core: 1, port: wan, queue: 0 }
          - { core: 2, port: wan, queue: 1 }
          - { core: 1, port: lan, queue: 1 }
        """, line: 7, column: 3, keyPath: "queue_map",
        message: "port \"lan\" RX queue 0 is not mapped to any core, and queue_map must name every RX queue of every port exactly once")
    }

    func testUnknownPortSuggestsTheClosestName() {
        assertRefused(head + "  - { core: 1, port: wna, queue: 0 }\n", line: 7, column: 22, keyPath: "queue_map[0].port",
                      message: "unknown port \"wna\"; did you mean \"wan\"?")
    }

    func testMissingQueue() {
        assertRefused(head + "  - { core: 1, port: wan }\n", line: 7, column: 5, keyPath: "queue_map[0].queue",
                      message: "missing required key; expected an RX queue index")
    }
}

/// With a single RX queue the only valid index is named directly.
final class QueueMapSingleQueueTests: XCTestCase {
    func testQueueOnASingleQueuePort() {
        assertRefused("""
        ports:
          - { name: a, device: net_null0 }
        queue_map:
          - { core: 1, port: a, queue: 1 }
        """, line: 4, column: 32, keyPath: "queue_map[0].queue", message: "port \"a\" has 1 RX queue, so expected queue 0, found 1")
    }
}
