import XCTest
import Packet
@testable import Netlink

/// The module against the real kernel, in a network namespace of the test's own (root only;
/// skipped otherwise). Addresses and routes are changed with `ip`, and through our own
/// requests, and what the dumps and the events report is compared with what was done.
final class KernelIntegrationTests: XCTestCase {
    private var namespace: TestNamespace!
    private static var counter = 0

    override func setUpWithError() throws {
        KernelIntegrationTests.counter += 1
        namespace = try TestNamespace(suffix: "i\(KernelIntegrationTests.counter)")
    }

    override func tearDown() {
        namespace?.remove()
        namespace = nil
    }

    private var v0: Int32 { namespace.ifindex["v0"]! }
    private var v1: Int32 { namespace.ifindex["v1"]! }

    /// Puts the test subnets on v0 and v1 through our own address requests.
    private func addTestAddresses(_ client: NetlinkClient) throws {
        try client.addAddress(v4("198.18.5.1"), prefixLength: 24, ifindex: v0)
        try client.addAddress(v4("198.18.6.1"), prefixLength: 24, ifindex: v1)
        try client.addAddress(v6("2001:db8:5::1"), prefixLength: 64, ifindex: v0, skipDAD: true)
        try client.addAddress(v6("2001:db8:6::1"), prefixLength: 64, ifindex: v1, skipDAD: true)
    }

    /// Polls until `done` says the changes collected so far are enough, or 10 s pass.
    private func collect(_ mirror: KernelMirror, file: StaticString = #filePath, line: UInt = #line,
                         until done: ([MirrorChange]) -> Bool) -> [TimedChange] {
        var changes: [TimedChange] = []
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while !done(changes.map(\.change)) {
            guard monotonicNanoseconds() < deadline else {
                XCTFail("timed out; changes so far: \(changes.map(\.change))", file: file, line: line)
                break
            }
            let batch = mirror.poll(timeoutMilliseconds: 100)
            XCTAssertNil(batch.failure, file: file, line: line)
            changes += batch.changes
        }
        // Anything that arrives just after is part of the same step.
        let late = mirror.poll(timeoutMilliseconds: 200)
        XCTAssertNil(late.failure, file: file, line: line)
        return changes + late.changes
    }

    private func routeAndNeighborChanges(_ changes: [TimedChange]) -> Set<MirrorChange> {
        Set(changes.map(\.change).filter {
            switch $0 {
            case .routeAdded, .routeDeleted, .routeReplaced, .neighborAdded, .neighborDeleted, .neighborReplaced: return true
            default: return false
            }
        })
    }

