import XCTest
import Packet

final class IPv6AddressTests: XCTestCase {
    private func groups(_ a: IPv6Address) -> [UInt16] {
        (0..<8).map { i in UInt16(truncatingIfNeeded: (i < 4 ? a.high : a.low) >> UInt64(48 - 16 * (i % 4))) }
    }

    func testParsesFullAndCompressedForms() {
        XCTAssertEqual(IPv6Address("2001:db8::1"), IPv6Address(high: 0x2001_0DB8_0000_0000, low: 1))
        XCTAssertEqual(IPv6Address("2001:0db8:0000:0000:0000:0000:0000:0001"), IPv6Address(high: 0x2001_0DB8_0000_0000, low: 1))
        XCTAssertEqual(IPv6Address("2001:DB8:1:2:3:4:5:6"), IPv6Address(high: 0x2001_0DB8_0001_0002, low: 0x0003_0004_0005_0006))
        XCTAssertEqual(IPv6Address("::"), IPv6Address(high: 0, low: 0))
        XCTAssertEqual(IPv6Address("::1"), IPv6Address(high: 0, low: 1))
        XCTAssertEqual(IPv6Address("2001:db8::"), IPv6Address(high: 0x2001_0DB8_0000_0000, low: 0))
        XCTAssertEqual(IPv6Address("1:2:3:4:5:6:7::"), IPv6Address(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0000))
        XCTAssertEqual(IPv6Address("::2:3:4:5:6:7:8"), IPv6Address(high: 0x0000_0002_0003_0004, low: 0x0005_0006_0007_0008))
        XCTAssertEqual(IPv6Address("1:2:3::6:7:8"), IPv6Address(high: 0x0001_0002_0003_0000, low: 0x0000_0006_0007_0008))
        XCTAssertEqual(IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), IPv6Address(high: .max, low: .max))
    }

    func testParsesTrailingDottedQuad() {
        XCTAssertEqual(IPv6Address("::ffff:198.18.0.1"), IPv6Address(high: 0, low: 0x0000_FFFF_C612_0001))
        XCTAssertEqual(IPv6Address("2001:db8::198.18.1.2"), IPv6Address(high: 0x2001_0DB8_0000_0000, low: 0x0000_0000_C612_0102))
        XCTAssertEqual(IPv6Address("2001:db8:1:2:3:4:198.18.1.2"), IPv6Address(high: 0x2001_0DB8_0001_0002, low: 0x0003_0004_C612_0102))
    }

    func testRefusesMalformedText() {
        let refused = [
            "", ":::", "::::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
            "1:2:3:4::5:6:7:8",
            // More than one "::"
            "1::2::3", "::1::", "1::2::", "::1::2", "1:::2", "1::::2", ":::1",
            // Group too long or not hex
            "12345::", "2001:db8::g", "2001:db8::-1", "2001:db8::0x1", "2001:db8::1_0",
            // Dotted quad anywhere but last, or malformed, or too many groups with it
            "198.18.0.1::", "::198.18.0.1:1", "2001:db8::256.0.0.1", "2001:db8::198.18.0", "2001:db8::198.018.0.1",
            "1:2:3:4:5:6:7:198.18.0.1", "::1:2:3:4:5:6:198.18.0.1",
            // Whitespace, zones, prefixes
            " ::1", "::1 ", "fe80::1%eth0", "2001:db8::/32", "[2001:db8::1]",
        ]
        for text in refused { XCTAssertNil(IPv6Address(text), "accepted \(text.debugDescription)") }
    }

    /// RFC 4291 2.2: "::" stands for groups of zeros; a lone leading or trailing ":" is not an
    /// abbreviation of anything and must be refused. (Fails against IPv6Address.init: an empty
    /// piece from a single colon is taken for "::".)
    func testRefusesSingleLeadingOrTrailingColon() {
        for text in [":", ":1", "1:", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", ":2001:db8::1", "2001:db8::1:", ":1::", "::1:"] {
            XCTAssertNil(IPv6Address(text), "accepted \(text.debugDescription) as \(IPv6Address(text).map { "\($0)" } ?? "")")
        }
    }

    /// A group is one to four hex digits (RFC 4291 2.2) and nothing else. (Fails against
    /// IPv6Address.init: `UInt16(_:radix:)` accepts a leading "+" or "-".)
    func testRefusesSignCharactersInGroups() {
        for text in ["+1::", "-0::", "2001:db8::+1", "2001:db8::-0", "2001:+db8::1", "1:2:3:4:5:6:7:+8"] {
            XCTAssertNil(IPv6Address(text), "accepted \(text.debugDescription) as \(IPv6Address(text).map { "\($0)" } ?? "")")
        }
    }

    /// RFC 5952 section 4 (and its examples, moved to 2001:db8::/32).
    func testPrintsRFC5952CanonicalText() {
        let cases: [(String, String)] = [
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),            // 4.2.1 longest run
            ("2001:0db8::0001", "2001:db8::1"),                   // 4.1 no leading zeros
            ("2001:db8:0000:0:0:0:0:1", "2001:db8::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),     // 4.2.2 a single zero group stays
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),        // 4.2.3 first of equal runs
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),          // 4.2.3 longest, not first
            ("2001:DB8::AAAA:Bc", "2001:db8::aaaa:bc"),           // 4.3 lower case
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"),
            ("0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("1:0:0:4:5:6:7:8", "1::4:5:6:7:8"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(IPv6Address(input)?.description, expected, input)
        }
    }

    /// For random addresses with many zero groups, the text must parse back to the same value
    /// and follow RFC 5952: no leading zeros, lower case, "::" for the first longest run of two
    /// or more zero groups and nowhere else.
    func testRandomAddressesPrintCanonicallyAndRoundTrip() {
        var rng = SeededGenerator(seed: 6)
        let choices: [UInt16] = [0, 0, 0, 1, 0xdb8, 0xABCD, 0x10, 0xF000]
        for _ in 0..<5000 {
            let g = (0..<8).map { _ in Bool.random(using: &rng) ? choices.randomElement(using: &rng)! : UInt16.random(in: 0...0xFFFF, using: &rng) }
            let address = IPv6Address(high: g[0..<4].reduce(0) { $0 << 16 | UInt64($1) }, low: g[4..<8].reduce(0) { $0 << 16 | UInt64($1) })
            XCTAssertEqual(groups(address), g)

            var bestStart = -1, bestLength = 0
            for start in 0..<8 {
                var length = 0
                while start + length < 8 && g[start + length] == 0 { length += 1 }
                if length > bestLength { bestStart = start; bestLength = length }
            }
            let hex = g.map { String($0, radix: 16) }
            let expected = bestLength >= 2
                ? hex[0..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
                : hex.joined(separator: ":")

            let text = address.description
            XCTAssertEqual(text, expected)
            XCTAssertEqual(IPv6Address(text), address, text)
        }
    }

    func testBytesStoreAndLoadAreNetworkOrder() {
        let address = IPv6Address("2001:db8:1:2:3:4:5:6")!
        let wire: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]
        XCTAssertEqual(address.bytes, wire)
        var buffer = [UInt8](repeating: 0xEE, count: 18)
        buffer.withUnsafeMutableBytes { address.store(to: $0.baseAddress! + 1) }
        XCTAssertEqual(Array(buffer[1..<17]), wire)
        XCTAssertEqual(buffer[0], 0xEE)
        XCTAssertEqual(buffer[17], 0xEE)
        XCTAssertEqual(buffer.withUnsafeBytes { IPv6Address(bytes: $0.baseAddress! + 1) }, address)
    }

    func testOrderingComparesHighHalfFirst() {
        XCTAssertLessThan(IPv6Address("2001:db8::ffff")!, IPv6Address("2001:db8:0:1::")!)
        XCTAssertLessThan(IPv6Address("2001:db8::1")!, IPv6Address("2001:db8::2")!)
        XCTAssertFalse(IPv6Address("2001:db8::2")! < IPv6Address("2001:db8::2")!)
    }
}

final class IPAddressTests: XCTestCase {
    func testDispatchesOnFamily() {
        XCTAssertEqual(IPAddress("198.18.0.1"), .v4(IPv4Address("198.18.0.1")!))
        XCTAssertEqual(IPAddress("2001:db8::1"), .v6(IPv6Address("2001:db8::1")!))
        XCTAssertNil(IPAddress("198.18.0.01"))
        XCTAssertNil(IPAddress("2001:db8::1::"))
        XCTAssertNil(IPAddress("router"))
        XCTAssertEqual(IPAddress("198.18.0.1")?.description, "198.18.0.1")
        XCTAssertEqual(IPAddress("2001:DB8:0:0::1")?.description, "2001:db8::1")
    }
}
