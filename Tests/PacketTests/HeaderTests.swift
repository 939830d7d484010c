import XCTest
import Packet

final class EthernetHeaderTests: XCTestCase {
    func testDestinationAndEtherType() {
        let frame = hexBytes("02 00 00 00 00 01  02 00 00 00 00 02  86 dd")
        frame.withUnsafeBytes { p in
            XCTAssertEqual(Ethernet.destination(p.baseAddress!), 0x0200_0000_0001)
            XCTAssertEqual(Ethernet.destination(p.baseAddress!), MACAddress("02:00:00:00:00:01")!.value)
            XCTAssertEqual(Ethernet.etherType(p.baseAddress!), Ethernet.typeIPv6)
        }
        XCTAssertEqual(Ethernet.typeIPv4, 0x0800)
        XCTAssertEqual(Ethernet.typeARP, 0x0806)
        XCTAssertEqual(Ethernet.typeVLAN, 0x8100)
        XCTAssertEqual(Ethernet.headerLength, 14)
    }

    func testAddressRewriteWritesDestinationThenSourceAndNothingElse() {
        let rewrite = Ethernet.AddressRewrite(destination: MACAddress("02:00:00:00:01:02")!, source: MACAddress("02:00:00:00:01:01")!)
        var frame = [UInt8](repeating: 0xEE, count: 20)
        frame.withUnsafeMutableBytes { rewrite.apply(to: $0.baseAddress! + 1) }
        XCTAssertEqual(frame[0], 0xEE)
        XCTAssertEqual(Array(frame[1..<7]), [0x02, 0, 0, 0, 0x01, 0x02])
        XCTAssertEqual(Array(frame[7..<13]), [0x02, 0, 0, 0, 0x01, 0x01])
        XCTAssertEqual(Array(frame[13...]), [UInt8](repeating: 0xEE, count: 7))
        XCTAssertEqual(Ethernet.AddressRewrite(), Ethernet.AddressRewrite(destination: MACAddress(0), source: MACAddress(0)))
    }
}

final class IPHeaderAccessorTests: XCTestCase {
    func testIPv4Fields() {
        let header = hexBytes("46 00 05 dc 12 34 40 00 07 11 00 00 c6 12 00 0a c6 13 01 0a 00 00 00 00")
        header.withUnsafeBytes { raw in
            let h = raw.baseAddress!
            XCTAssertEqual(IPv4Header.versionAndIHL(h), 0x46)
            XCTAssertEqual(IPv4Header.totalLength(h), 1500)
            XCTAssertEqual(IPv4Header.ttl(h), 7)
            XCTAssertEqual(IPv4Header.source(h), IPv4Address("198.18.0.10")!.value)
            XCTAssertEqual(IPv4Header.destination(h), IPv4Address("198.19.1.10")!.value)
        }
        XCTAssertEqual(IPv4Header.protocolOffset, 9)
        XCTAssertEqual(IPv4Header.checksumOffset, 10)
    }

    func testIPv6Fields() {
        var header = [UInt8](repeating: 0, count: 40)
        header[0] = 0x60; header[1] = 0x0A
        header[4] = 0x05; header[5] = 0xB4   // payload length 1460
        header[6] = 17; header[7] = 64
        let source = IPv6Address("2001:db8::2")!, destination = IPv6Address("2001:db8:1:2:3:4:5:6")!
        header.replaceSubrange(8..<24, with: source.bytes)
        header.replaceSubrange(24..<40, with: destination.bytes)
        header.withUnsafeMutableBytes { raw in
            let h = raw.baseAddress!
            XCTAssertEqual(IPv6Header.version(h), 6)
            XCTAssertEqual(IPv6Header.payloadLength(h), 1460)
            XCTAssertEqual(IPv6Header.hopLimit(h), 64)
            XCTAssertEqual(IPv6Header.sourceHigh(h), source.high)
            XCTAssertEqual(IPv6Header.sourceLow(h), source.low)
            XCTAssertEqual(IPv6Header.destinationHigh(h), destination.high)
            XCTAssertEqual(IPv6Header.destinationLow(h), destination.low)
            IPv6Header.decrementHopLimit(h)
            XCTAssertEqual(IPv6Header.hopLimit(h), 63)
        }
        XCTAssertEqual(header[7], 63)
        XCTAssertEqual(header[6], 17)
    }
}
