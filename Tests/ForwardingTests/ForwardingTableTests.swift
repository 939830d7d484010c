import XCTest
import Packet
@testable import Forwarding

final class ForwardingTableTests: XCTestCase {
    let table = Fixture.table()

    private func v4(_ text: String) -> UInt32? { table.ipv4Routes[IPv4Prefix(text)!] }
    private func v6(_ text: String) -> UInt32? { table.ipv6Routes[IPv6Prefix(text)!] }

    /// The adjacency index a neighbor's host route points at.
    private func neighborIndex(_ address: String) -> Int? {
        switch IPAddress(address)! {
        case .v4(let a): return table.ipv4Routes[IPv4Prefix(address: a, length: 32)!].map(Int.init)
        case .v6(let a): return table.ipv6Routes[IPv6Prefix(address: a, length: 128)!].map(Int.init)
        }
    }

    func testFixedAdjacencies() {
        XCTAssertEqual(table.adjacencies[Int(Adjacency.noRouteIndex)].action, .noRoute)
        XCTAssertEqual(table.adjacencies[Int(Adjacency.localIndex)].action, .local)
        for port in 0..<2 {
            let index = Int(ForwardingTable.noNeighborIndex(port: port))
            XCTAssertEqual(table.adjacencies[index], Adjacency(action: .noNeighbor, port: UInt16(port), mtu: 1500))
        }
        XCTAssertEqual(table.adjacencies.count, 4 + Fixture.neighbors.count, "one forwarding adjacency per neighbor")
    }

    func testNeighborAdjacencies() {
        for neighbor in Fixture.neighbors {
            guard let index = neighborIndex(neighbor.address.description) else { XCTFail("\(neighbor.address) has no host route"); continue }
            let port = Fixture.ports[neighbor.port]
            XCTAssertEqual(table.adjacencies[index], Adjacency(
                action: .forward, port: UInt16(neighbor.port), mtu: 1500,
                rewrite: Ethernet.AddressRewrite(destination: neighbor.mac, source: port.mac)), "\(neighbor.address)")
        }
    }

    func testConnectedLocalAndBroadcastRoutes() {
        XCTAssertEqual(v4("198.18.0.0/24"), ForwardingTable.noNeighborIndex(port: 0))
        XCTAssertEqual(v4("198.18.1.0/24"), ForwardingTable.noNeighborIndex(port: 1))
        XCTAssertEqual(v6("2001:db8::/64"), ForwardingTable.noNeighborIndex(port: 0))
        XCTAssertEqual(v6("2001:db8:1::/64"), ForwardingTable.noNeighborIndex(port: 1))
        for own in ["198.18.0.1/32", "198.18.1.1/32", "198.18.0.255/32", "198.18.1.255/32"] {
            XCTAssertEqual(v4(own), Adjacency.localIndex, own)
        }
        for own in ["2001:db8::1/128", "2001:db8:1::1/128"] { XCTAssertEqual(v6(own), Adjacency.localIndex, own) }
    }

    func testStaticRoutes() {
        XCTAssertEqual(v4("198.19.0.0/16").map(Int.init), neighborIndex("198.18.1.2"), "via a neighbor: shares its adjacency")
        XCTAssertEqual(v4("198.19.128.0/17"), ForwardingTable.noNeighborIndex(port: 1), "via a gateway without a neighbor entry")
        XCTAssertEqual(v4("198.18.200.0/24"), ForwardingTable.noNeighborIndex(port: 1), "out of a port")
        XCTAssertEqual(v6("2001:db8:100::/48").map(Int.init), neighborIndex("2001:db8:1::2"))
        XCTAssertEqual(v6("2001:db8:200::/48"), ForwardingTable.noNeighborIndex(port: 1))
        XCTAssertEqual(v6("2001:db8:300::/48"), ForwardingTable.noNeighborIndex(port: 1))
    }

