import DPDK
import XCTest

/// The pipeline's rte_ring wrapper, in-process: exact size, FIFO order, a full ring takes what
/// fits and returns at once, an empty one gives nothing at once. The ring stores pointers and
/// never dereferences them, so these tests use made-up ones.
final class PacketRingTests: XCTestCase {
    override func setUp() {
        super.setUp()
        XCTAssertTrue(TestEAL.ready, "EAL did not initialise")
    }

    func fakeMbufs(_ range: Range<Int>) -> UnsafeMutablePointer<MbufPointer?> {
        let p = UnsafeMutablePointer<MbufPointer?>.allocate(capacity: range.count)
        for (i, v) in range.enumerated() { p[i] = OpaquePointer(bitPattern: 0x1000 + v * 64) }
        return p
    }

    func testExactSizeFullAndEmpty() throws {
        let ring = try PacketRing(name: "test-ring-32", size: 32, socket: -1)
        defer { ring.free() }
        XCTAssertEqual(ring.capacity, 32, "RING_F_EXACT_SZ: ring_size packets fit, not ring_size - 1")
        XCTAssertEqual(ring.count, 0)

        let input = fakeMbufs(0..<40)
        defer { input.deallocate() }
        XCTAssertEqual(PacketRing.enqueue(ring.pointer, input, count: 20), 20)
        XCTAssertEqual(PacketRing.enqueue(ring.pointer, input + 20, count: 20), 12, "only what fits goes in")
        XCTAssertEqual(ring.count, 32)
        XCTAssertEqual(PacketRing.enqueue(ring.pointer, input + 32, count: 8), 0, "a full ring takes nothing and does not wait")

        let output = UnsafeMutablePointer<MbufPointer?>.allocate(capacity: 32)
        defer { output.deallocate() }
        var taken: [Int] = []
        while true {
            let n = PacketRing.dequeue(ring.pointer, into: output, capacity: 7)
            if n == 0 { break }
            XCTAssertLessThanOrEqual(n, 7)
            taken += (0..<n).map { Int(bitPattern: UnsafeRawPointer(output[$0]!)) }
        }
        XCTAssertEqual(taken, (0..<32).map { 0x1000 + $0 * 64 }, "first in, first out")
        XCTAssertEqual(ring.count, 0)
        XCTAssertEqual(PacketRing.dequeue(ring.pointer, into: output, capacity: 32), 0, "an empty ring gives nothing at once")
    }

    func testDuplicateNameIsRefused() throws {
        let ring = try PacketRing(name: "test-ring-dup", size: 64, socket: -1)
        defer { ring.free() }
        XCTAssertThrowsError(try PacketRing(name: "test-ring-dup", size: 64, socket: -1)) { error in
            XCTAssertTrue("\(error)".contains("rte_ring_create test-ring-dup"), "\(error)")
        }
    }

    func testRSSHashFieldsMapBothWays() {
        let all = RSSHash.groups.map(\.name)
        XCTAssertEqual(all, ["ipv4", "ipv6", "tcp", "udp", "sctp"], "the names the config accepts (RSSHashField)")
        XCTAssertEqual(RSSHash.names(RSSHash.flags(all)), all)
        XCTAssertEqual(RSSHash.names(RSSHash.flags(["udp", "ipv4"])), ["ipv4", "udp"])
        XCTAssertEqual(RSSHash.flags([]), 0)
        for (i, a) in RSSHash.groups.enumerated() {
            XCTAssertNotEqual(a.flags, 0, a.name)
            for b in RSSHash.groups[(i + 1)...] { XCTAssertEqual(a.flags & b.flags, 0, "\(a.name) and \(b.name) overlap") }
        }
    }
}
