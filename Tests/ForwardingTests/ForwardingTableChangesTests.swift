import Packet
import XCTest
@testable import Forwarding

/// Runtime changes (console route/neighbor commands, later the kernel mirror): each must leave
/// the table equal to one built from scratch with the same final state, and report exactly the
/// FIB changes that get there.
final class ForwardingTableChangesTests: XCTestCase {
    private func p(_ text: String) -> IPPrefix { IPPrefix(text)! }
    private func a(_ text: String) -> IPAddress { IPAddress(text)! }

    /// Replays changes on a map, as the data plane does on rte_fib.
    private func apply(_ changes: [ForwardingTable.FIBChange], to fib: inout [IPPrefix: UInt32]) {
        for c in changes {
            XCTAssertEqual(fib[c.prefix], c.previous, "change for \(c.prefix) names the wrong previous value")
            fib[c.prefix] = c.nextHop
        }
    }

    private func fib(_ t: ForwardingTable) -> [IPPrefix: UInt32] {
        var out: [IPPrefix: UInt32] = [:]
        for (k, v) in t.ipv4Routes { out[.v4(k)] = v }
        for (k, v) in t.ipv6Routes { out[.v6(k)] = v }
        return out
    }

    func testAddRouteViaKnownNeighborSharesItsAdjacency() throws {
        var t = Fixture.table()
        try t.addRoute(p("198.18.9.0/24"), .via(a("198.18.1.2")))
        let changes = t.takeChanges()
        XCTAssertEqual(changes, [ForwardingTable.FIBChange(prefix: p("198.18.9.0/24"), nextHop: t.neighbors[a("198.18.1.2")]!.adjacency, previous: nil)])
        XCTAssertEqual(t.kind(of: p("198.18.9.0/24")), .staticRoute)
    }

    func testDeleteRouteRemovesItAndUnknownDeleteIsRefused() throws {
        var t = Fixture.table()
        try t.deleteRoute(p("198.19.0.0/16"))
        XCTAssertEqual(t.takeChanges().map(\.nextHop), [nil])
        XCTAssertNil(t.ipv4Routes[IPv4Prefix("198.19.0.0/16")!])
        XCTAssertThrowsError(try t.deleteRoute(p("198.19.0.0/16")))
        XCTAssertThrowsError(try t.deleteRoute(p("198.18.0.0/24")), "a connected route is not a static route")
    }

    func testRouteViaOffSubnetGatewayOrWrongFamilyIsRefusedAndChangesNothing() {
        var t = Fixture.table()
        let before = fib(t)
        XCTAssertThrowsError(try t.addRoute(p("198.18.9.0/24"), .via(a("198.20.0.1"))))
        XCTAssertThrowsError(try t.addRoute(p("198.18.9.0/24"), .via(a("2001:db8:1::2"))))
        XCTAssertThrowsError(try t.addRoute(p("198.18.9.0/24"), .port(7)))
        XCTAssertEqual(fib(t), before)
        XCTAssertTrue(t.takeChanges().isEmpty)
    }

