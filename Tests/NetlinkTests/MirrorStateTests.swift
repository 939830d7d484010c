import XCTest
import Packet
@testable import Netlink

/// The mirror's rules, fed messages directly (no kernel): which route wins a prefix, how IPv6
/// multipath appends and partial deletes fold in, the interface filter, when a dump is needed.
final class MirrorStateTests: XCTestCase {
    private func route(_ p: String, via gateway: String? = nil, dev: Int32 = 3, metric: UInt32 = 0,
                       table: UInt32 = RouteTable.main, type: RouteType = .unicast) -> KernelRoute {
        let hops = type == .unicast ? [NextHop(gateway: gateway.flatMap { IPAddress($0) }, ifindex: dev)] : []
        return KernelRoute(prefix: prefix(p), table: table, type: type, priority: metric, nextHops: hops)
    }

    private func new(_ r: KernelRoute, flags: UInt16 = 0) -> KernelMessage { KernelMessage(operation: .new, object: .route(r), flags: flags) }
    private func del(_ r: KernelRoute) -> KernelMessage { KernelMessage(operation: .delete, object: .route(r)) }
    private func link(_ index: Int32, _ name: String, up: Bool = true) -> KernelLink {
        KernelLink(ifindex: index, name: name, mac: MACAddress(0x0200_0000_0000 | UInt64(index)), mtu: 1500, flags: up ? 0x11043 : 0x1002)
    }

    func testAddReplaceDelete() {
        var state = MirrorState(table: RouteTable.main, filter: .all)
        let a = route("198.18.9.0/24", via: "198.18.5.2")
        XCTAssertEqual(state.apply(new(a)).changes, [.routeAdded(a)])
        XCTAssertEqual(state.apply(new(a)).changes, [], "the same route again changes nothing")
        let b = route("198.18.9.0/24", via: "198.18.5.3")
        XCTAssertEqual(state.apply(new(b, flags: MessageFlags.replace)).changes, [.routeReplaced(old: a, new: b)])
        XCTAssertEqual(state.apply(del(b)).changes, [.routeDeleted(b)])
        XCTAssertEqual(state.apply(del(b)).changes, [], "deleting what is not there changes nothing")
        XCTAssertTrue(state.routes.isEmpty)
    }

    func testOtherTablesAndTOSAreIgnored() {
        var state = MirrorState(table: RouteTable.main, filter: .all)
        XCTAssertEqual(state.apply(new(route("198.18.9.0/24", via: "198.18.5.2", table: 100))).changes, [])
        var tos = route("198.18.9.0/24", via: "198.18.5.2")
        tos.tos = 0x10
        XCTAssertEqual(state.apply(new(tos)).changes, [])
        var other = MirrorState(table: 100, filter: .all)
        XCTAssertEqual(other.apply(new(route("198.18.9.0/24", via: "198.18.5.2", table: 100))).changes.count, 1)
    }

    /// The lowest metric wins; removing it uncovers the next one, as in the kernel.
    func testLowestMetricWins() {
        var state = MirrorState(table: RouteTable.main, filter: .all)
        let backup = route("198.18.9.0/24", via: "198.18.6.2", dev: 4, metric: 200)
        let primary = route("198.18.9.0/24", via: "198.18.5.2", metric: 100)
        XCTAssertEqual(state.apply(new(backup)).changes, [.routeAdded(backup)])
        XCTAssertEqual(state.apply(new(primary)).changes, [.routeReplaced(old: backup, new: primary)])
        let worse = route("198.18.9.0/24", via: "198.18.7.2", dev: 5, metric: 300)
        XCTAssertEqual(state.apply(new(worse)).changes, [], "a worse route changes nothing shown")
        XCTAssertEqual(state.apply(del(primary)).changes, [.routeReplaced(old: primary, new: backup)])
        XCTAssertEqual(state.apply(del(backup)).changes, [.routeReplaced(old: backup, new: worse)])
        XCTAssertEqual(state.apply(del(worse)).changes, [.routeDeleted(worse)])
    }

    /// IPv6: `ip -6 route append` announces the whole set (NLM_F_APPEND); deleting one next hop
    /// announces that next hop alone.
    func testIPv6MultipathAppendAndPartialDelete() {
        var state = MirrorState(table: RouteTable.main, filter: .all)
        let one = route("2001:db8:99::/64", via: "2001:db8:5::2", dev: 3, metric: 1024)
        XCTAssertEqual(state.apply(new(one)).changes, [.routeAdded(one)])
        var both = one
        both.nextHops = [NextHop(gateway: v6("2001:db8:6::2"), ifindex: 4), NextHop(gateway: v6("2001:db8:5::2"), ifindex: 3)]
        XCTAssertEqual(state.apply(new(both, flags: MessageFlags.append | MessageFlags.create)).changes, [.routeReplaced(old: one, new: both)])
        let firstGone = route("2001:db8:99::/64", via: "2001:db8:5::2", dev: 3, metric: 1024)
        var remaining = one
        remaining.nextHops = [NextHop(gateway: v6("2001:db8:6::2"), ifindex: 4)]
        XCTAssertEqual(state.apply(del(firstGone)).changes, [.routeReplaced(old: both, new: remaining)])
        XCTAssertEqual(state.apply(del(remaining)).changes, [.routeDeleted(remaining)])
    }

