import XCTest
@testable import Config

final class DidYouMeanTests: XCTestCase {
    func testDistanceCountsATranspositionAsOneEdit() {
        XCTAssertEqual(DidYouMean.distance("wna", "wan"), 1)
        XCTAssertEqual(DidYouMean.distance("worker_core", "worker_cores"), 1)
        XCTAssertEqual(DidYouMean.distance("", "abc"), 3)
        XCTAssertEqual(DidYouMean.distance("kitten", "sitting"), 3)
    }

    func testSuggestsOnlyPlausibleTypos() {
        let keys = ["name", "device", "mac", "mtu"]
        XCTAssertEqual(DidYouMean.suggestion(for: "devcie", among: keys), "device")
        XCTAssertEqual(DidYouMean.suggestion(for: "MTU", among: keys), "mtu")
        XCTAssertNil(DidYouMean.suggestion(for: "firewall", among: keys))
        XCTAssertNil(DidYouMean.suggestion(for: "x", among: []))
    }

    func testSuggestsTheFullWordForAnAbbreviation() {
        XCTAssertEqual(DidYouMean.suggestion(for: "promisc", among: ["mtu", "promiscuous"]), "promiscuous")
        XCTAssertEqual(DidYouMean.suggestion(for: "warn", among: LogConfig.levels), "warning")
    }
}
