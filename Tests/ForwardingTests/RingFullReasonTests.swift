import XCTest
@testable import Forwarding

/// ring_full is counted by a receive core in pipeline mode when the ring to a packet's worker
/// has no room (the e2e test test_pipeline_ring.py makes it happen). It must be listed, so it
/// has a counter, a name in `show errors` and stats JSON, and it was appended after every reason
/// before it, so their counter slots kept their index; reasons added since (fragment_no_mbuf)
/// come after it in turn.
final class RingFullReasonTests: XCTestCase {
    func testListedWithItsName() {
        XCTAssertTrue(DropReason.allCases.contains(.ringFull))
        XCTAssertEqual(DropReason.ringFull.name, "ring_full")
        XCTAssertTrue(DropReason.ringFull.explanation.contains("ring"))
    }

    func testKeepsItsCounterSlotAndLaterReasonsFollowIt() {
        XCTAssertEqual(DropReason.ringFull.rawValue, DropReason.txQueueFull.rawValue + 1)
        XCTAssertEqual(DropReason.fragmentNoMbuf.rawValue, DropReason.ringFull.rawValue + 1)
        XCTAssertEqual(DropReason.allCases.last, .fragmentNoMbuf)
        XCTAssertEqual(Int(DropReason.fragmentNoMbuf.rawValue), DropReason.count - 1)
    }
}
