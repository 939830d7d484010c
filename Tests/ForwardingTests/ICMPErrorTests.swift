import XCTest
import Packet
@testable import Forwarding

final class ICMPErrorTests: XCTestCase {
    private let router4 = IPv4Address("198.18.0.1")!
    private let router6 = IPv6Address("2001:db8::1")!

    private func build4(_ kind: ICMPError.Kind, _ frame: [UInt8], capacity: Int = 2048) -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: capacity)
        let n = frame.withUnsafeBytes { f in
            out.withUnsafeMutableBytes {
                ICMPError.buildIPv4(kind, about: f.baseAddress!, ipLength: frame.count - 14, source: router4,
                                    portMAC: Fixture.port0MAC, into: $0.baseAddress!, capacity: capacity)
            }
        }
        return Array(out.prefix(n))
    }

    private func build6(_ kind: ICMPError.Kind, _ frame: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: 2048)
        let n = frame.withUnsafeBytes { f in
            out.withUnsafeMutableBytes {
                ICMPError.buildIPv6(kind, about: f.baseAddress!, ipLength: frame.count - 14, source: router6,
                                    portMAC: Fixture.port0MAC, into: $0.baseAddress!, capacity: 2048)
            }
        }
        return Array(out.prefix(n))
    }

    private func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }

    func testIPv4TimeExceeded() {
        let original = ipv4 { $0.ttl = 1; $0.payloadLength = 20 }
        let e = build4(.timeExceeded, original)
        XCTAssertEqual(e.count, 14 + 20 + 8 + 40, "the original (20 + 20 bytes) whole")
        XCTAssertEqual(Array(e[0..<6]), Fixture.neighbor0MAC.bytes, "back to the sender's MAC")
        XCTAssertEqual(Array(e[6..<12]), Fixture.port0MAC.bytes)
        XCTAssertEqual(u16(e, 12), 0x0800)
        XCTAssertEqual(e[14], 0x45)
        XCTAssertEqual(u16(e, 16), 20 + 8 + 40, "total length")
        XCTAssertEqual(e[22], 64, "TTL"); XCTAssertEqual(e[23], 1, "protocol ICMP")
        XCTAssertEqual(referenceSum(e[14..<34]), 0xFFFF, "IP header checksum")
        XCTAssertEqual(u16(e, 20), 0, "not DF, not a fragment")
        XCTAssertEqual(Array(e[26..<30]), [198, 18, 0, 1], "from the router's address")
        XCTAssertEqual(Array(e[30..<34]), Array(original[26..<30]), "to the original source")
        XCTAssertEqual(e[34], 11); XCTAssertEqual(e[35], 0)
        XCTAssertEqual(referenceSum(e[34...]), 0xFFFF, "ICMP checksum")
        XCTAssertEqual(Array(e[42...]), Array(original[14...]), "the whole original packet is quoted")
    }

    func testIPv4FragmentationNeededCarriesTheMTUAndQuotesAtMost576Bytes() {
        let original = ipv4 { $0.payloadLength = 1400 }
        let e = build4(.tooBig(mtu: 1280), original)
        XCTAssertEqual(e[34], 3); XCTAssertEqual(e[35], 4)
        XCTAssertEqual(u16(e, 40), 1280, "next-hop MTU (RFC 1191)")
        XCTAssertEqual(e.count - 14, 576, "RFC 1812 4.3.2.3 limit")
        XCTAssertEqual(referenceSum(e[34...]), 0xFFFF)
        XCTAssertEqual(build4(.noRoute, original)[35], 0)
        XCTAssertEqual(build4(.hostUnreachable, original)[35], 1)
        XCTAssertEqual(build4(.noRoute, original, capacity: 100), [], "no room: nothing written")
    }

    func testIPv6ErrorsAndTheirChecksum() {
        let original = ipv6 { $0.hopLimit = 1; $0.payloadLength = 1400 }
        for (kind, type, code) in [(ICMPError.Kind.timeExceeded, 3, 0), (.noRoute, 1, 0), (.hostUnreachable, 1, 3), (.tooBig(mtu: 1400), 2, 0)] {
            let e = build6(kind, original)
            XCTAssertEqual(e.count, 14 + 1280, "RFC 4443 2.4(c): fits in the minimum MTU")
            XCTAssertEqual(u16(e, 12), 0x86DD)
            XCTAssertEqual(e[14] >> 4, 6)
            XCTAssertEqual(u16(e, 18), 1280 - 40, "payload length")
            XCTAssertEqual(e[20], 58)
            XCTAssertEqual(Array(e[22..<38]), router6.bytes)
            XCTAssertEqual(Array(e[38..<54]), Array(original[22..<38]), "to the original source")
            XCTAssertEqual(Int(e[54]), type); XCTAssertEqual(Int(e[55]), code)
            // Pseudo-header (RFC 8200 8.1) + message must sum to all ones.
            let length = e.count - 54
            let pseudo = Array(e[22..<54]) + [0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, 58]
            XCTAssertEqual(referenceSum((pseudo + Array(e[54...]))[...]), 0xFFFF, "ICMPv6 checksum for \(kind)")
            if case .tooBig = kind { XCTAssertEqual(Array(e[58..<62]), [0, 0, 0x05, 0x78], "MTU 1400") }
            XCTAssertEqual(Array(e[62..<102]), Array(original[14..<54]), "the original header is quoted")
        }
    }

    private func may4(_ frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { ICMPError.mayReportIPv4($0.baseAddress! + 14, ipLength: frame.count - 14) }
    }
    private func may6(_ frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { ICMPError.mayReportIPv6($0.baseAddress! + 14, ipLength: frame.count - 14) }
    }

    func testIPv4NeverAboutErrorsBroadcastMulticastBadSourcesOrLaterFragments() {
        XCTAssertTrue(may4(ipv4()))
        var echo = ipv4 { $0.proto = 1 }; echo[34] = 8
        XCTAssertTrue(may4(echo), "an echo request may get an error")
        for type: UInt8 in [3, 4, 5, 11, 12] {
            var error = ipv4 { $0.proto = 1 }; error[34] = type
            XCTAssertFalse(may4(error), "ICMP type \(type) is an error")
        }
        XCTAssertFalse(may4(ipv4 { $0.destination = "224.0.0.9" }))
        XCTAssertFalse(may4(ipv4 { $0.destination = "255.255.255.255" }))
        XCTAssertFalse(may4(ipv4 { $0.source = "0.0.0.0" }))
        XCTAssertFalse(may4(ipv4 { $0.source = "127.0.0.1" }))
        XCTAssertFalse(may4(ipv4 { $0.source = "240.0.0.1" }))
        var later = ipv4(); later[20] = 0x20; later[21] = 0x10
        XCTAssertFalse(may4(later), "a non-first fragment")
        var first = ipv4(); first[20] = 0x20; first[21] = 0x00
        XCTAssertTrue(may4(first), "the first fragment (MF set, offset 0)")
    }

    func testIPv6NeverAboutErrorsMulticastBadSourcesOrLaterFragments() {
        XCTAssertTrue(may6(ipv6()))
        var error = ipv6 { $0.nextHeader = 58 }; error[54] = 1
        XCTAssertFalse(may6(error))
        var echo = ipv6 { $0.nextHeader = 58 }; echo[54] = 128
        XCTAssertTrue(may6(echo))
        XCTAssertFalse(may6(ipv6 { $0.destination = "ff0e::1" }))
        XCTAssertFalse(may6(ipv6 { $0.source = "ff02::1" }))
        XCTAssertFalse(may6(ipv6 { $0.source = "::" }))
        XCTAssertFalse(may6(ipv6 { $0.source = "::1" }))
        var later = ipv6 { $0.nextHeader = 44; $0.payloadLength = 16 }; later[56] = 0; later[57] = 0x08
        XCTAssertFalse(may6(later), "fragment offset 1")
        var first = ipv6 { $0.nextHeader = 44; $0.payloadLength = 16 }; first[56] = 0; first[57] = 0x01
        XCTAssertTrue(may6(first), "offset 0, M set")
        var redirect = ipv6 { $0.nextHeader = 58 }; redirect[54] = 137
        XCTAssertFalse(may6(redirect), "a redirect")
        // Hop-by-hop options (8 bytes) then an ICMPv6 error: still an error.
        var hidden = ipv6 { $0.nextHeader = 0; $0.payloadLength = 16 }
        hidden[54] = 58; hidden[55] = 0; hidden[62] = 1
        XCTAssertFalse(may6(hidden), "an ICMPv6 error behind a hop-by-hop header")
        hidden[62] = 128
        XCTAssertTrue(may6(hidden), "an echo request behind a hop-by-hop header")
        var laterBehind = ipv6 { $0.nextHeader = 60; $0.payloadLength = 24 }
        laterBehind[54] = 44; laterBehind[55] = 0; laterBehind[62] = 17; laterBehind[64] = 0; laterBehind[65] = 0x08
        XCTAssertFalse(may6(laterBehind), "a later fragment behind destination options")
        var cut = ipv6 { $0.nextHeader = 0; $0.payloadLength = 4 }
        cut[54] = 58
        XCTAssertFalse(may6(cut), "a chain that runs out of packet")
    }

    func testIPv4ErrorCarriesTheGivenIdentification() {
        let original = ipv4 { $0.ttl = 1; $0.payloadLength = 20 }
        var out = [UInt8](repeating: 0xEE, count: 2048)
        let n = original.withUnsafeBytes { f in
            out.withUnsafeMutableBytes {
                ICMPError.buildIPv4(.timeExceeded, about: f.baseAddress!, ipLength: original.count - 14, source: router4,
                                    portMAC: Fixture.port0MAC, identification: 0xBEEF, into: $0.baseAddress!, capacity: 2048)
            }
        }
        XCTAssertEqual(u16(out, 18), 0xBEEF, "IP identification")
        XCTAssertEqual(referenceSum(out[14..<34]), 0xFFFF, "the checksum covers it")
        XCTAssertGreaterThan(n, 0)
    }
}
