import XCTest
import Packet

final class IPv4PrefixTests: XCTestCase {
    func testParsesAndClearsHostBits() {
        let p = IPv4Prefix("198.18.1.77/24")
        XCTAssertEqual(p?.address, IPv4Address("198.18.1.0"))
        XCTAssertEqual(p?.length, 24)
        XCTAssertEqual(p?.description, "198.18.1.0/24")
        XCTAssertEqual(IPv4Prefix("198.19.255.255/15")?.description, "198.18.0.0/15")
        XCTAssertEqual(IPv4Prefix("198.18.0.1/32")?.description, "198.18.0.1/32")
        XCTAssertEqual(IPv4Prefix("198.18.0.1/0")?.description, "0.0.0.0/0")
        XCTAssertEqual(IPv4Prefix("255.255.255.255/1")?.description, "128.0.0.0/1")
        XCTAssertEqual(IPv4Prefix(address: IPv4Address("198.18.3.3")!, length: 23)?.address, IPv4Address("198.18.2.0"))
    }

    func testRefusesLengthAbove32AndMalformedText() {
        XCTAssertNil(IPv4Prefix("198.18.0.0/33"))
        XCTAssertNil(IPv4Prefix("198.18.0.0/255"))
        XCTAssertNil(IPv4Prefix("198.18.0.0/256"))
        XCTAssertNil(IPv4Prefix(address: IPv4Address(0), length: 33))
        XCTAssertNil(IPv4Prefix(address: IPv4Address(0), length: 255))
        for text in ["198.18.0.0", "198.18.0.0/", "/24", "198.18.0.0/-1", "198.18.0.0/+8", "198.18.0.0/ 8",
                     "198.18.0.0/24/1", "198.18.0.0/1000", "198.18.0.0/2a", "198.18.0/24", "198.18.0.00/24",
                     "2001:db8::/32", "198.18.0.0//24"] {
            XCTAssertNil(IPv4Prefix(text), "accepted \(text)")
        }
    }

    func testMask() {
        XCTAssertEqual(IPv4Prefix.mask(0), 0)
        XCTAssertEqual(IPv4Prefix.mask(1), 0x8000_0000)
        XCTAssertEqual(IPv4Prefix.mask(15), 0xFFFE_0000)
        XCTAssertEqual(IPv4Prefix.mask(24), 0xFFFF_FF00)
        XCTAssertEqual(IPv4Prefix.mask(31), 0xFFFF_FFFE)
        XCTAssertEqual(IPv4Prefix.mask(32), 0xFFFF_FFFF)
        for length in 0...32 { XCTAssertEqual(IPv4Prefix.mask(UInt8(length)).nonzeroBitCount, length) }
    }

    func testContains() {
        let p = IPv4Prefix("198.18.0.0/15")!
        XCTAssertTrue(p.contains(IPv4Address("198.18.0.0")!))
        XCTAssertTrue(p.contains(IPv4Address("198.19.255.255")!))
        XCTAssertFalse(p.contains(IPv4Address("198.20.0.0")!))
        XCTAssertFalse(p.contains(IPv4Address("198.17.255.255")!))
        let all = IPv4Prefix("0.0.0.0/0")!
        XCTAssertTrue(all.contains(IPv4Address(0)))
        XCTAssertTrue(all.contains(IPv4Address(.max)))
        let host = IPv4Prefix("198.18.0.1/32")!
        XCTAssertTrue(host.contains(IPv4Address("198.18.0.1")!))
        XCTAssertFalse(host.contains(IPv4Address("198.18.0.0")!))
        XCTAssertFalse(host.contains(IPv4Address("198.18.0.2")!))
    }
}

final class IPv6PrefixTests: XCTestCase {
    /// Bit-by-bit reference for clearing host bits.
    private func referenceMask(_ a: IPv6Address, _ length: Int) -> IPv6Address {
        var high: UInt64 = 0, low: UInt64 = 0
        for bit in 0..<length {
            if bit < 64 { high |= a.high & (1 << UInt64(63 - bit)) } else { low |= a.low & (1 << UInt64(127 - bit)) }
        }
        return IPv6Address(high: high, low: low)
    }

    func testParsesAndClearsHostBits() {
        XCTAssertEqual(IPv6Prefix("2001:db8::1/64")?.description, "2001:db8::/64")
        XCTAssertEqual(IPv6Prefix("2001:db8:ffff:ffff::/32")?.description, "2001:db8::/32")
        XCTAssertEqual(IPv6Prefix("2001:db8::1/128")?.description, "2001:db8::1/128")
        XCTAssertEqual(IPv6Prefix("2001:db8::1/0")?.description, "::/0")
        XCTAssertEqual(IPv6Prefix("2001:db8:1:2:3:4:5:6/65")?.length, 65)
        XCTAssertEqual(IPv6Prefix("2001:db8:1:2:ffff:4:5:6/65")?.address, IPv6Address("2001:db8:1:2:8000::"))
    }

