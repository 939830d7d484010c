import XCTest
import Packet
@testable import Forwarding

/// The fast path must never accept a frame the ordered checks would drop, and must give the same
/// IP length when it accepts. It may decline a valid frame (options, for instance): those go
/// through the ordered checks, which accept them.
final class IPv4FastPathTests: XCTestCase {
    private static let unicastFirstOctet = IPv4FastPath.makeUnicastFirstOctetTable()
    private let expected = IPv4FastPath.Expected(portMAC: Fixture.port0MAC.value, unicastFirstOctet: IPv4FastPathTests.unicastFirstOctet)

    private func fast(_ frame: [UInt8], _ checksum: IPv4Input.ChecksumStatus = .unknown) -> Int {
        frame.withUnsafeBytes { IPv4FastPath.acceptedLength($0.baseAddress!, length: frame.count, expected: expected, checksum: checksum) }
    }

    /// What stages 1 and 2 decide through the ordered checks: the IP length, or nil for a drop.
    private func ordered(_ frame: [UInt8], _ checksum: IPv4Input.ChecksumStatus = .unknown) -> Int? {
        frame.withUnsafeBytes { raw -> Int? in
            let p = raw.baseAddress!
            guard case .ipv4 = EthernetInput.classify(p, length: frame.count, portMAC: Fixture.port0MAC.value) else { return nil }
            guard case .valid(let length) = IPv4Input.validateInOrder(p + Ethernet.headerLength, available: frame.count - Ethernet.headerLength, checksum: checksum) else { return nil }
            return length
        }
    }

    func testAcceptsTheUsualPacketWithItsLength() {
        XCTAssertEqual(fast(ipv4()), 28)
        XCTAssertEqual(fast(ipv4 { $0.frameLength = 60 }), 28, "Ethernet padding is not IP length")
        XCTAssertEqual(fast(ipv4 { $0.checksumError = 1 }, .good), 28, "the NIC's GOOD is trusted")
    }

    func testDeclinesWhatTheOrderedChecksMustJudge() {
        let declined: [(String, [UInt8], IPv4Input.ChecksumStatus)] = [
            ("bad checksum", ipv4 { $0.checksumError = 1 }, .unknown),
            ("NIC said bad", ipv4(), .bad),
            ("options", ipv4 { $0.ihl = 6 }, .unknown),
            ("version 5", ipv4 { $0.version = 5 }, .unknown),
            ("IPv6 ethertype", ipv4 { $0.etherType = Ethernet.typeIPv6 }, .unknown),
            ("other MAC", ipv4 { $0.destinationMAC = Fixture.neighbor1MAC }, .unknown),
            ("total length beyond frame", ipv4 { $0.totalLength = 29 }, .unknown),
            ("total length under 20", ipv4 { $0.totalLength = 19 }, .unknown),
            ("short frame", Array(ipv4().prefix(33)), .unknown),
            ("source 0/8", ipv4 { $0.source = "0.1.2.3" }, .unknown),
            ("source 127/8", ipv4 { $0.source = "127.0.0.1" }, .unknown),
            ("source multicast", ipv4 { $0.source = "224.0.0.5" }, .unknown),
            ("destination 240/4", ipv4 { $0.destination = "240.0.0.1" }, .unknown),
            ("limited broadcast", ipv4 { $0.destination = "255.255.255.255" }, .unknown),
            ("destination multicast", ipv4 { $0.destination = "239.1.1.1" }, .unknown),
        ]
        for (name, frame, checksum) in declined {
            XCTAssertEqual(fast(frame, checksum), 0, name)
        }
    }

    func testNeverAcceptsWhatTheOrderedChecksDropOnRandomFrames() {
        var rng = SeededGenerator(seed: 0xFA57)
        let statuses: [IPv4Input.ChecksumStatus] = [.unknown, .good, .bad]
        var accepted = 0
        for _ in 0..<50_000 {
            var frame = ipv4 {
                $0.payloadLength = Int.random(in: 0...40, using: &rng)
                $0.source = "\(UInt8.random(in: 0...255, using: &rng)).0.0.1"
                $0.destination = "\(UInt8.random(in: 0...255, using: &rng)).2.3.4"
            }
            // Damage a few bytes of the Ethernet or IP header, or cut the frame.
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                frame[Int.random(in: 0..<34, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            if Bool.random(using: &rng) && Int.random(in: 0..<8, using: &rng) == 0 {
                frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &rng)))
            }
            let checksum = statuses[Int.random(in: 0..<3, using: &rng)]
            let f = fast(frame, checksum)
            if f != 0 {
                accepted += 1
                XCTAssertEqual(ordered(frame, checksum), f, "frame \(frame) checksum \(checksum)")
            }
        }
        XCTAssertGreaterThan(accepted, 2_500, "the random frames must exercise acceptance too")
    }
}
