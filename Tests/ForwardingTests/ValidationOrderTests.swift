import XCTest
import Packet
@testable import Forwarding

/// When a packet breaks several rules, the first check in order decides its counter. IPv4
/// follows RFC 1812 5.2.2 as far as safe reading allows (version and IHL must be read before
/// the checksum, which covers IHL*4 bytes), then 5.3.7 (martians), then the forwarding
/// decision: local or no route before TTL (5.3.1 applies to packets in transit), TTL before MTU.
final class ValidationOrderTests: XCTestCase {
    let harness = PipelineHarness()

    private func assertOrder(_ frame: [UInt8], _ reason: DropReason, checksum: IPv4Input.ChecksumStatus = .unknown,
                             _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        assertDropped(frame, reason, checksum: checksum, harness: harness, message, file: file, line: line)
    }

    func testEthernetBeforeIP() {
        assertOrder(ipv4 { $0.destinationMAC = MACAddress("ff:ff:ff:ff:ff:ff")!; $0.frameLength = 13 }, .ethTooShort, "too short before multicast")
        assertOrder(ipv4 { $0.destinationMAC = MACAddress("01:00:5e:00:00:01")!; $0.checksumError = 1; $0.ttl = 0 }, .ethMulticast, "multicast MAC before IP checks")
        assertOrder(ipv4 { $0.destinationMAC = Fixture.port1MAC; $0.version = 5 }, .ethNotForUs, "MAC before IP version")
        assertOrder(ipv6 { $0.destinationMAC = Fixture.port1MAC; $0.source = "::1" }, .ethNotForUs, "MAC before IPv6 checks")
    }

    func testIPv4StructuralChecksInOrder() {
        assertOrder(ipv4 { $0.version = 6; $0.frameLength = 14 + 19 }, .ipv4TooShort, "length before version")
        assertOrder(ipv4 { $0.version = 6; $0.ihl = 4 }, .ipv4BadVersion, "version before IHL")
        assertOrder(ipv4 { $0.ihl = 4; $0.checksumError = 1 }, .ipv4BadIHL, "IHL before checksum")
        assertOrder(ipv4 { $0.ihl = 4 }, .ipv4BadIHL, checksum: .bad, "IHL before the NIC's checksum flag")
        assertOrder(ipv4 { $0.ihl = 15; $0.payloadLength = 0; $0.frameLength = 14 + 40; $0.checksumError = 1 }, .ipv4TruncatedHeader,
                    "truncated header before checksum")
        assertOrder(ipv4 { $0.checksumError = 1; $0.totalLength = 19 }, .ipv4BadChecksum, "checksum before total length")
        assertOrder(ipv4 { $0.checksumError = 1; $0.totalLength = 1000 }, .ipv4BadChecksum, "checksum before total length beyond frame")
    }

    /// The brief's example: bad checksum and martian source counts as bad checksum.
    func testBadChecksumBeforeMartians() {
        assertOrder(ipv4 { $0.checksumError = 1; $0.source = "127.0.0.1" }, .ipv4BadChecksum, "software check")
        assertOrder(ipv4 { $0.source = "127.0.0.1" }, .ipv4BadChecksum, checksum: .bad, "NIC flag")
        assertOrder(ipv4 { $0.checksumError = 1; $0.destination = "224.0.0.1" }, .ipv4BadChecksum, "before multicast destination")
        assertOrder(ipv4 { $0.checksumError = 1; $0.ttl = 1 }, .ipv4BadChecksum, "before TTL")
    }

    func testTotalLengthBeforeMartians() {
        assertOrder(ipv4 { $0.totalLength = 19; $0.source = "0.0.0.0" }, .ipv4BadTotalLength, "total length before martian source")
    }