    /// After a resync, notifications queued during the dump are applied over a state that may
    /// already include them: the IPv6 removal of one next hop must not take the rest away.
    func testIPv6PartialDeleteReplayedOverADumpIsHarmless() {
        var state = MirrorState(table: RouteTable.main, filter: .all)
        let remaining = route("2001:db8:99::/64", via: "2001:db8:6::2", dev: 4, metric: 1024)
        _ = state.apply(new(remaining), fromDump: true)
        let replayed = route("2001:db8:99::/64", via: "2001:db8:5::2", dev: 3, metric: 1024)
        XCTAssertEqual(state.apply(del(replayed)).changes, [])
        XCTAssertEqual(state.effectiveRoute(prefix("2001:db8:99::/64")), remaining)
    }

    /// IPv4: `ip route append` adds a second route of equal metric that the kernel does not use.
    func testIPv4AppendKeepsTheFirstRoute() {
        var state = MirrorState(table: RouteTable.main, filter: .all)
        let first = route("198.18.99.0/24", via: "198.18.5.2")
        XCTAssertEqual(state.apply(new(first)).changes, [.routeAdded(first)])
        XCTAssertEqual(state.apply(new(route("198.18.99.0/24", via: "198.18.5.3"), flags: MessageFlags.append | MessageFlags.create)).changes, [])
        XCTAssertEqual(state.effectiveRoute(prefix("198.18.99.0/24")), first)
    }

    /// Only next hops on twins are shown, dead ones never; a unicast route left with none is
    /// not shown at all; blackholes are shown with none.
    func testInterfaceFilterAndDeadNextHops() {
        var state = MirrorState(table: RouteTable.main, filter: .indexes([3, 4]))
        var ecmp = route("198.18.99.0/24")
        ecmp.nextHops = [
            NextHop(gateway: v4("198.18.5.2"), ifindex: 3), NextHop(gateway: v4("198.18.6.2"), ifindex: 4, flags: NextHop.flagDead),
            NextHop(gateway: v4("198.18.200.1"), ifindex: 9),
        ]
        var shown = ecmp
        shown.nextHops = [NextHop(gateway: v4("198.18.5.2"), ifindex: 3)]
        XCTAssertEqual(state.apply(new(ecmp)).changes, [.routeAdded(shown)])

        let management = route("198.18.100.0/24", via: "198.18.200.1", dev: 9)
        XCTAssertEqual(state.apply(new(management)).changes, [])

        // The kernel prefers a route through a foreign interface: the prefix disappears.
        let twinRoute = route("198.18.101.0/24", via: "198.18.5.2", dev: 3, metric: 100)
        XCTAssertEqual(state.apply(new(twinRoute)).changes, [.routeAdded(twinRoute)])
        XCTAssertEqual(state.apply(new(route("198.18.101.0/24", via: "198.18.200.1", dev: 9, metric: 10))).changes, [.routeDeleted(twinRoute)])

        var blackhole = route("198.18.7.0/24", type: .blackhole)
        blackhole.nextHops = [NextHop(gateway: nil, ifindex: 1)]
        var blackholeShown = blackhole
        blackholeShown.nextHops = []
        XCTAssertEqual(state.apply(new(blackhole)).changes, [.routeAdded(blackholeShown)])
    }

    func testNeighbors() {
        var state = MirrorState(table: RouteTable.main, filter: .indexes([3]))
        let reachable = KernelNeighbor(address: v4("198.18.5.2"), mac: mac("02:00:00:00:00:02"), ifindex: 3, state: .reachable)
        let nm = { (n: KernelNeighbor, op: KernelMessage.Operation) in KernelMessage(operation: op, object: .neighbor(n)) }
        XCTAssertEqual(state.apply(nm(reachable, .new)).changes, [.neighborAdded(reachable)])
        var stale = reachable
        stale.state = .stale
        XCTAssertEqual(state.apply(nm(stale, .new)).changes, [], "a state change alone is not reported")
        var moved = stale
        moved.mac = mac("02:00:00:00:00:99")
        XCTAssertEqual(state.apply(nm(moved, .new)).changes, [.neighborReplaced(old: stale, new: moved)])
        var failed = moved
        failed.state = .failed
        XCTAssertEqual(state.apply(nm(failed, .new)).changes, [.neighborDeleted(moved)], "FAILED means gone")
        var incomplete = moved
        incomplete.state = .incomplete
        incomplete.mac = nil
        XCTAssertEqual(state.apply(nm(incomplete, .new)).changes, [])
        XCTAssertEqual(state.apply(nm(reachable, .new)).changes, [.neighborAdded(reachable)])
        XCTAssertEqual(state.apply(nm(reachable, .delete)).changes, [.neighborDeleted(reachable)])
        let elsewhere = KernelNeighbor(address: v4("198.18.200.1"), mac: mac("02:00:00:00:00:05"), ifindex: 9, state: .reachable)
        XCTAssertEqual(state.apply(nm(elsewhere, .new)).changes, [], "not a twin")
    }

