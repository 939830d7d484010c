import XCTest
import Packet
@testable import Forwarding

final class ForwardedPacketTests: XCTestCase {
    let harness = PipelineHarness()

    private func ipHeaderIsValid(_ frame: [UInt8], headerLength: Int = 20) -> Bool {
        referenceSum(frame[14..<(14 + headerLength)]) == 0xFFFF
    }

    /// Everything except the 12 MAC bytes, the TTL and the checksum must be untouched.
    private func assertOnlyRewriteChangedIPv4(_ before: [UInt8], _ after: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(before.count, after.count, file: file, line: line)
        for i in 12..<before.count where i != 14 + 8 && i != 14 + 10 && i != 14 + 11 {
            XCTAssertEqual(after[i], before[i], "byte \(i)", file: file, line: line)
        }
    }

    func testIPv4IsForwardedToTheNeighbor() {
        let before = ipv4 { $0.ttl = 64 }
        let outcome = harness.run(before)
        XCTAssertEqual(outcome.verdict, .transmit(1))
        XCTAssertEqual(harness.outPort[0], 1)
        let after = outcome.frame
        XCTAssertEqual(Array(after[0..<6]), Fixture.neighbor1MAC.bytes, "destination MAC is the neighbor's")
        XCTAssertEqual(Array(after[6..<12]), Fixture.port1MAC.bytes, "source MAC is the egress port's")
        XCTAssertEqual(after[14 + 8], 63, "TTL decremented")
        XCTAssertTrue(ipHeaderIsValid(after), "checksum still valid")
        var zeroed = Array(after[14..<34]); zeroed[10] = 0; zeroed[11] = 0
        XCTAssertEqual(UInt16(after[24]) << 8 | UInt16(after[25]), ~referenceSum(zeroed[...]), "equals a full recomputation")
        assertOnlyRewriteChangedIPv4(before, after)
        XCTAssertEqual(outcome.length, before.count, "no padding, nothing trimmed")
    }

    func testIPv4EveryTTLFrom2To255() {
        for ttl in 2...255 {
            let before = ipv4 { $0.ttl = UInt8(ttl); $0.source = "198.18.0.\(ttl % 250 + 2)" }
            let outcome = harness.run(before)
            XCTAssertEqual(outcome.verdict, .transmit(1), "ttl \(ttl)")
            XCTAssertEqual(outcome.frame[14 + 8], UInt8(ttl - 1))
            XCTAssertTrue(ipHeaderIsValid(outcome.frame), "ttl \(ttl)")
        }
    }

    func testIPv4WithOptionsIsForwardedWithValidChecksum() {
        let before = ipv4 { $0.ihl = 15; $0.payloadLength = 100 }
        let outcome = harness.run(before)
        XCTAssertEqual(outcome.verdict, .transmit(1))
        XCTAssertTrue(ipHeaderIsValid(outcome.frame, headerLength: 60))
        XCTAssertEqual(outcome.frame[14 + 8], 63)
        assertOnlyRewriteChangedIPv4(before, outcome.frame)
    }

    func testIPv4ViaGateway() {
        let outcome = harness.run(ipv4 { $0.destination = "198.19.42.7" })
        XCTAssertEqual(outcome.verdict, .transmit(1))
        XCTAssertEqual(Array(outcome.frame[0..<6]), Fixture.neighbor1MAC.bytes)
        XCTAssertEqual(Array(outcome.frame[6..<12]), Fixture.port1MAC.bytes)
    }

    func testIPv4FromPort1ToPort0() {
        let before = ipv4 { $0.destinationMAC = Fixture.port1MAC; $0.sourceMAC = Fixture.neighbor1MAC
                            $0.source = "198.19.1.1"; $0.destination = "198.18.0.2" }
        XCTAssertEqual(harness.verdict(before), .drop(.ethNotForUs), "port 1's MAC is not port 0's")
        let outcome = harness.run(before, portMAC: Fixture.port1MAC)
        XCTAssertEqual(outcome.verdict, .transmit(0))
        XCTAssertEqual(Array(outcome.frame[0..<6]), Fixture.neighbor0MAC.bytes)
        XCTAssertEqual(Array(outcome.frame[6..<12]), Fixture.port0MAC.bytes)
    }

    /// Frames shorter than 60 bytes arrive padded; the IP total length says where the packet
    /// ends, and `lengths[i]` comes back trimmed to it.
    func testEthernetPaddingIsTrimmed() {
        let before = ipv4 { $0.payloadLength = 8; $0.frameLength = 60 }
        XCTAssertEqual(before.count, 60)
        let outcome = harness.run(before)
        XCTAssertEqual(outcome.verdict, .transmit(1))
        XCTAssertEqual(outcome.length, 14 + 28)

        let longPadding = harness.run(ipv4 { $0.payloadLength = 100; $0.frameLength = 14 + 120 + 37 })
        XCTAssertEqual(longPadding.verdict, .transmit(1))
        XCTAssertEqual(longPadding.length, 14 + 120)

        let v6 = harness.run(ipv6 { $0.payloadLength = 0; $0.frameLength = 64 })
        XCTAssertEqual(v6.verdict, .transmit(1))
        XCTAssertEqual(v6.length, 14 + 40)

        // Unpadded frames keep their length.
        XCTAssertEqual(harness.run(ipv6 { $0.payloadLength = 26 }).length, 14 + 66)
    }

