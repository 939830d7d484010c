import XCTest
@testable import Forwarding

final class TokenBucketTests: XCTestCase {
    /// 1000 tokens/s with 1000 ticks/s: one token per tick, 10 saved at most.
    func testBurstThenRate() {
        var bucket = TokenBucket(rate: 1000, burst: 10, ticksPerSecond: 1000)
        var passed = 0
        for _ in 0..<50 where bucket.take(now: 5) { passed += 1 }
        XCTAssertEqual(passed, 10, "a full bucket passes its burst at once")
        XCTAssertFalse(bucket.take(now: 5))
        // Over the next 100 ticks, one per tick, however hard it is asked.
        passed = 0
        for now in 6...105 { for _ in 0..<5 where bucket.take(now: UInt64(now)) { passed += 1 } }
        XCTAssertEqual(passed, 100)
    }

    func testIdleCreditIsCappedAtTheBurst() {
        var bucket = TokenBucket(rate: 100, burst: 4, ticksPerSecond: 1_000_000)
        var passed = 0
        for _ in 0..<100 where bucket.take(now: 1_000_000_000) { passed += 1 }
        XCTAssertEqual(passed, 4, "an hour idle still saves only the burst")
    }

    func testRateZeroIsClosed() {
        var bucket = TokenBucket(rate: 0, burst: 100, ticksPerSecond: 1000)
        XCTAssertFalse(bucket.take(now: 0))
        XCTAssertFalse(bucket.take(now: 1_000_000))
    }

    /// Over a long run the rate holds to within the burst, at a TSC-like clock.
    func testLongRunRate() {
        let hz: UInt64 = 2_100_000_000
        var bucket = TokenBucket(rate: 600, burst: 60, ticksPerSecond: hz)
        var passed = 0
        var now: UInt64 = 123
        // Offered: one packet every 100 microseconds (10000/s) for 10 seconds.
        for _ in 0..<100_000 {
            if bucket.take(now: now) { passed += 1 }
            now += hz / 10_000
        }
        XCTAssertEqual(Double(passed), 6000 + 60, accuracy: 2)
    }
}
