import Packet
import XCTest
@testable import Forwarding

/// `route load FILE`: the routes_file format plus `del PREFIX`, read on bytes.
final class RouteChangeFileTests: XCTestCase {
    private func p(_ text: String) -> IPPrefix { IPPrefix(text)! }
    private func a(_ text: String) -> IPAddress { IPAddress(text)! }
    private let ports = ["p0", "p1"]

    private func parse(_ text: String) -> RouteChangeFile.Parsed {
        RouteChangeFile.parse(Array(text.utf8), ports: ports)
    }

    func testReadsEveryFormInOrderWithTheirLines() {
        let parsed = parse("""
        # a comment
        198.18.4.0/24 via 198.18.1.2
        2001:db8:4::/48 dev p1

        del 198.18.4.0/24\r
        del 2001:db8:4::/48   # trailing comment
          198.18.5.0/24   dev   p0
        2001:db8:5::/48 via 2001:db8:1::2
        """)
        XCTAssertEqual(parsed.errors, [])
        XCTAssertEqual(parsed.changes, [
            .addRoute(p("198.18.4.0/24"), .via(a("198.18.1.2"))),
            .addRoute(p("2001:db8:4::/48"), .port(1)),
            .deleteRoute(p("198.18.4.0/24")),
            .deleteRoute(p("2001:db8:4::/48")),
            .addRoute(p("198.18.5.0/24"), .port(0)),
            .addRoute(p("2001:db8:5::/48"), .via(a("2001:db8:1::2"))),
        ])
        XCTAssertEqual(parsed.lines, [2, 3, 5, 6, 7, 8])
    }

    func testEveryBadLineIsReportedWithItsNumber() {
        let parsed = parse("""
        198.18.4.0/24 via 198.18.1.2
        198.18.4.1/24 via 198.18.1.2
        198.18.4.0/24 via 2001:db8::1
        198.18.4.0/24 dev p9
        del
        route add 198.18.6.0/24 via 198.18.1.2
        198.18.400.0/24 via 198.18.1.2
        2001:db8:4::/48 via banana
        """)
        XCTAssertEqual(parsed.changes.count, 1)
        XCTAssertEqual(parsed.errorCount, 7)
        XCTAssertEqual(parsed.errors.map(\.line), [2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(parsed.errors[0].description, "line 2: 198.18.4.1/24 has host bits set; did you mean 198.18.4.0/24?")
        XCTAssertEqual(parsed.errors[1].message, "route 198.18.4.0/24 is IPv4 but its next hop 2001:db8::1 is IPv6")
        XCTAssertEqual(parsed.errors[2].message, "no port named \"p9\"; the ports are p0, p1")
        XCTAssertEqual(parsed.errors[3].message, "expected \"del PREFIX\", found \"del\"")
        XCTAssertTrue(parsed.errors[4].message.hasPrefix("expected \"PREFIX via ADDRESS\""), parsed.errors[4].message)
        XCTAssertTrue(parsed.errors[5].message.hasPrefix("expected a prefix"), parsed.errors[5].message)
        XCTAssertTrue(parsed.errors[6].message.hasPrefix("expected a next-hop address"), parsed.errors[6].message)
    }

    func testKeepsOnlyTheFirstErrorsButCountsThemAll() {
        let text = (0..<50).map { _ in "nonsense" }.joined(separator: "\n")
        let parsed = RouteChangeFile.parse(Array(text.utf8), ports: ports, maxErrors: 10)
        XCTAssertEqual(parsed.errors.count, 10)
        XCTAssertEqual(parsed.errorCount, 50)
    }

    func testTheFastPathAgreesWithTheGeneralOne() throws {
        var rng = SeededGenerator(seed: 3)
        var lines: [String] = []
        for _ in 0..<2000 {
            let length = Int.random(in: 0...32, using: &rng)
            let address = IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng) & IPv4Prefix.mask(UInt8(length)))
            let gateway = IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng))
            lines += ["\(address)/\(length) via \(gateway)", "del \(address)/\(length)"]
            let length6 = Int.random(in: 0...128, using: &rng)
            let address6 = IPv6Address(high: UInt64.random(in: 0...UInt64.max, using: &rng), low: UInt64.random(in: 0...UInt64.max, using: &rng)).masked(UInt8(length6))
            lines += ["\(address6)/\(length6) via 2001:db8::\(String(Int.random(in: 1...0xffff, using: &rng), radix: 16))", "del \(address6)/\(length6)"]
        }
        for line in lines {
            let bytes = Array(line.utf8)[...]
            let fast = RouteChangeFile.fast(bytes)
            XCTAssertNotNil(fast, line)
            XCTAssertEqual(fast, try RouteChangeFile.general(bytes, ports: ports), line)
        }
        for line in ["198.18.4.1/24 via 198.18.1.2", "198.18.04.0/24 via 198.18.1.2", "2001:db8:4::1/48 via 2001:db8::1",
                     "198.18.4.0/24 via 2001:db8::1", "198.18.4.0/24 dev p1", "del 198.18.4.0/24 # gone"] {
            XCTAssertNil(RouteChangeFile.fast(Array(line.utf8)[...]), "\(line) goes to the general path")
        }
    }
}