    func testNeighborArrivalResolvesRoutesViaItAndDepartureUnresolvesThem() throws {
        var t = Fixture.table()
        var fib = self.fib(t)
        // 198.19.128.0/17 goes via 198.18.1.99, which has no neighbor entry yet.
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.19.128.0/17")!], ForwardingTable.noNeighborIndex(port: 1))
        try t.addNeighbor(a("198.18.1.99"), mac: MACAddress("02:00:00:00:01:99")!, port: 1, source: "console")
        XCTAssertTrue(t.adjacenciesChanged)
        apply(t.takeChanges(), to: &fib)
        let index = t.neighbors[a("198.18.1.99")]!.adjacency
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.19.128.0/17")!], index)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.1.99/32")!], index)
        XCTAssertEqual(t.adjacencies[Int(index)].action, .forward)
        XCTAssertEqual(fib, self.fib(t))

        try t.deleteNeighbor(a("198.18.1.99"))
        apply(t.takeChanges(), to: &fib)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.19.128.0/17")!], ForwardingTable.noNeighborIndex(port: 1))
        XCTAssertNil(t.ipv4Routes[IPv4Prefix("198.18.1.99/32")!])
        XCTAssertEqual(fib, self.fib(t))
        XCTAssertThrowsError(try t.deleteNeighbor(a("198.18.1.99")))
    }

    func testNeighborMACChangeRewritesTheAdjacencyWithoutFIBChanges() throws {
        var t = Fixture.table()
        let index = t.neighbors[a("198.18.1.2")]!.adjacency
        let newMAC = MACAddress("02:00:00:00:0a:0b")!
        try t.addNeighbor(a("198.18.1.2"), mac: newMAC, port: 1, source: "console")
        XCTAssertTrue(t.adjacenciesChanged)
        XCTAssertTrue(t.takeChanges().isEmpty)
        XCTAssertEqual(t.adjacencies[Int(index)].rewrite, Ethernet.AddressRewrite(destination: newMAC, source: Fixture.port1MAC))
    }

    func testRouterAddressAndGroupMACCannotBeNeighbors() {
        var t = Fixture.table()
        XCTAssertThrowsError(try t.addNeighbor(a("198.18.0.1"), mac: MACAddress("02:00:00:00:00:09")!, port: 0, source: "console"))
        XCTAssertThrowsError(try t.addNeighbor(a("198.18.0.9"), mac: MACAddress("01:00:5e:00:00:01")!, port: 0, source: "console"))
    }

    func testStaticHostRouteOverNeighborUncoversItWhenDeleted() throws {
        var t = Fixture.table()
        let neighborIndex = t.neighbors[a("198.18.1.2")]!.adjacency
        try t.addRoute(p("198.18.1.2/32"), .port(0))
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.1.2/32")!], neighborIndex, "a neighbor's host route outranks a static one")
        XCTAssertTrue(t.takeChanges().isEmpty)
        try t.deleteRoute(p("198.18.1.2/32"))
        XCTAssertTrue(t.takeChanges().isEmpty)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.1.2/32")!], neighborIndex)
    }

    func testFreedAdjacencyIsReusedAndRandomChurnMatchesAFreshBuild() throws {
        var rng = SeededGenerator(seed: 42)
        var t = Fixture.table()
        var fib = self.fib(t)
        var routes: [IPPrefix: RouteSpec.Target] = [:]
        var neighbors: [IPAddress: MACAddress] = [:]
        for step in 0..<3000 {
            let host = UInt8.random(in: 2...40, using: &rng)
            let gateway = a("198.18.1.\(host)")
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let prefix = p("198.20.\(UInt8.random(in: 0...30, using: &rng)).0/24")
                let target: RouteSpec.Target = Bool.random(using: &rng) ? .via(gateway) : .port(0)
                try t.addRoute(prefix, target)
                routes[prefix] = target
            case 1:
                if let prefix = routes.keys.randomElement(using: &rng) {
                    try t.deleteRoute(prefix)
                    routes[prefix] = nil
                }
            case 2:
                let mac = MACAddress(0x0200_0000_0000 | UInt64(step))
                try t.addNeighbor(gateway, mac: mac, port: 1, source: "console")
                neighbors[gateway] = mac
            default:
                if neighbors[gateway] != nil, gateway != a("198.18.1.2") {
                    try t.deleteNeighbor(gateway)
                    neighbors[gateway] = nil
                }
            }
            apply(t.takeChanges(), to: &fib)
            XCTAssertEqual(fib, self.fib(t), "step \(step)")
        }
        XCTAssertLessThan(t.adjacencies.count, 4 + 4 + 40, "deleted neighbors' adjacencies are reused")
        // The same final state built from scratch forwards every address the same way.
        var fresh = Fixture.table()
        for (address, mac) in neighbors {
            try fresh.addNeighbor(address, mac: mac, port: 1, source: "console")
        }
        for (prefix, target) in routes { try fresh.addRoute(prefix, target) }
        for x in 0..<256 {
            for net in ["198.20.5", "198.18.1", "198.19.200"] {
                let address = a("\(net).\(x)")
                let mine = t.longestMatch(address).map { t.adjacencies[Int($0.nextHop)] }
                let theirs = fresh.longestMatch(address).map { fresh.adjacencies[Int($0.nextHop)] }
                XCTAssertEqual(mine, theirs, "\(address)")
            }
        }
    }
}