    /// The router's own addresses win even over a static route or neighbor for the same host.
    func testOwnAddressesWin() {
        let routes = Fixture.routes + [RouteSpec(prefix: IPPrefix("198.18.0.1/32")!, target: .via(IPAddress("198.18.1.2")!)),
                                       RouteSpec(prefix: IPPrefix("2001:db8::1/128")!, target: .port(1))]
        let neighbors = Fixture.neighbors + [NeighborSpec(address: IPAddress("198.18.1.1")!, mac: MACAddress("02:00:00:00:01:99")!, port: 1)]
        let t = ForwardingTable(ports: Fixture.ports, routes: routes, neighbors: neighbors)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.0.1/32")!], Adjacency.localIndex)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.1.1/32")!], Adjacency.localIndex)
        XCTAssertEqual(t.ipv6Routes[IPv6Prefix("2001:db8::1/128")!], Adjacency.localIndex)
    }

    /// /31 (RFC 3021) and /32 subnets have no broadcast address to claim.
    func testNoBroadcastRouteForPointToPointSubnets() {
        let ports = [PortL3(mac: Fixture.port0MAC, mtu: 1500, addresses: [InterfaceAddress("198.18.0.0/31")!, InterfaceAddress("198.18.5.5/32")!])]
        let t = ForwardingTable(ports: ports, routes: [], neighbors: [])
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.0.0/32")!], Adjacency.localIndex)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.0.0/31")!], ForwardingTable.noNeighborIndex(port: 0))
        XCTAssertNil(t.ipv4Routes[IPv4Prefix("198.18.0.1/32")!], "the /31 peer is not the router")
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.18.5.5/32")!], Adjacency.localIndex)
        XCTAssertEqual(t.ipv4Routes.count, 3)
    }

    func testMTUIsClampedToSixteenBits() {
        var ports = Fixture.ports
        ports[0].mtu = 100_000
        let t = ForwardingTable(ports: ports, routes: [], neighbors: Fixture.neighbors)
        XCTAssertEqual(t.adjacencies[Int(ForwardingTable.noNeighborIndex(port: 0))].mtu, .max)
    }

    /// The reference table holds exactly the table's routes.
    func testReferenceTableHoldsTheSameRoutes() {
        let reference = table.referenceTable
        for (prefix, nextHop) in table.ipv4Routes {
            XCTAssertEqual(reference.lookup(prefix.address), longestMatchV4(prefix.address), "\(prefix)")
            if prefix.length == 32 { XCTAssertEqual(reference.lookup(prefix.address), nextHop, "\(prefix)") }
        }
        for (prefix, nextHop) in table.ipv6Routes where prefix.length == 128 {
            XCTAssertEqual(reference.lookup(prefix.address), nextHop, "\(prefix)")
        }
        XCTAssertEqual(reference.lookup(IPv4Address("198.18.9.9")!), Adjacency.noRouteIndex)
        XCTAssertEqual(reference.lookup(IPv6Address("2001:db8:ffff::1")!), Adjacency.noRouteIndex)
    }

    private func longestMatchV4(_ a: IPv4Address) -> UInt32 {
        table.ipv4Routes.filter { $0.key.contains(a) }.max { $0.key.length < $1.key.length }?.value ?? Adjacency.noRouteIndex
    }
}

/// `ReferenceRouteTable` against a linear scan over the same prefixes.
final class ReferenceRouteTableTests: XCTestCase {
    /// Prefixes clustered under a few bases so that they nest and overlap often.
    private func randomV4Prefixes<G: RandomNumberGenerator>(_ count: Int, using rng: inout G) -> [IPv4Prefix: UInt32] {
        let bases: [UInt32] = [0xC612_0000, 0xC613_0000, 0xC612_8000, UInt32.random(in: 0...UInt32.max, using: &rng)]
        var routes: [IPv4Prefix: UInt32] = [:]
        for _ in 0..<count {
            let length = UInt8.random(in: 0...32, using: &rng)
            let address = Bool.random(using: &rng)
                ? bases.randomElement(using: &rng)! ^ (UInt32.random(in: 0...UInt32.max, using: &rng) >> UInt32.random(in: 8...32, using: &rng))
                : UInt32.random(in: 0...UInt32.max, using: &rng)
            routes[IPv4Prefix(address: IPv4Address(address), length: length)!] = UInt32.random(in: 2...1000, using: &rng)
        }
        return routes
    }

