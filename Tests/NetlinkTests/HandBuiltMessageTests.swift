import XCTest
import Packet
@testable import Netlink

/// Messages written byte by byte as the kernel sends them (x86-64: host order is little
/// endian), decoded by the module. These pin the wire layout independently of the encoder.
final class HandBuiltMessageTests: XCTestCase {
    /// `198.18.9.0/24 via 198.18.5.2 dev 3 proto boot` in table main.
    func testIPv4RouteViaGateway() throws {
        let bytes = hexBytes("""
            3c000000 1800 0000 01000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0800 0f00 fe000000
            0800 0100 c6120900
            0800 0500 c6120502
            0800 0400 03000000
            """)
        let message = try XCTUnwrap(decodeOne(bytes))
        XCTAssertEqual(message.operation, .new)
        let route = try XCTUnwrap(message.object.route)
        XCTAssertEqual(route.prefix, prefix("198.18.9.0/24"))
        XCTAssertEqual(route.table, 254)
        XCTAssertEqual(route.type, .unicast)
        XCTAssertEqual(route.protocol, .boot)
        XCTAssertEqual(route.priority, 0)
        XCTAssertEqual(route.nextHops, [NextHop(gateway: v4("198.18.5.2"), ifindex: 3)])
    }

    /// An RTM_DELROUTE for a directly connected IPv6 /64 (no gateway) with metric 256.
    func testIPv6ConnectedRouteDelete() throws {
        let bytes = hexBytes("""
            48000000 1900 0000 00000000 00000000
            0a 40 00 00 fe 02 00 01 00000000
            0800 0f00 fe000000
            1400 0100 20010db8 00050000 00000000 00000000
            0800 0600 00010000
            0800 0400 07000000
            """)
        let message = try XCTUnwrap(decodeOne(bytes))
        XCTAssertEqual(message.operation, .delete)
        let route = try XCTUnwrap(message.object.route)
        XCTAssertEqual(route.prefix, prefix("2001:db8:5::/64"))
        XCTAssertEqual(route.protocol, .kernel)
        XCTAssertEqual(route.priority, 256)
        XCTAssertEqual(route.nextHops, [NextHop(gateway: nil, ifindex: 7)])
    }

    /// `198.18.99.0/24 nexthop via 198.18.5.2 dev 3 nexthop via 198.18.6.2 dev 4 weight 3`:
    /// RTA_MULTIPATH holds two struct rtnexthop, each with its own RTA_GATEWAY.
    func testIPv4Multipath() throws {
        let bytes = hexBytes("""
            50000000 1800 0000 00000000 00000000
            02 18 00 00 fe 03 00 01 00000000
            0800 0f00 fe000000
            0800 0100 c6126300
            2400 0900
              1000 00 00 03000000  0800 0500 c6120502
              1000 00 02 04000000  0800 0500 c6120602
            """)
        let route = try XCTUnwrap(decodeOne(bytes)?.object.route)
        XCTAssertEqual(route.prefix, prefix("198.18.99.0/24"))
        XCTAssertEqual(route.nextHops, [
            NextHop(gateway: v4("198.18.5.2"), ifindex: 3, weight: 1),
            NextHop(gateway: v4("198.18.6.2"), ifindex: 4, weight: 3),
        ])
    }

    /// `2001:db8:9::/48 proto static` with three next hops as the kernel lists them in
    /// RTA_MULTIPATH: via 2001:db8:1::2 dev 11; via 2001:db8:1::3 dev 11 with RTNH_F_LINKDOWN;
    /// dev 12 with RTNH_F_DEAD and rtnh_hops 2 (weight 3), no gateway. The flags and weights are
    /// kept for the mirror rules to judge.
    func testIPv6MultipathWithDeadAndLinkDownNextHops() throws {
        let bytes = hexBytes("""
            7c000000 1800 0000 00000000 00000000
            0a 30 00 00 fe 04 00 01 00000000
            0800 0f00 fe000000
            1400 0100 20010db8 00090000 00000000 00000000
            4400 0900
              1c00 00 00 0b000000  1400 0500 20010db8 00010000 00000000 00000002
              1c00 10 00 0b000000  1400 0500 20010db8 00010000 00000000 00000003
              0800 01 02 0c000000
            """)
        let route = try XCTUnwrap(decodeOne(bytes)?.object.route)
        XCTAssertEqual(route.prefix, prefix("2001:db8:9::/48"))
        XCTAssertEqual(route.protocol, .static)
        XCTAssertEqual(route.nextHops, [
            NextHop(gateway: v6("2001:db8:1::2"), ifindex: 11, weight: 1, flags: 0),
            NextHop(gateway: v6("2001:db8:1::3"), ifindex: 11, weight: 1, flags: NextHop.flagLinkDown),
            NextHop(gateway: nil, ifindex: 12, weight: 3, flags: NextHop.flagDead),
        ])
        XCTAssertTrue(route.nextHops[2].isDead)
    }

