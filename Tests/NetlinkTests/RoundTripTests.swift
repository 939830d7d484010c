import XCTest
import Packet
@testable import Netlink

/// Encode then decode gives back the same value, for every object type and the awkward cases
/// (multipath, RTA_VIA, large table ids, default routes, no MAC).
final class RoundTripTests: XCTestCase {
    private func roundTrip(_ route: KernelRoute, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = RouteCodec.encode(route, type: MessageType.newRoute, flags: 0)
        XCTAssertEqual(bytes.count % 4, 0, "messages are padded to 4 bytes", file: file, line: line)
        XCTAssertEqual(decodeOne(bytes, file: file, line: line)?.object.route, route, file: file, line: line)
    }

    func testRoutes() {
        roundTrip(KernelRoute(prefix: prefix("198.18.9.0/24"), nextHops: [NextHop(gateway: v4("198.18.5.2"), ifindex: 3)]))
        roundTrip(KernelRoute(prefix: prefix("0.0.0.0/0"), protocol: .bgp, priority: 20,
                              nextHops: [NextHop(gateway: v4("198.18.5.2"), ifindex: 3)]))
        roundTrip(KernelRoute(prefix: prefix("198.18.5.0/24"), protocol: .kernel, scope: 253,
                              nextHops: [NextHop(gateway: nil, ifindex: 3)], preferredSource: v4("198.18.5.1")))
        roundTrip(KernelRoute(prefix: prefix("2001:db8:99::/64"), priority: 1024, nextHops: [
            NextHop(gateway: v6("2001:db8:5::2"), ifindex: 3, weight: 1),
            NextHop(gateway: v6("2001:db8:6::2"), ifindex: 4, weight: 256, flags: NextHop.flagLinkDown),
            NextHop(gateway: nil, ifindex: 5, weight: 7),
        ]))
        roundTrip(KernelRoute(prefix: prefix("198.18.10.0/24"), protocol: .bird,
                              nextHops: [NextHop(gateway: v6("2001:db8:5::2"), ifindex: 3)]))
        roundTrip(KernelRoute(prefix: prefix("198.18.11.0/24"), nextHops: [
            NextHop(gateway: v6("fe80::1"), ifindex: 3), NextHop(gateway: v4("198.18.6.2"), ifindex: 4),
        ]))
        roundTrip(KernelRoute(prefix: prefix("198.18.7.0/24"), table: 100_000, type: .blackhole, nextHops: []))
        roundTrip(KernelRoute(prefix: prefix("::/0"), table: 255, type: .unreachable, priority: 1, nextHops: [], nexthopObjectID: 42))
        roundTrip(KernelRoute(prefix: prefix("2001:db8::1/128"), nextHops: [NextHop(gateway: nil, ifindex: 1)]))
    }