    private func randomV6Prefixes<G: RandomNumberGenerator>(_ count: Int, using rng: inout G) -> [IPv6Prefix: UInt32] {
        let bases = [IPv6Address("2001:db8::")!, IPv6Address("2001:db8:1::")!, IPv6Address("2001:2::")!, IPv6Address(high: rng.next(), low: rng.next())]
        var routes: [IPv6Prefix: UInt32] = [:]
        for _ in 0..<count {
            let length = UInt8.random(in: 0...128, using: &rng)
            let base = bases.randomElement(using: &rng)!
            let address = Bool.random(using: &rng)
                ? IPv6Address(high: base.high ^ (rng.next() >> UInt64.random(in: 16...64, using: &rng)), low: rng.next() >> UInt64.random(in: 0...64, using: &rng))
                : IPv6Address(high: rng.next(), low: rng.next())
            routes[IPv6Prefix(address: address, length: length)!] = UInt32.random(in: 2...1000, using: &rng)
        }
        return routes
    }

    private func linearScan(_ routes: [IPv4Prefix: UInt32], _ a: IPv4Address) -> UInt32 {
        var best: (length: Int, nextHop: UInt32) = (-1, Adjacency.noRouteIndex)
        for (prefix, nextHop) in routes where Int(prefix.length) > best.length {
            // Match bit by bit, not through IPv4Prefix.contains.
            if (0..<Int(prefix.length)).allSatisfy({ bit in (a.value >> (31 - bit)) & 1 == (prefix.address.value >> (31 - bit)) & 1 }) {
                best = (Int(prefix.length), nextHop)
            }
        }
        return best.nextHop
    }

    private func linearScan(_ routes: [IPv6Prefix: UInt32], _ a: IPv6Address) -> UInt32 {
        func bit(_ x: IPv6Address, _ i: Int) -> UInt64 { i < 64 ? (x.high >> UInt64(63 - i)) & 1 : (x.low >> UInt64(127 - i)) & 1 }
        var best: (length: Int, nextHop: UInt32) = (-1, Adjacency.noRouteIndex)
        for (prefix, nextHop) in routes where Int(prefix.length) > best.length {
            if (0..<Int(prefix.length)).allSatisfy({ bit(a, $0) == bit(prefix.address, $0) }) {
                best = (Int(prefix.length), nextHop)
            }
        }
        return best.nextHop
    }

    /// An address inside a random one of the prefixes (or anywhere, a quarter of the time).
    private func probe<G: RandomNumberGenerator>(_ routes: [IPv4Prefix: UInt32], using rng: inout G) -> IPv4Address {
        let any = UInt32.random(in: 0...UInt32.max, using: &rng)
        guard Int.random(in: 0..<4, using: &rng) > 0, let prefix = routes.keys.randomElement(using: &rng) else { return IPv4Address(any) }
        return IPv4Address(prefix.address.value | any & ~IPv4Prefix.mask(prefix.length))
    }

    private func probe<G: RandomNumberGenerator>(_ routes: [IPv6Prefix: UInt32], using rng: inout G) -> IPv6Address {
        let any = IPv6Address(high: rng.next(), low: rng.next())
        guard Int.random(in: 0..<4, using: &rng) > 0, let prefix = routes.keys.randomElement(using: &rng) else { return any }
        let mask = IPv6Address(high: .max, low: .max).masked(prefix.length)
        return IPv6Address(high: prefix.address.high | any.high & ~mask.high, low: prefix.address.low | any.low & ~mask.low)
    }

    func testIPv4AgainstLinearScan() {
        var rng = SeededGenerator(seed: 4)
        for round in 0..<4 {
            let routes = randomV4Prefixes(round == 0 ? 5 : 400, using: &rng)
            var table = ReferenceRouteTable()
            for (prefix, nextHop) in routes { table.add(prefix, nextHop: nextHop) }
            for _ in 0..<3000 {
                let a = probe(routes, using: &rng)
                XCTAssertEqual(table.lookup(a), linearScan(routes, a), "\(a) round \(round)")
            }
        }
    }