    func testLinkAndAddressRequests() throws {
        let client = try namespace.inside { try NetlinkClient() }

        let links = try client.dumpLinks()
        XCTAssertEqual(links.malformed, [])
        XCTAssertEqual(Set(links.items.map(\.name)), ["lo", "v0", "v1"])
        let link0 = try XCTUnwrap(links.items.first { $0.name == "v0" })
        XCTAssertEqual(link0.ifindex, v0)
        XCTAssertTrue(link0.isUp)
        XCTAssertEqual(link0.mtu, 1500)
        let shown = try namespace.ip(["-o", "link", "show", "dev", "v0"])
        XCTAssertTrue(shown.contains("link/ether \(try XCTUnwrap(link0.mac))"), shown)

        try client.setLink(ifindex: v0, mtu: 1400)
        XCTAssertTrue(try namespace.ip(["-o", "link", "show", "dev", "v0"]).contains("mtu 1400"))
        let lo = try XCTUnwrap(links.items.first { $0.name == "lo" })
        XCTAssertFalse(lo.isUp)
        try client.setLink(ifindex: lo.ifindex, up: true)
        XCTAssertEqual(try client.dumpLinks().items.first { $0.name == "lo" }?.isUp, true)
        try client.setLink(ifindex: v1, up: false)
        XCTAssertFalse(try namespace.ip(["-o", "link", "show", "dev", "v1"]).contains(",UP"))

        try client.addAddress(v4("198.18.5.1"), prefixLength: 24, ifindex: v0)
        try client.addAddress(v6("2001:db8:5::1"), prefixLength: 64, ifindex: v0, skipDAD: true)
        try client.addAddress(InterfaceAddress("198.18.5.1/24")!, ifindex: v0)    // again: replaced, not refused
        let addresses = try namespace.ip(["-o", "addr", "show", "dev", "v0"])
        XCTAssertTrue(addresses.contains("inet 198.18.5.1/24 brd 198.18.5.255"), addresses)
        XCTAssertTrue(addresses.contains("inet6 2001:db8:5::1/64"), addresses)
        let line = addresses.split(separator: "\n").first { $0.contains("2001:db8:5::1/64") } ?? ""
        XCTAssertFalse(line.contains("tentative"), "NODAD: usable at once: \(line)")
        let dumped = try client.dumpAddresses().items.filter { $0.ifindex == v0 }
        XCTAssertTrue(dumped.contains(KernelAddress(ifindex: v0, address: v4("198.18.5.1"), prefixLength: 24, flags: 0x80)), "\(dumped)")
        XCTAssertTrue(dumped.contains { $0.address == v6("2001:db8:5::1") && $0.prefixLength == 64 }, "\(dumped)")

        XCTAssertThrowsError(try client.deleteAddress(v4("198.18.5.9"), prefixLength: 24, ifindex: v0)) { error in
            guard case NetlinkError.refused(_, let code, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, EADDRNOTAVAIL)
            XCTAssertTrue("\(error)".hasPrefix("The kernel refused to remove 198.18.5.9/24 from interface \(self.v0): Cannot assign requested address (errno 99)"), "\(error)")
        }
        try client.deleteAddress(v4("198.18.5.1"), prefixLength: 24, ifindex: v0)
        XCTAssertFalse(try namespace.ip(["-o", "addr", "show", "dev", "v0"]).contains("198.18.5.1"))

        XCTAssertThrowsError(try client.setLink(ifindex: 99_999, up: true)) { error in
            guard case NetlinkError.refused(_, let code, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, ENODEV)
        }
    }