    func testRandomRoutes() {
        let seed: UInt64 = 0x5eed_0004
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let isV6 = Bool.random(using: &rng)
            let length = UInt8.random(in: 0...(isV6 ? 128 : 32), using: &rng)
            let p: IPPrefix = isV6
                ? .v6(IPv6Prefix(address: IPv6Address(high: 0x2001_0db8_0000_0000 | rng.next() & 0xFFFF_FFFF, low: rng.next()), length: length)!)
                : .v4(IPv4Prefix(address: IPv4Address(0xC612_0000 | UInt32.random(in: 0...0x1FFFF, using: &rng)), length: length)!)
            let hops = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                NextHop(gateway: Bool.random(using: &rng) ? v4("198.18.5.\(Int.random(in: 1...254, using: &rng))") : nil,
                        ifindex: Int32.random(in: 1...100, using: &rng), weight: UInt16.random(in: 1...256, using: &rng))
            }
            let route = KernelRoute(prefix: p, table: UInt32.random(in: 1...300, using: &rng),
                                    protocol: RouteProtocol(rawValue: UInt8.random(in: 0...255, using: &rng)),
                                    priority: UInt32.random(in: 0...UInt32.max, using: &rng), nextHops: hops)
            // A single next hop is written without RTA_MULTIPATH, so its weight is not kept.
            var expected = route
            if hops.count == 1 { expected.nextHops[0].weight = 1 }
            let bytes = RouteCodec.encode(route, type: MessageType.newRoute, flags: 0)
            XCTAssertEqual(decodeOne(bytes)?.object.route, expected, "seed \(seed)")
        }
    }

    func testNeighbors() {
        for neighbor in [
            KernelNeighbor(address: v4("198.18.5.2"), mac: mac("02:00:00:00:00:02"), ifindex: 3, state: .reachable),
            KernelNeighbor(address: v6("2001:db8:5::2"), mac: mac("02:00:00:00:00:03"), ifindex: 4, state: [.stale], isRouter: true),
            KernelNeighbor(address: v6("fe80::1"), mac: nil, ifindex: 4, state: .failed),
            KernelNeighbor(address: v4("198.18.5.3"), mac: mac("02:00:00:00:00:04"), ifindex: 3, state: .permanent),
        ] {
            let bytes = NeighborCodec.encode(neighbor, type: MessageType.newNeighbor, flags: 0)
            XCTAssertEqual(decodeOne(bytes)?.object.neighbor, neighbor)
        }
    }

    func testLinks() {
        for link in [
            KernelLink(ifindex: 3, name: "swf0", mac: mac("02:00:00:00:01:00"), mtu: 1500, flags: 0x11043),
            KernelLink(ifindex: 70000, name: "a-fifteen-chars", mac: nil, mtu: 9000, flags: 0),
        ] {
            let bytes = LinkCodec.encode(link, type: MessageType.newLink, flags: 0)
            XCTAssertEqual(decodeOne(bytes)?.object.link, link)
        }
    }

    func testAddresses() {
        for address in [
            KernelAddress(ifindex: 3, address: v4("198.18.5.1"), prefixLength: 24),
            KernelAddress(ifindex: 3, address: v4("198.18.5.1"), prefixLength: 32),
            KernelAddress(ifindex: 4, address: v6("2001:db8:5::1"), prefixLength: 64, flags: AddressAttribute.flagNoDAD),
            KernelAddress(ifindex: 4, address: v6("2001:db8:5::1"), prefixLength: 64, flags: 0x200),
        ] {
            let bytes = AddressCodec.encode(address, type: MessageType.newAddress, flags: 0)
            XCTAssertEqual(decodeOne(bytes)?.object.address, address)
        }
    }

    /// The request for an IPv4 address carries IFA_LOCAL, IFA_ADDRESS and the subnet broadcast.
    func testIPv4AddressRequestHasBroadcast() {
        let bytes = AddressCodec.encode(KernelAddress(ifindex: 3, address: v4("198.18.5.1"), prefixLength: 24),
                                        type: MessageType.newAddress, flags: 0)
        // header 16 + ifaddrmsg 8, then three 8-byte attributes: ADDRESS, LOCAL, BROADCAST.
        XCTAssertEqual(bytes.count, 48)
        XCTAssertEqual(Array(bytes[40..<48]), hexBytes("0800 0400 c61205ff"))
    }

    /// The link request changes only the bits it names: "up" sets IFF_UP in both ifi_flags and
    /// ifi_change; an MTU-only request leaves ifi_change 0.
    func testSetLinkRequest() {
        let up = LinkCodec.setRequest(ifindex: 3, up: true, mtu: nil, sequence: 9)
        XCTAssertEqual(up, hexBytes("""
            20000000 1000 0500 09000000 00000000
            00 00 0000 03000000 01000000 01000000
            """))
        let mtu = LinkCodec.setRequest(ifindex: 3, up: nil, mtu: 1400, sequence: 10)
        XCTAssertEqual(mtu, hexBytes("""
            28000000 1000 0500 0a000000 00000000
            00 00 0000 03000000 00000000 00000000
            0800 0400 78050000
            """))
    }

    func testDumpRequests() {
        XCTAssertEqual(RouteCodec.dumpRequest(family: Family.inet6, sequence: 7), hexBytes("""
            1c000000 1a00 0103 07000000 00000000
            0a 00 00 00 00 00 00 00 00000000
            """))
        XCTAssertEqual(NeighborCodec.dumpRequest(sequence: 1).count, 28)
        XCTAssertEqual(LinkCodec.dumpRequest(sequence: 1).count, 32)
        XCTAssertEqual(AddressCodec.dumpRequest(sequence: 1).count, 24)
    }
}