    func testIPv6IsForwardedWithHopLimitDecremented() {
        let before = ipv6 { $0.hopLimit = 64 }
        let outcome = harness.run(before)
        XCTAssertEqual(outcome.verdict, .transmit(1))
        let after = outcome.frame
        XCTAssertEqual(Array(after[0..<6]), Fixture.neighbor1v6MAC.bytes)
        XCTAssertEqual(Array(after[6..<12]), Fixture.port1MAC.bytes)
        XCTAssertEqual(after[14 + 7], 63)
        for i in 12..<before.count where i != 14 + 7 { XCTAssertEqual(after[i], before[i], "byte \(i)") }

        for hopLimit in [2, 3, 128, 255] {
            let o = harness.run(ipv6 { $0.hopLimit = UInt8(hopLimit) })
            XCTAssertEqual(o.verdict, .transmit(1))
            XCTAssertEqual(o.frame[14 + 7], UInt8(hopLimit - 1))
        }
    }

    func testIPv6ViaGatewayAndBackToPort0() {
        let viaGateway = harness.run(ipv6 { $0.destination = "2001:db8:100:5::9" })
        XCTAssertEqual(viaGateway.verdict, .transmit(1))
        XCTAssertEqual(Array(viaGateway.frame[0..<6]), Fixture.neighbor1v6MAC.bytes)

        let back = harness.run(ipv6 { $0.destinationMAC = Fixture.port1MAC; $0.source = "2001:db8:100::7"; $0.destination = "2001:db8::2" },
                               portMAC: Fixture.port1MAC)
        XCTAssertEqual(back.verdict, .transmit(0))
        XCTAssertEqual(Array(back.frame[0..<6]), Fixture.neighbor0MAC.bytes)
        XCTAssertEqual(Array(back.frame[6..<12]), Fixture.port0MAC.bytes)
    }

    // MARK: The NIC's checksum flag

    /// `.good` means the NIC checked the header: no software check, so even a wrong checksum
    /// passes (the flag is trusted, as DPDK applications do).
    func testGoodFlagSkipsTheSoftwareCheck() {
        let before = ipv4 { $0.checksumError = 0x0101 }
        XCTAssertEqual(harness.verdict(before), .drop(.ipv4BadChecksum), "checked in software without the flag")
        let outcome = harness.run(before, checksum: .good)
        XCTAssertEqual(outcome.verdict, .transmit(1))
        XCTAssertEqual(outcome.frame[14 + 8], 63)
    }

    func testGoodFlagWithCorrectChecksumKeepsItCorrect() {
        let outcome = harness.run(ipv4(), checksum: .good)
        XCTAssertEqual(outcome.verdict, .transmit(1))
        XCTAssertTrue(ipHeaderIsValid(outcome.frame))
    }

    func testBadFlagDropsEvenACorrectChecksum() {
        XCTAssertEqual(harness.verdict(ipv4(), checksum: .unknown), .transmit(1))
        XCTAssertEqual(harness.verdict(ipv4(), checksum: .bad), .drop(.ipv4BadChecksum))
    }

    /// The flag is about the IPv4 header checksum; IPv6 has none, so it changes nothing there.
    func testChecksumFlagIsIgnoredForIPv6() {
        XCTAssertEqual(harness.verdict(ipv6(), checksum: .bad), .transmit(1))
        XCTAssertEqual(harness.verdict(ipv6(), checksum: .good), .transmit(1))
    }

    /// `.good` skips only the checksum, never the structural checks.
    func testGoodFlagDoesNotSkipOtherChecks() {
        XCTAssertEqual(harness.verdict(ipv4 { $0.ihl = 4 }, checksum: .good), .drop(.ipv4BadIHL))
        XCTAssertEqual(harness.verdict(ipv4 { $0.totalLength = 1000 }, checksum: .good), .drop(.ipv4BadTotalLength))
        XCTAssertEqual(harness.verdict(ipv4 { $0.source = "127.0.0.1" }, checksum: .good), .drop(.ipv4MartianSource))
    }

    /// Flags are per packet: one burst, three packets, three different flags.
    func testChecksumFlagsArePerPacket() {
        let wrong = ipv4 { $0.checksumError = 1 }
        let outcomes = harness.run([wrong, wrong, wrong, ipv4()], checksum: [.good, .unknown, .bad, .unknown])
        XCTAssertEqual(outcomes.map(\.verdict), [.transmit(1), .drop(.ipv4BadChecksum), .drop(.ipv4BadChecksum), .transmit(1)])
    }
}