    /// The dump at start, then events: exactly the routes and neighbors made with `ip`, through
    /// the twin (v0) only, in the main table only; then their removal.
    func testMirrorFollowsRoutesAndNeighbors() throws {
        let (client, mirror) = try namespace.inside {
            (try NetlinkClient(), try KernelMirror(configuration: .init(interfaces: .names(["v0"]))))
        }
        try addTestAddresses(client)
        XCTAssertGreaterThanOrEqual(mirror.receiveBufferBytes, 64 << 20, "SO_RCVBUFFORCE as root")

        let start = try mirror.start()
        XCTAssertEqual(mirror.twinIndexes, [v0])
        XCTAssertEqual(Set(mirror.routes.map(\.prefix)), [prefix("198.18.5.0/24"), prefix("2001:db8:5::/64"), prefix("fe80::/64")])
        let connected = try XCTUnwrap(mirror.route(for: prefix("198.18.5.0/24")))
        XCTAssertEqual(connected.protocol, .kernel)
        XCTAssertEqual(connected.nextHops, [NextHop(gateway: nil, ifindex: v0)])
        XCTAssertTrue(start.changes.contains { $0.change == .routeAdded(connected) })
        XCTAssertTrue(start.changes.contains { if case .linkChanged(let l) = $0.change { return l.name == "v0" } else { return false } })
        XCTAssertTrue(Set(mirror.addresses.map(\.address)).isSuperset(of: [v4("198.18.5.1"), v6("2001:db8:5::1")]))
        XCTAssertEqual(mirror.neighbors, [])

        let commands: [[String]] = [
            ["route", "add", "198.18.9.0/24", "via", "198.18.5.2"],
            ["route", "add", "198.18.10.0/24", "via", "198.18.6.2"],                 // through v1: not mirrored
            ["route", "add", "198.18.11.0/24", "nexthop", "via", "198.18.5.2", "weight", "2", "nexthop", "via", "198.18.6.2"],
            ["-6", "route", "add", "2001:db8:99::/64", "via", "2001:db8:5::2"],
            ["route", "add", "blackhole", "198.18.7.0/24"],
            ["route", "add", "198.18.12.0/24", "via", "198.18.5.2", "table", "100"],  // another table
            ["neigh", "add", "198.18.5.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent"],
            ["-6", "neigh", "add", "2001:db8:5::2", "lladdr", "02:00:00:00:00:03", "dev", "v0", "nud", "reachable"],
            ["neigh", "add", "198.18.6.2", "lladdr", "02:00:00:00:00:04", "dev", "v1", "nud", "permanent"],
        ]
        for c in commands { try namespace.ip(c) }

        let route9 = KernelRoute(prefix: prefix("198.18.9.0/24"), protocol: .boot, nextHops: [NextHop(gateway: v4("198.18.5.2"), ifindex: v0)])
        let route11 = KernelRoute(prefix: prefix("198.18.11.0/24"), protocol: .boot, nextHops: [NextHop(gateway: v4("198.18.5.2"), ifindex: v0, weight: 2)])
        let route99 = KernelRoute(prefix: prefix("2001:db8:99::/64"), protocol: .boot, priority: 1024,
                                  nextHops: [NextHop(gateway: v6("2001:db8:5::2"), ifindex: v0)])
        let blackhole = KernelRoute(prefix: prefix("198.18.7.0/24"), type: .blackhole, protocol: .boot, nextHops: [])
        let neighbor4 = KernelNeighbor(address: v4("198.18.5.2"), mac: mac("02:00:00:00:00:02"), ifindex: v0, state: .permanent)
        let added = collect(mirror) { $0.count >= 6 }
        // Scope and preferred source are the kernel's choice: compare what the fast path uses.
        func essentials(_ c: MirrorChange) -> String {
            switch c {
            case .routeAdded(let r), .routeDeleted(let r):
                return "\(c.kind) \(r.type) \(r.prefix) \(r.nextHops) \(r.priority) \(r.table)"
            case .neighborAdded(let n), .neighborDeleted(let n):
                return "\(c.kind) \(n.address) \(n.mac?.description ?? "-") \(n.ifindex)"
            default:
                return c.description
            }
        }
        let expectedAdds = [MirrorChange.routeAdded(route9), .routeAdded(route11), .routeAdded(route99), .routeAdded(blackhole),
                            .neighborAdded(neighbor4),
                            .neighborAdded(KernelNeighbor(address: v6("2001:db8:5::2"), mac: mac("02:00:00:00:00:03"), ifindex: v0, state: .reachable))]
        XCTAssertEqual(Set(routeAndNeighborChanges(added).map { essentials($0) }), Set(expectedAdds.map { essentials($0) }))
        XCTAssertEqual(mirror.statistics.routes, 7)
        XCTAssertEqual(mirror.statistics.neighbors, 2)
        XCTAssertEqual(mirror.statistics.resyncs, 0)
        XCTAssertEqual(mirror.statistics.malformed, 0)

        // A second mirror's dump sees what the first built from events.
        let fresh = try namespace.inside { try KernelMirror(configuration: .init(interfaces: .names(["v0"]))) }
        _ = try fresh.start()
        XCTAssertEqual(Set(fresh.routes), Set(mirror.routes))
        XCTAssertEqual(Set(fresh.neighbors.map(\.address)), Set(mirror.neighbors.map(\.address)))

        for c in commands.reversed() {
            var delete = c
            delete[delete.firstIndex(of: "add")!] = "del"
            try namespace.ip(delete)
        }
        let removed = collect(mirror) { changes in changes.filter { $0.kind == "del" }.count >= 6 }
        XCTAssertEqual(Set(routeAndNeighborChanges(removed).map { essentials($0) }),
                       Set(expectedAdds.map { essentials($0) }.map { $0.replacingOccurrences(of: "add ", with: "del ") }))
        XCTAssertEqual(mirror.statistics.routes, 3)
        XCTAssertEqual(mirror.statistics.neighbors, 0)
    }

