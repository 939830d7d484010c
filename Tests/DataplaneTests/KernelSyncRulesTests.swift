import XCTest
import Forwarding
import Netlink
import Packet
@testable import Dataplane

/// What the fast path takes from the kernel: neighbors on twins (static ones win), routes through
/// twins (not connected ones, not the config's prefixes; every usable next hop, several making a
/// multipath route), and deletes only of what it installed.
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
        XCTAssertEqual(rules.targets(of: route("198.18.9.0/24", [NextHop(gateway: gw, ifindex: 11)])), [WeightedTarget(.via(gw))])
        XCTAssertEqual(rules.targets(of: route("198.18.9.0/24", [NextHop(gateway: nil, ifindex: 10)])), [WeightedTarget(.port(0))])
        XCTAssertEqual(rules.targets(of: route("198.18.1.0/24", [NextHop(gateway: nil, ifindex: 11)], proto: .kernel)), [], "connected")
        XCTAssertEqual(rules.targets(of: route("198.18.9.0/24", [NextHop(gateway: gw, ifindex: 2)])), [], "not through a twin")
        XCTAssertEqual(rules.targets(of: route("198.18.7.0/24", [NextHop(gateway: gw, ifindex: 11)])), [], "the config routes it")
        XCTAssertEqual(rules.targets(of: route("198.18.9.0/24", [], type: .blackhole)), [])
    }

    /// Multipath: every usable next hop with its weight, in the kernel's order; dead and
    /// link-down ones, those off the twins and gateways of the other family are left out.
    func testMultipathTargetsKeepTheUsableNextHops() {
        let a = IPAddress("198.18.1.2")!, b = IPAddress("198.18.1.3")!, c = IPAddress("198.18.0.2")!
        let r = route("198.18.9.0/24", [
            NextHop(gateway: a, ifindex: 11, weight: 1),
            NextHop(gateway: IPAddress("198.18.1.4")!, ifindex: 11, flags: NextHop.flagDead),
            NextHop(gateway: b, ifindex: 11, weight: 3),
            NextHop(gateway: IPAddress("198.18.1.5")!, ifindex: 11, flags: NextHop.flagLinkDown),
            NextHop(gateway: IPAddress("203.0.113.1")!, ifindex: 2),
            NextHop(gateway: IPAddress("2001:db8:1::2")!, ifindex: 11),
            NextHop(gateway: c, ifindex: 10, weight: 2, flags: NextHop.flagOnLink),
        ])
        XCTAssertEqual(rules.targets(of: r), [WeightedTarget(.via(a)), WeightedTarget(.via(b), weight: 3), WeightedTarget(.via(c), weight: 2)])
        var overlay = KernelSyncRules.NeighborOverlay(table: table())
        var installed: Set<IPPrefix> = []
        XCTAssertEqual(rules.changes(for: .routeAdded(r), neighbors: &overlay, installed: &installed),
                       [.addMultipathRoute(r.prefix, [WeightedTarget(.via(a)), WeightedTarget(.via(b), weight: 3), WeightedTarget(.via(c), weight: 2)])])
        // Only one usable: an ordinary route.
        let partly = route("198.18.9.0/24", [NextHop(gateway: a, ifindex: 11, flags: NextHop.flagDead), NextHop(gateway: b, ifindex: 11)])
        XCTAssertEqual(rules.changes(for: .routeAdded(partly), neighbors: &overlay, installed: &installed), [.addRoute(r.prefix, .via(b))])
        // None: withdrawn.
        let none = route("198.18.9.0/24", [NextHop(gateway: a, ifindex: 11, flags: NextHop.flagLinkDown), NextHop(gateway: c, ifindex: 2)])
        XCTAssertEqual(rules.changes(for: .routeReplaced(old: partly, new: none), neighbors: &overlay, installed: &installed), [.deleteRoute(r.prefix)])
        XCTAssertTrue(installed.isEmpty)
    }

    /// A next hop the table cannot resolve (a link-local or off-subnet gateway without a
    /// neighbor) is left out of the route, not a reason to refuse all of it; a neighbor the
    /// batch adds first makes its gateway usable, one it removes makes an off-subnet one unusable.
    func testNextHopsTheTableCannotResolveAreLeftOut() {
        let a = IPAddress("198.18.1.2")!, offSubnet = IPAddress("198.19.5.5")!
        let r = route("198.18.9.0/24", [NextHop(gateway: a, ifindex: 11), NextHop(gateway: offSubnet, ifindex: 11)])
        var overlay = KernelSyncRules.NeighborOverlay(table: table())
        var installed: Set<IPPrefix> = []
        XCTAssertEqual(rules.changes(for: .routeAdded(r), neighbors: &overlay, installed: &installed), [.addRoute(r.prefix, .via(a))])
        let only = route("198.18.9.0/24", [NextHop(gateway: offSubnet, ifindex: 11)])
        XCTAssertEqual(rules.changes(for: .routeReplaced(old: r, new: only), neighbors: &overlay, installed: &installed),
                       [.deleteRoute(r.prefix)], "none usable: the stale route goes")
        // The kernel resolved the off-subnet gateway: a neighbor on the twin makes it usable.
        let neighbor = KernelNeighbor(address: offSubnet, mac: mac, ifindex: 11, state: .reachable)
        XCTAssertEqual(rules.changes(for: .neighborAdded(neighbor), neighbors: &overlay, installed: &installed),
                       [.addNeighbor(offSubnet, mac, port: 1, source: "kernel")])
        XCTAssertEqual(rules.changes(for: .routeAdded(r), neighbors: &overlay, installed: &installed),
                       [.addMultipathRoute(r.prefix, [WeightedTarget(.via(a)), WeightedTarget(.via(offSubnet))])])
        XCTAssertEqual(rules.changes(for: .neighborDeleted(neighbor), neighbors: &overlay, installed: &installed), [.deleteNeighbor(offSubnet)])
        XCTAssertEqual(rules.changes(for: .routeAdded(r), neighbors: &overlay, installed: &installed), [.addRoute(r.prefix, .via(a))])
    }

    func testMultipathRoutesAreMirroredReplacedAndDeleted() throws {
        var t = table()
        var installed: Set<IPPrefix> = []
        let a = IPAddress("198.18.1.2")!, b = IPAddress("198.18.1.9")!
        let r = route("198.18.9.0/24", [NextHop(gateway: a, ifindex: 11), NextHop(gateway: b, ifindex: 11)])
        XCTAssertTrue(rules.apply(.routeAdded(r), to: &t, installed: &installed))
        let group = try XCTUnwrap(t.multipathRoutes[r.prefix])
        XCTAssertEqual(t.group(at: group)?.hops, [WeightedTarget(.via(a)), WeightedTarget(.via(b))])
        XCTAssertEqual(t.longestMatch(IPAddress("198.18.9.1")!)?.nextHop, group)
        // One next hop dies: an ordinary route via the other; the group is gone.
        let one = route("198.18.9.0/24", [NextHop(gateway: a, ifindex: 11, flags: NextHop.flagDead), NextHop(gateway: b, ifindex: 11)])
        XCTAssertTrue(rules.apply(.routeReplaced(old: r, new: one), to: &t, installed: &installed))
        XCTAssertEqual(t.staticRoutes[r.prefix], .via(b))
        XCTAssertTrue(t.multipathRoutes.isEmpty)
        XCTAssertNil(t.group(at: group))
        // Back to two, then deleted.
        XCTAssertTrue(rules.apply(.routeReplaced(old: one, new: r), to: &t, installed: &installed))
        XCTAssertNotNil(t.multipathRoutes[r.prefix])
        XCTAssertTrue(rules.apply(.routeDeleted(r), to: &t, installed: &installed))
        XCTAssertTrue(t.multipathRoutes.isEmpty)
        XCTAssertNil(t.longestMatch(IPAddress("198.18.9.1")!).flatMap { $0.prefix == r.prefix ? $0 : nil })
        XCTAssertTrue(installed.isEmpty)
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