    func testIPv6AgainstLinearScan() {
        var rng = SeededGenerator(seed: 6)
        for round in 0..<3 {
            let routes = randomV6Prefixes(round == 0 ? 5 : 300, using: &rng)
            var table = ReferenceRouteTable()
            for (prefix, nextHop) in routes { table.add(prefix, nextHop: nextHop) }
            for _ in 0..<2000 {
                let a = probe(routes, using: &rng)
                XCTAssertEqual(table.lookup(a), linearScan(routes, a), "\(a) round \(round)")
            }
        }
    }

    func testRemoveFallsBackToTheNextLongestMatch() {
        var rng = SeededGenerator(seed: 7)
        var v4 = randomV4Prefixes(300, using: &rng)
        var v6 = randomV6Prefixes(300, using: &rng)
        var table = ReferenceRouteTable()
        for (prefix, nextHop) in v4 { table.add(prefix, nextHop: nextHop) }
        for (prefix, nextHop) in v6 { table.add(prefix, nextHop: nextHop) }
        for prefix in Array(v4.keys).shuffled(using: &rng).prefix(150) { table.remove(prefix); v4[prefix] = nil }
        for prefix in Array(v6.keys).shuffled(using: &rng).prefix(150) { table.remove(prefix); v6[prefix] = nil }
        for _ in 0..<2000 {
            let a = probe(v4, using: &rng)
            XCTAssertEqual(table.lookup(a), linearScan(v4, a), "\(a)")
            let b = probe(v6, using: &rng)
            XCTAssertEqual(table.lookup(b), linearScan(v6, b), "\(b)")
        }
    }

    /// The bulk calls the pipeline uses give the same answers as single lookups.
    func testBulkLookupsMatchSingleLookups() {
        var rng = SeededGenerator(seed: 8)
        let v4 = randomV4Prefixes(200, using: &rng), v6 = randomV6Prefixes(200, using: &rng)
        var table = ReferenceRouteTable()
        for (prefix, nextHop) in v4 { table.add(prefix, nextHop: nextHop) }
        for (prefix, nextHop) in v6 { table.add(prefix, nextHop: nextHop) }

        let v4Addresses = (0..<32).map { _ in probe(v4, using: &rng) }
        var raw4 = v4Addresses.map(\.value)
        var hops = [UInt64](repeating: .max, count: 32)
        raw4.withUnsafeMutableBufferPointer { a in hops.withUnsafeMutableBufferPointer { table.lookupIPv4(a.baseAddress!, $0.baseAddress!, count: 32) } }
        XCTAssertEqual(hops, v4Addresses.map { UInt64(table.lookup($0)) })

        let v6Addresses = (0..<32).map { _ in probe(v6, using: &rng) }
        var raw6 = v6Addresses.flatMap(\.bytes)
        raw6.withUnsafeMutableBufferPointer { a in hops.withUnsafeMutableBufferPointer { table.lookupIPv6(a.baseAddress!, $0.baseAddress!, count: 32) } }
        XCTAssertEqual(hops, v6Addresses.map { UInt64(table.lookup($0)) })
    }

    func testEmptyTableAndDefaultRoutes() {
        var table = ReferenceRouteTable()
        XCTAssertEqual(table.lookup(IPv4Address("198.18.0.1")!), Adjacency.noRouteIndex)
        XCTAssertEqual(table.lookup(IPv6Address("2001:db8::1")!), Adjacency.noRouteIndex)
        table.add(IPv4Prefix("0.0.0.0/0")!, nextHop: 7)
        table.add(IPv6Prefix("::/0")!, nextHop: 8)
        table.add(IPv4Prefix("198.18.0.0/15")!, nextHop: 9)
        XCTAssertEqual(table.lookup(IPv4Address(0)), 7)
        XCTAssertEqual(table.lookup(IPv4Address(.max)), 7)
        XCTAssertEqual(table.lookup(IPv4Address("198.19.255.255")!), 9)
        XCTAssertEqual(table.lookup(IPv6Address(high: .max, low: .max)), 8)
        table.add(IPv4Prefix("198.18.0.0/15")!, nextHop: 10)
        XCTAssertEqual(table.lookup(IPv4Address("198.18.0.1")!), 10, "adding the same prefix replaces its next hop")
    }
}
