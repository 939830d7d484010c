import XCTest
import Packet
@testable import Netlink

/// Bad input is reported, never trapped on, and never half-read into a value.
final class MalformedMessageTests: XCTestCase {
    /// A route as the kernel would send it, to cut and corrupt.
    private let goodRoute = RouteCodec.encode(
        KernelRoute(prefix: prefix("2001:db8:99::/64"), priority: 1024, nextHops: [
            NextHop(gateway: v6("2001:db8:5::2"), ifindex: 3), NextHop(gateway: v6("2001:db8:6::2"), ifindex: 4, weight: 2),
        ]), type: MessageType.newRoute, flags: 0)

    func testHeaderShorterThanSixteenBytes() {
        let error = decodeError([0x0c, 0, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(error?.messageName, "RTM_NEWROUTE")
        XCTAssertTrue(error?.reason.contains("less than the 16-byte header") ?? false, "\(String(describing: error))")
    }

    func testLengthBeyondDatagram() {
        var bytes = goodRoute
        bytes[0] = UInt8(bytes.count + 4)
        let error = decodeError(bytes)
        XCTAssertTrue(error?.reason.contains("but the datagram has only") ?? false, "\(String(describing: error))")
    }

    func testTrailingBytesTooFewForAHeader() {
        let error = decodeError(goodRoute + [1, 2, 3])
        XCTAssertEqual(error?.messageName, "netlink datagram")
    }

    func testFixedHeaderCutShort() {
        // nlmsg_len 24: 8 bytes of a 12-byte rtmsg.
        let bytes = hexBytes("18000000 1800 0000 00000000 00000000 02 18 00 00 fe 03 00 01")
        let error = decodeError(bytes)
        XCTAssertTrue(error?.reason.contains("too few for the 12-byte rtmsg header") ?? false, "\(String(describing: error))")
        let link = hexBytes("18000000 1000 0000 00000000 00000000 00 00 0100 03000000")
        XCTAssertNotNil(decodeError(link))
        let neighbor = hexBytes("14000000 1c00 0000 00000000 00000000 02 00 0000")
        XCTAssertNotNil(decodeError(neighbor))
        let address = hexBytes("14000000 1400 0000 00000000 00000000 02 18 00 00")
        XCTAssertNotNil(decodeError(address))
    }

    func testAttributeLengthBelowItsHeader() {
        let bytes = hexBytes("""
            24000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0200 0100 c6120900
            """)
        let error = decodeError(bytes)
        XCTAssertTrue(error?.reason.contains("less than its own 4-byte header") ?? false, "\(String(describing: error))")
    }

    func testAttributeRunningPastTheMessage() {
        let bytes = hexBytes("""
            24000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            4000 0100 c6120900
            """)
        let error = decodeError(bytes)
        XCTAssertTrue(error?.reason.contains("only 8 are left") ?? false, "\(String(describing: error))")
    }

    func testAddressOfTheWrongSize() {
        // RTA_GATEWAY of 6 bytes in an IPv4 route.
        let bytes = hexBytes("""
            28000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0a00 0500 c6120502 0000 0000
            """)
        let error = decodeError(bytes)
        XCTAssertEqual(error?.description, "A malformed RTM_NEWROUTE from the kernel was skipped: RTA_GATEWAY has 6 bytes, an IPv4 address has 4.")
    }

    func testPrefixLengthTooLong() {
        let bytes = hexBytes("""
            1c000000 1800 0000 00000000 00000000
            02 21 00 00 fe 03 00 01 00000000
            """)
        XCTAssertTrue(decodeError(bytes)?.reason.contains("prefix length 33") ?? false)
    }

    func testIntegerAttributeOfTheWrongSize() {
        let bytes = hexBytes("""
            24000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0600 0400 0300 0000
            """)
        XCTAssertTrue(decodeError(bytes)?.reason.contains("RTA_OIF has 2 bytes, expected 4") ?? false)
    }

    func testMultipathNextHopLengths() {
        // rtnh_len 4 (below the 8-byte rtnexthop).
        let short = hexBytes("""
            2c000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            1000 0900 0400 00 00 03000000 00000000
            """)
        XCTAssertTrue(decodeError(short)?.reason.contains("RTA_MULTIPATH next hop 1") ?? false)
        // rtnh_len 40, beyond the attribute.
        let long = hexBytes("""
            2c000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            1000 0900 2800 00 00 03000000 00000000
            """)
        XCTAssertTrue(decodeError(long)?.reason.contains("RTA_MULTIPATH next hop 1") ?? false)
        // A gateway of the wrong size inside a next hop.
        let badGateway = hexBytes("""
            30000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            1400 0900 1000 00 00 03000000 0600 0500 c612 0000
            """)
        XCTAssertTrue(decodeError(badGateway)?.reason.contains("RTA_GATEWAY in RTA_MULTIPATH has 2 bytes") ?? false)
        // An empty list.
        let empty = hexBytes("""
            20000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0400 0900
            """)
        XCTAssertTrue(decodeError(empty)?.reason.contains("too few for one next hop") ?? false)
    }

    func testViaWithUnknownFamily() {
        let bytes = hexBytes("""
            28000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0a00 1200 1c00 c6120502 0000
            """)
        XCTAssertTrue(decodeError(bytes)?.reason.contains("RTA_VIA is of address family 28") ?? false)
    }

    /// Every prefix of a good message, with nlmsg_len fixed to the cut length (as a buggy
    /// sender would produce) or left as it is (a datagram cut short): each gives a value or an
    /// error, and never a different route than the full message's.
    func testEveryTruncation() {
        let full = decodeOne(goodRoute)?.object.route
        XCTAssertNotNil(full)
        for cut in 0..<goodRoute.count {
            var bytes = Array(goodRoute[0..<cut])
            _ = KernelMessageDecoder.decodeAll(bytes)
            if cut >= 4 {
                withUnsafeBytes(of: UInt32(cut)) { for i in 0..<4 { bytes[i] = $0[i] } }
                for result in KernelMessageDecoder.decodeAll(bytes) {
                    if case .success(let m) = result, let r = m.object.route, r.nextHops.count == 2 {
                        XCTAssertEqual(r, full, "cut at \(cut)")
                    }
                }
            }
        }
    }

    /// Random bytes, and good messages with random bytes flipped: no trap, whatever comes out.
    func testGarbage() {
        let seed: UInt64 = 0x6a7b_a6e0
        var rng = SeededGenerator(seed: seed)
        let samples: [[UInt8]] = [
            goodRoute,
            NeighborCodec.encode(KernelNeighbor(address: v4("198.18.5.2"), mac: mac("02:00:00:00:00:02"), ifindex: 3, state: .reachable),
                                 type: MessageType.newNeighbor, flags: 0),
            LinkCodec.encode(KernelLink(ifindex: 3, name: "v0", mac: mac("02:00:00:00:00:01"), mtu: 1500, flags: 1),
                             type: MessageType.newLink, flags: 0),
            AddressCodec.encode(KernelAddress(ifindex: 3, address: v4("198.18.5.1"), prefixLength: 24),
                                type: MessageType.newAddress, flags: 0),
        ]
        var decodedSomething = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 4 == 0 {
                bytes = (0..<Int.random(in: 0...96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                // Make some of them look like rtnetlink messages so the decoders are reached.
                if bytes.count >= 16 {
                    withUnsafeBytes(of: UInt32(bytes.count)) { for i in 0..<4 { bytes[i] = $0[i] } }
                    bytes[4] = [16, 17, 20, 21, 24, 25, 28, 29].randomElement(using: &rng)!
                    bytes[5] = 0
                }
            } else {
                bytes = samples.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            for result in KernelMessageDecoder.decodeAll(bytes) {
                if case .success = result { decodedSomething += 1 }
            }
        }
        // Flipping a byte of an address or a flag leaves a valid message: some must decode.
        XCTAssertGreaterThan(decodedSomething, 1000, "seed \(seed)")
    }

    /// NLMSG_ERROR replies: an ack, a refusal, and a refusal with the kernel's extended-ack text.
    func testErrorReplies() throws {
        func readError(_ bytes: [UInt8]) throws -> (Int32, String?) {
            try bytes.withUnsafeBytes { raw in
                var iterator = NetlinkMessageIterator(ByteView(raw))
                let message = try XCTUnwrap(iterator.next())
                return try NetlinkClient.readError(message, purpose: "test")
            }
        }
        let ack = hexBytes("24000000 0200 0001 05000000 00000000  00000000  14000000 1400 0500 05000000 00000000")
        XCTAssertEqual(try readError(ack).0, 0)
        // -EEXIST (17), capped, with NLMSGERR_ATTR_MSG "Address already assigned".
        let text = Array("Address already assigned".utf8) + [0]
        var refusal = hexBytes("00000000 0200 0003 06000000 00000000  efffffff  14000000 1400 0500 06000000 00000000")
        refusal += withUnsafeBytes(of: UInt16(4 + text.count)) { Array($0) } + [1, 0] + text
        while refusal.count % 4 != 0 { refusal.append(0) }
        withUnsafeBytes(of: UInt32(refusal.count)) { for i in 0..<4 { refusal[i] = $0[i] } }
        let (code, message) = try readError(refusal)
        XCTAssertEqual(code, 17)
        XCTAssertEqual(message, "Address already assigned")
        XCTAssertEqual(NetlinkError.refused(request: "add 198.18.5.1/24 to interface 3", errno: code, kernelMessage: message).description,
                       "The kernel refused to add 198.18.5.1/24 to interface 3: File exists (errno 17) (the kernel says: Address already assigned).")
        // Too short to hold the error code: reported, not trapped on.
        let short = hexBytes("12000000 0200 0000 06000000 00000000 efff")
        XCTAssertThrowsError(try readError(short)) { error in
            XCTAssertTrue("\(error)".contains("could not be read"), "\(error)")
        }
    }
}
