import XCTest
import Forwarding
import Netlink
import Packet
@testable import Dataplane

/// What the fast path takes from the kernel: neighbors on twins (static ones win), routes through
/// twins (not connected ones, not the config's prefixes, first live next hop), and deletes only
/// of what it installed.
final class KernelSyncRulesTests: XCTestCase {
    // Twins: ifindex 10 is port 0, 11 is port 1. ifindex 2 is some other interface.
    let rules = KernelSyncRules(portOfIfindex: [10: 0, 11: 1], configRoutes: [IPPrefix("198.18.7.0/24")!])
    let mac = MACAddress("02:00:00:00:02:02")!

    func table() -> ForwardingTable {
        ForwardingTable(ports: [PortL3(mac: MACAddress("02:00:00:00:00:00")!, mtu: 1500, addresses: [InterfaceAddress("198.18.0.1/24")!]),
                                PortL3(mac: MACAddress("02:00:00:00:00:01")!, mtu: 1500, addresses: [InterfaceAddress("198.18.1.1/24")!])],
                        routes: [], neighbors: [NeighborSpec(address: IPAddress("198.18.1.9")!, mac: MACAddress("02:00:00:00:09:09")!, port: 1)])
    }

    func route(_ prefix: String, _ hops: [NextHop], proto: RouteProtocol = .static, type: RouteType = .unicast) -> KernelRoute {
        KernelRoute(prefix: IPPrefix(prefix)!, type: type, protocol: proto, nextHops: hops)
    }

    func testRouteTargets() {
        let gw = IPAddress("198.18.1.2")!
        XCTAssertEqual(rules.target(of: route("198.18.9.0/24", [NextHop(gateway: gw, ifindex: 11)])), .via(gw))
        XCTAssertEqual(rules.target(of: route("198.18.9.0/24", [NextHop(gateway: nil, ifindex: 10)])), .port(0))
        XCTAssertNil(rules.target(of: route("198.18.1.0/24", [NextHop(gateway: nil, ifindex: 11)], proto: .kernel)), "connected")
        XCTAssertNil(rules.target(of: route("198.18.9.0/24", [NextHop(gateway: gw, ifindex: 2)])), "not through a twin")
        XCTAssertNil(rules.target(of: route("198.18.7.0/24", [NextHop(gateway: gw, ifindex: 11)])), "the config routes it")
        XCTAssertNil(rules.target(of: route("198.18.9.0/24", [], type: .blackhole)))
        let dead = NextHop(gateway: IPAddress("198.18.0.2")!, ifindex: 10, flags: NextHop.flagDead)
        XCTAssertEqual(rules.target(of: route("198.18.9.0/24", [dead, NextHop(gateway: gw, ifindex: 11)])), .via(gw),
                       "multipath: the first live next hop")
    }

    func testRoutesAreAddedReplacedAndOnlyOwnOnesDeleted() {
        var t = table()
        var installed: Set<IPPrefix> = []
        let r = route("198.18.9.0/24", [NextHop(gateway: IPAddress("198.18.1.2")!, ifindex: 11)])
        XCTAssertTrue(rules.apply(.routeAdded(r), to: &t, installed: &installed))
        XCTAssertEqual(t.staticRoutes[r.prefix], .via(IPAddress("198.18.1.2")!))
        XCTAssertEqual(installed, [r.prefix])
        // Replaced by a route through another interface: withdrawn from the fast path.
        let away = route("198.18.9.0/24", [NextHop(gateway: IPAddress("203.0.113.1")!, ifindex: 2)])
        XCTAssertTrue(rules.apply(.routeReplaced(old: r, new: away), to: &t, installed: &installed))
        XCTAssertNil(t.staticRoutes[r.prefix])
        XCTAssertTrue(installed.isEmpty)
        // A delete of a route it never installed changes nothing.
        XCTAssertTrue(rules.apply(.routeDeleted(r), to: &t, installed: &installed))
        XCTAssertTrue(t.staticRoutes.isEmpty)
    }

    func testNeighbors() {
        var t = table()
        var installed: Set<IPPrefix> = []
        let host = IPAddress("198.18.1.2")!
        XCTAssertTrue(rules.apply(.neighborAdded(KernelNeighbor(address: host, mac: mac, ifindex: 11, state: .reachable)), to: &t, installed: &installed))
        XCTAssertEqual(t.neighbors[host]?.source, "kernel")
        XCTAssertEqual(t.neighbors[host]?.port, 1)
        // Failed: gone from the fast path.
        XCTAssertTrue(rules.apply(.neighborReplaced(old: KernelNeighbor(address: host, mac: mac, ifindex: 11, state: .reachable),
                                                    new: KernelNeighbor(address: host, mac: mac, ifindex: 11, state: .failed)),
                                  to: &t, installed: &installed))
        XCTAssertNil(t.neighbors[host])
        // Not on a twin: ignored.
        XCTAssertTrue(rules.apply(.neighborAdded(KernelNeighbor(address: host, mac: mac, ifindex: 2, state: .reachable)), to: &t, installed: &installed))
        XCTAssertNil(t.neighbors[host])
        // A static neighbor is neither replaced nor removed by the kernel's.
        let fixed = IPAddress("198.18.1.9")!
        XCTAssertTrue(rules.apply(.neighborAdded(KernelNeighbor(address: fixed, mac: mac, ifindex: 11, state: .reachable)), to: &t, installed: &installed))
        XCTAssertEqual(t.neighbors[fixed]?.mac, MACAddress("02:00:00:00:09:09")!)
        XCTAssertTrue(rules.apply(.neighborDeleted(KernelNeighbor(address: fixed, mac: mac, ifindex: 11, state: .reachable)), to: &t, installed: &installed))
        XCTAssertEqual(t.neighbors[fixed]?.source, "static")
        // The router's own address is refused, and said so.
        XCTAssertFalse(rules.apply(.neighborAdded(KernelNeighbor(address: IPAddress("198.18.1.1")!, mac: mac, ifindex: 11, state: .permanent)),
                                   to: &t, installed: &installed))
    }
}