    /// An IPv4 route via an IPv6 next hop (RFC 5549) comes as RTA_VIA { u16 family; addr }.
    func testIPv4RouteViaIPv6NextHop() throws {
        let bytes = hexBytes("""
            44000000 1800 0000 00000000 00000000
            02 18 00 00 fe 0c 00 01 00000000
            0800 0100 c6120a00
            1600 1200 0a00 20010db8 00050000 00000000 00000002 0000
            0800 0400 03000000
            """)
        let route = try XCTUnwrap(decodeOne(bytes)?.object.route)
        XCTAssertEqual(route.protocol, .bird)
        XCTAssertEqual(route.nextHops, [NextHop(gateway: v6("2001:db8:5::2"), ifindex: 3)])
    }

    /// `blackhole 198.18.7.0/24` and a default unreachable route: no next hops, no RTA_DST for
    /// the default.
    func testBlackholeAndDefaultRoutes() throws {
        let blackhole = hexBytes("""
            24000000 1800 0000 00000000 00000000
            02 18 00 00 fe 04 00 06 00000000
            0800 0100 c6120700
            """)
        let route = try XCTUnwrap(decodeOne(blackhole)?.object.route)
        XCTAssertEqual(route.type, .blackhole)
        XCTAssertEqual(route.nextHops, [])

        let defaultRoute = hexBytes("""
            1c000000 1800 0000 00000000 00000000
            0a 00 00 00 fe 04 00 07 00000000
            """)
        let unreachable = try XCTUnwrap(decodeOne(defaultRoute)?.object.route)
        XCTAssertEqual(unreachable.prefix, prefix("::/0"))
        XCTAssertEqual(unreachable.type, .unreachable)
    }

    /// A table id above 255 is only in RTA_TABLE (rtm_table says 252, RT_TABLE_COMPAT).
    func testLargeTableID() throws {
        let bytes = hexBytes("""
            34000000 1800 0000 00000000 00000000
            02 18 00 00 fc 03 00 01 00000000
            0800 0f00 e8030000
            0800 0100 c6120900
            0800 0400 03000000
            """)
        XCTAssertEqual(try XCTUnwrap(decodeOne(bytes)?.object.route).table, 1000)
    }

    /// Cached clones (RTM_F_CLONED), MPLS routes and source-specific routes are not errors but
    /// are not reported either.
    func testRoutesOutOfScopeAreIgnored() {
        let cloned = hexBytes("""
            24000000 1800 0000 00000000 00000000
            0a 80 00 00 fe 02 00 01 00020000
            0800 0400 03000000
            """)
        XCTAssertTrue(KernelMessageDecoder.decodeAll(cloned).isEmpty)
        let mpls = hexBytes("""
            1c000000 1800 0000 00000000 00000000
            1c 14 00 00 fe 03 00 01 00000000
            """)
        XCTAssertTrue(KernelMessageDecoder.decodeAll(mpls).isEmpty)
        let sourceSpecific = hexBytes("""
            1c000000 1800 0000 00000000 00000000
            0a 40 40 00 fe 03 00 01 00000000
            """)
        XCTAssertTrue(KernelMessageDecoder.decodeAll(sourceSpecific).isEmpty)
    }

    /// `198.18.5.2 lladdr 02:00:00:00:00:02 dev 3 REACHABLE`.
    func testIPv4Neighbor() throws {
        let bytes = hexBytes("""
            30000000 1c00 0000 00000000 00000000
            02 00 0000 03000000 0200 00 01
            0800 0100 c6120502
            0a00 0200 020000000002 0000
            """)
        let message = try XCTUnwrap(decodeOne(bytes))
        XCTAssertEqual(message.operation, .new)
        let neighbor = try XCTUnwrap(message.object.neighbor)
        XCTAssertEqual(neighbor.address, v4("198.18.5.2"))
        XCTAssertEqual(neighbor.mac, mac("02:00:00:00:00:02"))
        XCTAssertEqual(neighbor.ifindex, 3)
        XCTAssertEqual(neighbor.state, .reachable)
        XCTAssertTrue(neighbor.isUsable)
    }