    func testHostBitsClearedAtEveryLength() {
        let ones = IPv6Address(high: .max, low: .max)
        var rng = SeededGenerator(seed: 61)
        for length in 0...128 {
            for address in [ones, IPv6Address(high: rng.next(), low: rng.next())] {
                let expected = referenceMask(address, length)
                XCTAssertEqual(address.masked(UInt8(length)), expected, "/\(length)")
                XCTAssertEqual(IPv6Prefix(address: address, length: UInt8(length))?.address, expected, "/\(length)")
            }
        }
    }

    func testRefusesLengthAbove128AndMalformedText() {
        XCTAssertNil(IPv6Prefix("2001:db8::/129"))
        XCTAssertNil(IPv6Prefix("2001:db8::/255"))
        XCTAssertNil(IPv6Prefix(address: IPv6Address(high: 0, low: 0), length: 129))
        for text in ["2001:db8::", "2001:db8::/", "/64", "2001:db8::/-1", "2001:db8::/+64", "2001:db8::/6 4",
                     "2001:db8::/64/1", "2001:db8::/1000", "2001:db8:::/64", "198.18.0.0/24"] {
            XCTAssertNil(IPv6Prefix(text), "accepted \(text)")
        }
    }

    func testContains() {
        let p = IPv6Prefix("2001:db8::/32")!
        XCTAssertTrue(p.contains(IPv6Address("2001:db8::")!))
        XCTAssertTrue(p.contains(IPv6Address("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")!))
        XCTAssertFalse(p.contains(IPv6Address("2001:db9::")!))
        XCTAssertFalse(p.contains(IPv6Address("2001:db7:ffff::")!))
        let p65 = IPv6Prefix("2001:db8::8000:0:0:0/65")!
        XCTAssertTrue(p65.contains(IPv6Address("2001:db8::ffff:1:2:3")!))
        XCTAssertFalse(p65.contains(IPv6Address("2001:db8::7fff:1:2:3")!))
        XCTAssertTrue(IPv6Prefix("::/0")!.contains(IPv6Address(high: .max, low: .max)))
        let host = IPv6Prefix("2001:db8::1/128")!
        XCTAssertTrue(host.contains(IPv6Address("2001:db8::1")!))
        XCTAssertFalse(host.contains(IPv6Address("2001:db8::")!))
    }
}

final class IPPrefixAndInterfaceAddressTests: XCTestCase {
    func testIPPrefixDispatchesOnFamily() {
        XCTAssertEqual(IPPrefix("198.18.0.9/24"), .v4(IPv4Prefix("198.18.0.0/24")!))
        XCTAssertEqual(IPPrefix("2001:db8::9/48"), .v6(IPv6Prefix("2001:db8::/48")!))
        XCTAssertEqual(IPPrefix("198.18.0.9/24")?.length, 24)
        XCTAssertEqual(IPPrefix("2001:db8::9/48")?.length, 48)
        XCTAssertEqual(IPPrefix("198.18.0.9/24")?.description, "198.18.0.0/24")
        XCTAssertNil(IPPrefix("198.18.0.0/33"))
        XCTAssertNil(IPPrefix("2001:db8::/129"))
        XCTAssertNil(IPPrefix("198.18.0.0"))
    }

    func testIPPrefixContainsOnlyItsOwnFamily() {
        let v4 = IPPrefix("0.0.0.0/0")!, v6 = IPPrefix("::/0")!
        XCTAssertTrue(v4.contains(IPAddress("198.18.0.1")!))
        XCTAssertFalse(v4.contains(IPAddress("2001:db8::1")!))
        XCTAssertTrue(v6.contains(IPAddress("2001:db8::1")!))
        XCTAssertFalse(v6.contains(IPAddress("198.18.0.1")!))
        XCTAssertFalse(IPPrefix("198.18.0.0/24")!.contains(IPAddress("198.18.1.0")!))
    }

    func testInterfaceAddressKeepsHostBits() {
        let a = InterfaceAddress("198.18.0.1/24")
        XCTAssertEqual(a?.address, .v4(IPv4Address("198.18.0.1")!))
        XCTAssertEqual(a?.length, 24)
        XCTAssertEqual(a?.subnet, .v4(IPv4Prefix("198.18.0.0/24")!))
        XCTAssertEqual(a?.description, "198.18.0.1/24")

        let b = InterfaceAddress("2001:db8::1/64")
        XCTAssertEqual(b?.address, .v6(IPv6Address("2001:db8::1")!))
        XCTAssertEqual(b?.length, 64)
        XCTAssertEqual(b?.subnet, .v6(IPv6Prefix("2001:db8::/64")!))
        XCTAssertEqual(b?.description, "2001:db8::1/64")
    }

    func testInterfaceAddressRefusesBadLengthsAndText() {
        for text in ["198.18.0.1/33", "198.18.0.1/64", "2001:db8::1/129", "198.18.0.1", "2001:db8::1",
                     "198.18.0.1/", "198.18.0.256/24", "2001:db8::1::/64", "eth0/24"] {
            XCTAssertNil(InterfaceAddress(text), "accepted \(text)")
        }
        XCTAssertEqual(InterfaceAddress("2001:db8::1/33")?.length, 33)
    }
}
