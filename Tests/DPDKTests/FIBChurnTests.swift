import DPDK
import Packet
import XCTest
import TestSupport

/// How rte_fib and rte_fib6 (DPDK 22.11) account for their tbl8 groups under churn: what the
/// forwarder's sizing and its two-copy replay (ForwardingTable.applyBatch) rely on.
final class FIBChurnTests: XCTestCase {
    override func setUp() {
        super.setUp()
        XCTAssertTrue(TestEAL.ready, "EAL did not initialise")
    }

    /// Adds and deletes one prefix over and over; returns the cycle at which the add was
    /// refused, or nil if every one of `cycles` went through.
    private func firstRefusal(cycles: Int, add: () throws -> Void, delete: () throws -> Void) throws -> Int? {
        for cycle in 0..<cycles {
            do { try add() } catch { return cycle }
            try delete()
        }
        return nil
    }

    func testIPv4AddAndDeleteOfALongPrefixKeepsItsRoom() throws {
        let fib = try IPv4FIB(name: "churn_v4_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 64, tbl8Groups: 16, defaultNextHop: 0)
        defer { fib.free() }
        let prefix = IPv4Prefix("198.19.1.0/28")!
        XCTAssertNil(try firstRefusal(cycles: 1000, add: { try fib.add(prefix, nextHop: 7) }, delete: { try fib.delete(prefix) }))
    }

    /// A long prefix added with its covering route's next hop, replaced, then deleted: rte_fib
    /// alone reserves nothing for it and gives a group back, wrapping its count below zero
    /// (after which it refuses every long prefix). IPv4FIB.add takes the reservation.
    func testIPv4LongPrefixWithItsParentsNextHopKeepsTheCountRight() throws {
        let fib = try IPv4FIB(name: "churn_v4p_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 256, tbl8Groups: 64, defaultNextHop: 0)
        defer { fib.free() }
        try fib.add(IPv4Prefix("198.19.0.0/16")!, nextHop: 3)
        let a = IPv4Prefix("198.19.1.0/28")!, b = IPv4Prefix("198.19.1.16/28")!
        for _ in 0..<500 {
            try fib.add(a, nextHop: 3)                          // the /16's next hop
            XCTAssertEqual(fib.tbl8Groups.reserved, 1)
            try fib.add(a, nextHop: 4)                          // now it needs its tbl8 group
            try fib.add(b, nextHop: 3)
            XCTAssertEqual(fib.tbl8Groups.reserved, 1, "one group for the /24")
            try fib.delete(a)
            try fib.delete(b)
            XCTAssertEqual(fib.tbl8Groups.reserved, 0)
        }
        try fib.add(IPv4Prefix("198.19.2.0/28")!, nextHop: 5)
    }

    /// rte_fib6 22.11 reserves tbl8 groups when a lone prefix longer than /24 is added and
    /// gives none back when it is deleted; IPv6FIB.delete gives them back. After every cycle
    /// the reservation is what it was before the prefix came.
    func testIPv6AddAndDeleteOfALonePrefixKeepsItsRoom() throws {
        let fib = try IPv6FIB(name: "churn_v6_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 64, tbl8Groups: 16, defaultNextHop: 0)
        defer { fib.free() }
        let prefix = IPv6Prefix("2001:db8:200::/48")!
        XCTAssertEqual(fib.tbl8Groups.total, 16)
        try fib.add(prefix, nextHop: 7)
        XCTAssertEqual(fib.tbl8Groups.reserved, 3, "levels /32, /40 and /48 above /24")
        try fib.delete(prefix)
        XCTAssertEqual(fib.tbl8Groups.reserved, 0)
        XCTAssertNil(try firstRefusal(cycles: 1000, add: { try fib.add(prefix, nextHop: 7) }, delete: { try fib.delete(prefix) }))
    }

    /// The same under a covering prefix, with siblings and nested prefixes, some with the
    /// covering prefix's next hop, deleted in another order than added: the reservation ends
    /// each round where it started.
    func testIPv6ChurnWithParentsAndSiblingsKeepsItsRoom() throws {
        let fib = try IPv6FIB(name: "churn_v6c_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 256, tbl8Groups: 64, defaultNextHop: 0)
        defer { fib.free() }
        try fib.add(IPv6Prefix("2001:db8::/40")!, nextHop: 3)
        let base = fib.tbl8Groups.reserved
        let churned = (0..<8).map { IPv6Prefix("2001:db8:0:\($0 * 0x100)::/56")! } + [IPv6Prefix("2001:db8:100::/48")!, IPv6Prefix("2001:db8:100:1::/64")!]
        var rng = SeededGenerator(seed: 0xC4A2)
        for _ in 0..<1000 {
            for p in churned.shuffled(using: &rng) { try fib.add(p, nextHop: UInt64.random(in: 3...5, using: &rng)) }
            for p in churned.shuffled(using: &rng) { try fib.delete(p) }
            XCTAssertEqual(fib.tbl8Groups.reserved, base)
        }
    }

    /// Deleting the covering prefix first and its more-specifics after still gives back all.
    func testIPv6DeletingTheParentBeforeTheChildren() throws {
        let fib = try IPv6FIB(name: "churn_v6p_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 64, tbl8Groups: 16, defaultNextHop: 0)
        defer { fib.free() }
        for _ in 0..<200 {
            try fib.add(IPv6Prefix("2001:db8:300::/48")!, nextHop: 5)
            try fib.add(IPv6Prefix("2001:db8::/32")!, nextHop: 4)
            try fib.delete(IPv6Prefix("2001:db8::/32")!)
            try fib.delete(IPv6Prefix("2001:db8:300::/48")!)
            XCTAssertEqual(fib.tbl8Groups.reserved, 0)
        }
    }
}