    func testAddressChecksInOrder() {
        assertOrder(ipv4 { $0.source = "127.0.0.1"; $0.destination = "0.0.0.0" }, .ipv4MartianSource, "source before destination")
        assertOrder(ipv4 { $0.source = "224.0.0.1"; $0.destination = "224.0.0.2" }, .ipv4MartianSource, "multicast source before multicast destination")
        assertOrder(ipv4 { $0.source = "240.0.0.1"; $0.ttl = 1 }, .ipv4MartianSource, "martian before TTL")
        assertOrder(ipv4 { $0.destination = "255.255.255.255" }, .ipv4MartianDestination, "limited broadcast is martian, not multicast")
        assertOrder(ipv4 { $0.destination = "127.0.0.1"; $0.ttl = 0 }, .ipv4MartianDestination, "martian destination before TTL")
        assertOrder(ipv4 { $0.destination = "239.1.1.1"; $0.ttl = 1 }, .ipv4MulticastDestination, "multicast before TTL")
    }

    func testForwardingDecisionsInOrder() {
        assertOrder(ipv4 { $0.ttl = 1; $0.payloadLength = 2000 }, .ipv4TTLExpired, "TTL before MTU")
        assertOrder(ipv6 { $0.hopLimit = 1; $0.payloadLength = 2000 }, .ipv6HopLimitExpired, "hop limit before MTU")
        assertOrder(ipv4 { $0.ttl = 1; $0.destination = "198.18.0.1"; $0.payloadLength = 2000 }, .local, "local before TTL and MTU")
        assertOrder(ipv4 { $0.ttl = 0; $0.destination = "198.18.9.9" }, .noRoute, "no route before TTL")
        assertOrder(ipv4 { $0.ttl = 1; $0.destination = "198.18.1.50" }, .ipv4TTLExpired, "TTL before no neighbor")
    }

    func testIPv6ChecksInOrder() {
        assertOrder(ipv6 { $0.version = 4; $0.payloadLength = 0; $0.frameLength = 14 + 39 }, .ipv6TooShort, "length before version")
        assertOrder(ipv6 { $0.version = 4; $0.payloadLengthField = 1000 }, .ipv6BadVersion, "version before payload length")
        assertOrder(ipv6 { $0.payloadLengthField = 1000; $0.source = "::" }, .ipv6BadPayloadLength, "payload length before addresses")
        assertOrder(ipv6 { $0.source = "::1"; $0.destination = "::" }, .ipv6MartianSource, "source before destination")
        assertOrder(ipv6 { $0.source = "ff02::1"; $0.destination = "fe80::1" }, .ipv6MartianSource, "multicast source before link-local")
        assertOrder(ipv6 { $0.source = "fe80::1"; $0.destination = "::1" }, .ipv6MartianDestination, "martian destination before link-local")
        assertOrder(ipv6 { $0.source = "fe80::1"; $0.destination = "ff02::1" }, .ipv6MulticastDestination, "multicast destination before link-local")
        assertOrder(ipv6 { $0.source = "fe80::1"; $0.hopLimit = 1 }, .ipv6LinkLocal, "link-local before hop limit")
        assertOrder(ipv6 { $0.destination = "2001:db8::1"; $0.hopLimit = 0 }, .local, "local before hop limit")
        assertOrder(ipv6 { $0.destination = "2001:db8:ffff::1"; $0.hopLimit = 0 }, .noRoute, "no route before hop limit")
    }

    /// A packet dropped after validation leaves the frame exactly as it came (no TTL
    /// decrement, no MAC rewrite): the kernel path may still want it as received.
    func testDroppedPacketsAreNotModified() {
        let frames = [
            ipv4 { $0.payloadLength = 1481 }, ipv4 { $0.destination = "198.18.1.50" }, ipv4 { $0.destination = "198.18.0.1" },
            ipv4 { $0.ttl = 1 }, ipv6 { $0.payloadLength = 1461 }, ipv6 { $0.destination = "2001:db8:1::50" },
            ipv6 { $0.destination = "2001:db8::1" }, ipv6 { $0.hopLimit = 1 }, ipv4 { $0.destination = "198.18.9.9" },
        ]
        for (frame, outcome) in zip(frames, harness.run(frames)) {
            guard case .drop = outcome.verdict else { XCTFail("\(outcome.verdict)"); continue }
            XCTAssertEqual(outcome.frame, frame, "\(outcome.verdict)")
        }
    }
}