    /// A twin going down or away needs a dump (IPv4 drops its routes silently); a change of
    /// MTU does not.
    func testLinkChangesThatNeedADump() {
        var state = MirrorState(table: RouteTable.main, filter: .indexes([3]))
        let lm = { (l: KernelLink, op: KernelMessage.Operation) in KernelMessage(operation: op, object: .link(l)) }
        let up = link(3, "swf0")
        var outcome = state.apply(lm(up, .new))
        XCTAssertEqual(outcome.changes, [.linkChanged(up)])
        XCTAssertFalse(outcome.needsResync)
        var bigger = up
        bigger.mtu = 9000
        outcome = state.apply(lm(bigger, .new))
        XCTAssertEqual(outcome.changes, [.linkChanged(bigger)])
        XCTAssertFalse(outcome.needsResync)
        let down = link(3, "swf0", up: false)
        XCTAssertTrue(state.apply(lm(down, .new)).needsResync)
        XCTAssertTrue(state.apply(lm(link(3, "swf0"), .new)).needsResync, "coming back up revives next hops silently too")
        outcome = state.apply(lm(link(3, "swf0"), .delete))
        XCTAssertTrue(outcome.needsResync)
        XCTAssertEqual(outcome.changes, [.linkDeleted(link(3, "swf0"))])
        XCTAssertFalse(state.apply(lm(link(9, "eth0", up: false), .new)).needsResync, "not a twin")
    }

    /// With a filter by name, a twin that appears brings what the kernel already has through
    /// it into view at once; one that disappears takes it away.
    func testTwinsByName() {
        var state = MirrorState(table: RouteTable.main, filter: .names(["swf0"]))
        let r = route("198.18.9.0/24", via: "198.18.5.2", dev: 3)
        XCTAssertEqual(state.apply(new(r)).changes, [], "ifindex 3 is not known as swf0 yet")
        let lm = { (l: KernelLink, op: KernelMessage.Operation) in KernelMessage(operation: op, object: .link(l)) }
        XCTAssertEqual(state.apply(lm(link(3, "swf0"), .new)).changes, [.linkChanged(link(3, "swf0")), .routeAdded(r)])
        XCTAssertEqual(state.twins, [3])
        let renamed = link(3, "old0")
        XCTAssertEqual(state.apply(lm(renamed, .new)).changes, [.linkDeleted(link(3, "swf0")), .routeDeleted(r)])
    }

    func testAddresses() {
        var state = MirrorState(table: RouteTable.main, filter: .indexes([3]))
        let am = { (a: KernelAddress, op: KernelMessage.Operation) in KernelMessage(operation: op, object: .address(a)) }
        let a4 = KernelAddress(ifindex: 3, address: v4("198.18.5.1"), prefixLength: 24)
        let a6 = KernelAddress(ifindex: 3, address: v6("2001:db8:5::1"), prefixLength: 64)
        XCTAssertEqual(state.apply(am(a4, .new)).changes, [.addressAdded(a4)])
        XCTAssertEqual(state.apply(am(a4, .new)).changes, [])
        XCTAssertEqual(state.apply(am(a6, .new)).changes, [.addressAdded(a6)])
        var outcome = state.apply(am(a6, .delete))
        XCTAssertEqual(outcome.changes, [.addressDeleted(a6)])
        XCTAssertFalse(outcome.needsResync)
        outcome = state.apply(am(a4, .delete))
        XCTAssertTrue(outcome.needsResync, "IPv4 flushes routes using the address as source, silently")
    }

    /// What a resync reports: the difference between two states, whatever produced them.
    func testDiff() {
        var old = MirrorState(table: RouteTable.main, filter: .all)
        let kept = route("198.18.1.0/24", via: "198.18.5.2")
        let changed = route("198.18.2.0/24", via: "198.18.5.2")
        let gone = route("198.18.3.0/24", via: "198.18.5.2")
        for r in [kept, changed, gone] { _ = old.apply(new(r)) }
        let neighbor = KernelNeighbor(address: v4("198.18.5.2"), mac: mac("02:00:00:00:00:02"), ifindex: 3, state: .reachable)
        _ = old.apply(KernelMessage(operation: .new, object: .neighbor(neighbor)))

        var fresh = old.emptied()
        let changedNow = route("198.18.2.0/24", via: "198.18.5.3")
        let added = route("198.18.4.0/24", via: "198.18.5.2")
        for r in [kept, changedNow, added] { _ = fresh.apply(new(r), fromDump: true) }
        let changes = Set(MirrorState.diff(from: old, to: fresh))
        XCTAssertEqual(changes, [.routeReplaced(old: changed, new: changedNow), .routeAdded(added), .routeDeleted(gone), .neighborDeleted(neighbor)])
        XCTAssertEqual(MirrorState.diff(from: fresh, to: fresh), [])
    }
}