    /// An IPv6 neighbor being resolved: INCOMPLETE, no NDA_LLADDR yet, router flag set.
    func testIPv6IncompleteNeighbor() throws {
        let bytes = hexBytes("""
            30000000 1c00 0000 00000000 00000000
            0a 00 0000 04000000 0100 80 01
            1400 0100 20010db8 00050000 00000000 00000002
            """)
        let neighbor = try XCTUnwrap(decodeOne(bytes)?.object.neighbor)
        XCTAssertEqual(neighbor.address, v6("2001:db8:5::2"))
        XCTAssertNil(neighbor.mac)
        XCTAssertEqual(neighbor.state, .incomplete)
        XCTAssertTrue(neighbor.isRouter)
        XCTAssertFalse(neighbor.isUsable)
    }

    /// Bridge FDB entries (AF_BRIDGE = 7) and proxy entries are not IP neighbors to send to.
    func testBridgeAndProxyNeighborsAreIgnored() {
        let fdb = hexBytes("""
            28000000 1c00 0000 00000000 00000000
            07 00 0000 03000000 8000 02 00
            0a00 0200 020000000002 0000
            """)
        XCTAssertTrue(KernelMessageDecoder.decodeAll(fdb).isEmpty)
        let proxy = hexBytes("""
            24000000 1c00 0000 00000000 00000000
            02 00 0000 03000000 8000 08 01
            0800 0100 c6120502
            """)
        XCTAssertTrue(KernelMessageDecoder.decodeAll(proxy).isEmpty)
    }

    /// `3: v0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 link/ether b2:a7:8b:49:0e:56`.
    func testLink() throws {
        let bytes = hexBytes("""
            3c000000 1000 0000 00000000 00000000
            00 00 0100 03000000 43100100 00000000
            0700 0300 76300000
            0800 0400 dc050000
            0a00 0100 b2a78b490e56 0000
            """)
        let link = try XCTUnwrap(decodeOne(bytes)?.object.link)
        XCTAssertEqual(link.ifindex, 3)
        XCTAssertEqual(link.name, "v0")
        XCTAssertEqual(link.mtu, 1500)
        XCTAssertEqual(link.mac, mac("b2:a7:8b:49:0e:56"))
        XCTAssertTrue(link.isUp)
        XCTAssertTrue(link.hasCarrier)
    }

    /// IPv4 addresses carry IFA_LOCAL (ours) and IFA_ADDRESS (the peer); the local one wins.
    /// IPv6 carries IFA_ADDRESS alone.
    func testAddresses() throws {
        let ipv4 = hexBytes("""
            28000000 1400 0000 00000000 00000000
            02 18 80 00 03000000
            0800 0100 c6120563
            0800 0200 c6120501
            """)
        let a = try XCTUnwrap(decodeOne(ipv4)?.object.address)
        XCTAssertEqual(a.address, v4("198.18.5.1"))
        XCTAssertEqual(a.prefixLength, 24)
        XCTAssertEqual(a.ifindex, 3)
        XCTAssertEqual(a.interfaceAddress, InterfaceAddress("198.18.5.1/24"))

        let ipv6 = hexBytes("""
            34000000 1500 0000 00000000 00000000
            0a 40 80 00 03000000
            1400 0100 20010db8 00050000 00000000 00000001
            0800 0800 02020000
            """)
        let message = try XCTUnwrap(decodeOne(ipv6))
        XCTAssertEqual(message.operation, .delete)
        let b = try XCTUnwrap(message.object.address)
        XCTAssertEqual(b.address, v6("2001:db8:5::1"))
        XCTAssertEqual(b.prefixLength, 64)
        XCTAssertEqual(b.flags, 0x202, "IFA_FLAGS (32 bits) overrides ifa_flags")
    }

    /// Several messages in one datagram (a dump part), the last without padding.
    func testSeveralMessagesInOneDatagram() {
        let route = hexBytes("""
            24000000 1800 0200 00000000 00000000
            02 18 00 00 fe 04 00 06 00000000
            0800 0100 c6120700
            """)
        let neighbor = hexBytes("""
            22000000 1c00 0200 00000000 00000000
            02 00 0000 03000000 4000 00 01
            0600 0200 0102
            """)
        // The neighbor has no NDA_DST: malformed. The route before it is still read.
        let results = KernelMessageDecoder.decodeAll(route + neighbor)
        XCTAssertEqual(results.count, 2)
        if case .success(let m) = results[0] { XCTAssertEqual(m.object.route?.type, .blackhole) } else { XCTFail("\(results[0])") }
        if case .failure(let e) = results[1] {
            XCTAssertEqual(e.messageName, "RTM_NEWNEIGH")
            XCTAssertTrue(e.description.contains("no NDA_DST"), e.description)
        } else {
            XCTFail("\(results[1])")
        }
    }
}
