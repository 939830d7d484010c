import XCTest
import Netlink
import Packet
@testable import Dataplane

/// The sync thread's queue of read-but-unapplied kernel changes: oldest first, nothing lost or
/// repeated across chunks, chunks sized by the fast path's measured cost within their bounds.
final class SyncQueueTests: XCTestCase {
    /// Change i: route 10.(i / 256).(i % 256).0/24 added, received at time i.
    func changes(_ range: Range<Int>) -> [TimedChange] {
        range.map { i in
            let prefix = IPPrefix("10.\((i / 256) % 256).\(i % 256).0/24")!
            let hop = NextHop(gateway: IPAddress("198.18.0.2")!, ifindex: 10)
            return TimedChange(change: .routeAdded(KernelRoute(prefix: prefix, nextHops: [hop])), receivedAt: UInt64(i))
        }
    }

    func testChunksFollowTheMeasuredCostWithinTheirBounds() {
        var q = SyncQueue(targetNanoseconds: 50_000_000, minimumChunk: 256, maximumChunk: 65536, initialNanosPerChange: 20_000)
        q.append(changes(0..<100_000))
        XCTAssertEqual(q.chunkSize, 2500, "50 ms at 20 us a change")
        q.record(applied: 2500, nanoseconds: 2500 * 5_000)
        XCTAssertEqual(q.chunkSize, 5000, "the fast path got faster (5 us): the estimate at most halves per chunk")
        q.record(applied: 5000, nanoseconds: 5000 * 5_000)
        XCTAssertEqual(q.chunkSize, 10_000, "50 ms at 5 us, reached on the next chunk")
        q.record(applied: 10_000, nanoseconds: 10_000 * 100)
        XCTAssertEqual(q.chunkSize, 20_000, "a chunk that cost almost nothing only doubles the next")
        for _ in 0..<10 { q.record(applied: 10_000, nanoseconds: 10_000 * 100) }
        XCTAssertEqual(q.chunkSize, 65536, "never more than the maximum")
        q.record(applied: 300, nanoseconds: 300 * 10_000_000)
        XCTAssertEqual(q.chunkSize, 256, "never less than the minimum")
        q.record(applied: 0, nanoseconds: 123)
        XCTAssertEqual(q.chunkSize, 256, "an empty chunk teaches nothing")
    }

    func testAChunkNeverExceedsWhatWaitsAndALoneChangeGoesAtOnce() {
        var q = SyncQueue()
        XCTAssertTrue(q.isEmpty)
        q.append(changes(0..<1))
        XCTAssertEqual(q.chunkSize, 1)
        XCTAssertEqual(q.takeChunk().map(\.receivedAt), [0])
        XCTAssertTrue(q.isEmpty)
        XCTAssertEqual(q.count, 0)
    }

    func testEveryChangeComesOutOnceInOrderWhileMoreArrive() {
        var q = SyncQueue(targetNanoseconds: 1_000_000, minimumChunk: 16, maximumChunk: 1000, initialNanosPerChange: 1_000)
        var next = 0
        var taken: [UInt64] = []
        // More arrives than is taken for a while (the backlog grows past maximumChunk, so the
        // queue compacts itself), then the arrivals stop and the backlog drains.
        for round in 0..<200 {
            if round < 120 {
                q.append(changes(next..<(next + 1500)))
                next += 1500
            }
            if !q.isEmpty { taken += q.takeChunk().map(\.receivedAt) }
            XCTAssertEqual(q.count, next - taken.count)
        }
        XCTAssertEqual(taken, (0..<UInt64(next)).map { $0 })
        XCTAssertTrue(q.isEmpty)
        XCTAssertEqual(q.largestBacklog, 120 * 500 + 1000)
    }
}
