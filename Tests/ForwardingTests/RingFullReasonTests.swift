import XCTest
@testable import Forwarding

/// ring_full is counted by a receive core in pipeline mode when the ring to a packet's worker
/// has no room (the e2e test test_pipeline_ring.py makes it happen). It must be listed, so it
/// has a counter, a name in `show errors` and stats JSON, and it comes last, so the counter
/// slots of every earlier reason keep their index.
final class RingFullReasonTests: XCTestCase {
    func testListedWithItsName() {
        XCTAssertTrue(DropReason.allCases.contains(.ringFull))
        XCTAssertEqual(DropReason.ringFull.name, "ring_full")
        XCTAssertTrue(DropReason.ringFull.explanation.contains("ring"))
    }

    func testIsTheLastCounterSlot() {
        XCTAssertEqual(Int(DropReason.ringFull.rawValue), DropReason.count - 1)
        XCTAssertEqual(DropReason.allCases.last, .ringFull)
    }
}
