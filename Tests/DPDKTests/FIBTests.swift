import DPDK
import Forwarding
import Packet
import XCTest
import TestSupport

/// EAL can be initialised once per process; every DPDK test shares this.
enum TestEAL {
    static let ready: Bool = {
        do {
            try EAL.initialize(programName: "swiftfwd-tests", arguments: [
                "-l", "0", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=lib.eal:error",
                "--force-max-simd-bitwidth=512",
            ])
            return true
        } catch {
            print("EAL init failed: \(error)")
            return false
        }
    }()
}

/// rte_fib and rte_fib6, as the fast path configures them, must agree with the naive
/// longest-prefix match on random tables, including after deletions.
final class FIBTests: XCTestCase {
    override func setUp() {
        super.setUp()
        XCTAssertTrue(TestEAL.ready, "EAL did not initialise")
    }

    func testIPv4FIBMatchesReferenceOnRandomPrefixes() throws {
        var rng = SeededGenerator(seed: 0x5EED_0004)
        let fib = try IPv4FIB(name: "test_v4_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 8192, tbl8Groups: 2048, defaultNextHop: 0)
        defer { fib.free() }
        var reference = ReferenceRouteTable()
        var prefixes: [IPv4Prefix] = []
        for i in 0..<3000 {
            // Cluster prefixes under a few /8s so that lengths overlap and nest.
            let base = UInt32([198, 10, 100, 203][Int.random(in: 0..<4, using: &rng)]) << 24
            let address = base | UInt32.random(in: 0...0xFF_FFFF, using: &rng)
            let length = UInt8([8, 12, 16, 20, 22, 24, 24, 24, 25, 28, 32][Int.random(in: 0..<11, using: &rng)])
            let prefix = IPv4Prefix(address: IPv4Address(address), length: length)!
            let nextHop = UInt32(2 + i % 500)
            try fib.add(prefix, nextHop: UInt64(nextHop))
            reference.add(prefix, nextHop: nextHop)
            prefixes.append(prefix)
        }
        for prefix in prefixes.prefix(500) {
            try? fib.delete(prefix)
            reference.remove(prefix)
        }
        try compare(count: 20000, rng: &rng) { addresses, hops, n in fib.lookup(addresses, hops, count: n) } reference: { reference.lookup(IPv4Address($0)) }
        // The worker's single lookups read the table in place (cdpdk_fib.h): they must agree too,
        // through tbl8 groups (the /25-/32 prefixes) and misses (1/8 holds no route).
        XCTAssertTrue(fib.direct.isAvailable, "rte_fib's DIR-24-8 layout was not recognised")
        try compare(count: 20000, rng: &rng) { addresses, hops, n in
            for i in 0..<n { hops[i] = fib.direct.lookup(addresses[i]) }
        } reference: { reference.lookup(IPv4Address($0)) }
        // Random addresses rarely fall in a tbl8 group; addresses inside every prefix do.
        var inside = 0
        for prefix in prefixes {
            let address = prefix.address.value | (UInt32.random(in: 0...UInt32.max, using: &rng) & ~IPv4Prefix.mask(prefix.length))
            if fib.direct.lookup(address) != UInt64(reference.lookup(IPv4Address(address))) { inside += 1 }
        }
        XCTAssertEqual(inside, 0, "single lookups of addresses inside the prefixes that disagree")
    }

    /// DPDK rounds the tbl8 group count up to a multiple of 64; any configured count must still
    /// let the worker read the table in place (the layout check once refused 100 or 1000).
    func testTableIsReadInPlaceForAnyGroupCount() throws {
        for groups in [16, 64, 100, 1000, 2048] {
            let fib = try IPv4FIB(name: "t4g\(groups)_\(UInt32.random(in: 0...99999))", socket: 0, maxRoutes: 64,
                                  tbl8Groups: groups, defaultNextHop: 0)
            defer { fib.free() }
            XCTAssertTrue(fib.direct.isAvailable, "\(groups) tbl8 groups")
            try fib.add(IPv4Prefix("198.18.7.128/25")!, nextHop: 9)
            XCTAssertEqual(fib.direct.lookup(IPv4Address("198.18.7.200")!.value), 9)
            XCTAssertEqual(fib.direct.lookup(IPv4Address("198.18.7.100")!.value), 0)
        }
    }

    private func compare(count: Int, rng: inout SeededGenerator,
                         lookup: (UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt64>, Int) -> Void,
                         reference: (UInt32) -> UInt32) throws {
        let addresses = UnsafeMutablePointer<UInt32>.allocate(capacity: 32)
        let hops = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        defer { addresses.deallocate(); hops.deallocate() }
        var mismatches = 0
        for _ in 0..<(count / 32) {
            for i in 0..<32 {
                let base = UInt32([198, 10, 100, 203, 1][Int.random(in: 0..<5, using: &rng)]) << 24
                addresses[i] = base | UInt32.random(in: 0...0xFF_FFFF, using: &rng)
            }
            lookup(addresses, hops, 32)
            for i in 0..<32 where hops[i] != UInt64(reference(addresses[i])) {
                mismatches += 1
                if mismatches < 5 { XCTFail("\(IPv4Address(addresses[i])): fib \(hops[i]), reference \(reference(addresses[i]))") }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testIPv6FIBMatchesReferenceOnRandomPrefixes() throws {
        var rng = SeededGenerator(seed: 0x5EED_0006)
        let fib = try IPv6FIB(name: "test_v6_\(UInt32.random(in: 0...UInt32.max))", socket: 0, maxRoutes: 8192, tbl8Groups: 16384, defaultNextHop: 0)
        defer { fib.free() }
        var reference = ReferenceRouteTable()
        var prefixes: [IPv6Prefix] = []
        for i in 0..<2000 {
            let high = 0x2001_0db8_0000_0000 | UInt64.random(in: 0...0xFFFF_FFFF, using: &rng)
            let low = UInt64.random(in: 0...UInt64.max, using: &rng)
            let length = UInt8([32, 36, 40, 44, 48, 48, 48, 56, 64, 64, 96, 128][Int.random(in: 0..<12, using: &rng)])
            let prefix = IPv6Prefix(address: IPv6Address(high: high, low: low), length: length)!
            let nextHop = UInt32(2 + i % 300)
            try fib.add(prefix, nextHop: UInt64(nextHop))
            reference.add(prefix, nextHop: nextHop)
            prefixes.append(prefix)
        }
        for prefix in prefixes.prefix(300) {
            try? fib.delete(prefix)
            reference.remove(prefix)
        }
        let addresses = UnsafeMutablePointer<UInt8>.allocate(capacity: 32 * 16)
        let hops = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        defer { addresses.deallocate(); hops.deallocate() }
        var mismatches = 0
        for round in 0..<500 {
            var batch: [IPv6Address] = []
            for i in 0..<32 {
                // Half the probes fall inside a known prefix, half anywhere in 2001:db8::/32.
                var address = IPv6Address(high: 0x2001_0db8_0000_0000 | UInt64.random(in: 0...0xFFFF_FFFF, using: &rng),
                                          low: UInt64.random(in: 0...UInt64.max, using: &rng))
                if (round + i) % 2 == 0 {
                    let p = prefixes[Int.random(in: 0..<prefixes.count, using: &rng)]
                    let keep = p.address
                    let l = UInt64(p.length)
                    let highMask: UInt64 = l >= 64 ? .max : (l == 0 ? 0 : .max << (64 - l))
                    let lowMask: UInt64 = l <= 64 ? 0 : (l == 128 ? .max : .max << (128 - l))
                    address = IPv6Address(high: (keep.high & highMask) | (address.high & ~highMask),
                                          low: (keep.low & lowMask) | (address.low & ~lowMask))
                }
                address.store(to: UnsafeMutableRawPointer(addresses + i * 16))
                batch.append(address)
            }
            fib.lookup(addresses, hops, count: 32)
            for i in 0..<32 where hops[i] != UInt64(reference.lookup(batch[i])) {
                mismatches += 1
                if mismatches < 5 { XCTFail("\(batch[i]): fib \(hops[i]), reference \(reference.lookup(batch[i]))") }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testFIBCreationFailureIsReportedNotCrashed() {
        // max_routes 0 is refused by rte_fib_create; the wrapper must turn that into an error.
        XCTAssertThrowsError(try IPv4FIB(name: "test_bad", socket: 0, maxRoutes: 0, tbl8Groups: 0, defaultNextHop: 0))
    }
}