    /// IPv4 drops and revives routes through an interface that goes down or up without a
    /// word; the mirror notices the link change and reads everything again.
    func testTwinGoingDownResyncs() throws {
        let (client, mirror) = try namespace.inside {
            (try NetlinkClient(), try KernelMirror(configuration: .init(interfaces: .names(["v0", "v1"]))))
        }
        try addTestAddresses(client)
        try namespace.ip(["route", "add", "198.18.9.0/24", "via", "198.18.6.2"])
        try namespace.ip(["route", "add", "198.18.11.0/24", "nexthop", "via", "198.18.5.2", "nexthop", "via", "198.18.6.2"])
        _ = try mirror.start()
        XCTAssertEqual(mirror.route(for: prefix("198.18.11.0/24"))?.nextHops.count, 2)

        try namespace.ip(["link", "set", "v1", "down"])
        let down = collect(mirror) { _ in mirror.statistics.resyncs >= 1 }
        XCTAssertNil(mirror.route(for: prefix("198.18.9.0/24")))
        XCTAssertNil(mirror.route(for: prefix("198.18.6.0/24")))
        XCTAssertEqual(mirror.route(for: prefix("198.18.11.0/24"))?.nextHops.map(\.ifindex), [v0], "the dead next hop is gone")
        XCTAssertTrue(down.contains { if case .routeDeleted(let r) = $0.change { return r.prefix == prefix("198.18.9.0/24") } else { return false } })

        try namespace.ip(["link", "set", "v1", "up"])
        _ = collect(mirror) { _ in mirror.statistics.resyncs >= 2 && mirror.route(for: prefix("198.18.6.0/24")) != nil }
        XCTAssertEqual(mirror.route(for: prefix("198.18.11.0/24"))?.nextHops.count, 2, "the next hop revived")
    }

    /// A receive buffer far too small for a burst: the kernel drops notifications, recv says
    /// ENOBUFS, and the mirror reads the tables again; nothing is missing afterwards.
    func testOverrunResyncs() throws {
        let (client, mirror) = try namespace.inside {
            (try NetlinkClient(), try KernelMirror(configuration: .init(interfaces: .names(["v0"]), receiveBufferBytes: 4096)))
        }
        try addTestAddresses(client)
        _ = try mirror.start()
        let count = 3000
        let batch = (0..<count).map { "route add 198.19.\($0 / 256).\($0 % 256)/32 via 198.18.5.2\n" }.joined()
        try namespace.ip(["-batch", "-"], input: batch)
        let isTest: (KernelRoute) -> Bool = { IPv4Prefix("198.19.0.0/16")!.contains($0.prefix) }
        let changes = collect(mirror) { _ in mirror.routes.filter(isTest).count == count }
        XCTAssertGreaterThanOrEqual(mirror.statistics.overruns, 1)
        XCTAssertGreaterThanOrEqual(mirror.statistics.resyncs, 1)
        XCTAssertEqual(mirror.routes.filter(isTest).count, count)
        let adds = changes.filter { if case .routeAdded(let r) = $0.change { return isTest(r) } else { return false } }
        XCTAssertEqual(adds.count, count, "each route reported once, by event or by the resync")
        print("netlink: \(count) routes into a \(mirror.receiveBufferBytes)-byte buffer: \(mirror.statistics.overruns) overruns, \(mirror.statistics.resyncs) resyncs")
    }
}

extension MirrorChange {
    /// "add", "del", "replace" or "other", for counting in tests.
    var kind: String {
        switch self {
        case .routeAdded, .neighborAdded, .addressAdded: return "add"
        case .routeDeleted, .neighborDeleted, .addressDeleted, .linkDeleted: return "del"
        case .routeReplaced, .neighborReplaced: return "replace"
        case .linkChanged: return "other"
        }
    }
}

extension IPv4Prefix {
    func contains(_ p: IPPrefix) -> Bool {
        if case .v4(let q) = p { return q.length >= length && contains(q.address) }
        return false
    }
}
