import Packet
import XCTest
@testable import Forwarding

/// ECMP: multipath routes point at a group of member adjacencies shared by every route with the
/// same next hops; the fast path picks a member per flow; neighbor changes rewrite the members;
/// groups are made, shared and freed with the table's undo.
final class MultipathTests: XCTestCase {
    let gw0 = IPAddress("198.18.0.2")!      // neighbor on port 0 (Fixture)
    let gw1 = IPAddress("198.18.1.2")!      // neighbor on port 1
    let unknown1 = IPAddress("198.18.1.50")! // in port 1's subnet, no neighbor
    let prefixA = IPPrefix("198.18.40.0/24")!
    let prefixB = IPPrefix("198.18.41.0/24")!

    func hops(_ pairs: [(IPAddress, UInt16)]) -> [WeightedTarget] {
        pairs.map { WeightedTarget(.via($0.0), weight: $0.1) }
    }

    func fibEntry(_ t: ForwardingTable, _ prefix: IPPrefix) -> UInt32? {
        guard case .v4(let p) = prefix else { return nil }
        return t.ipv4Routes[p]
    }

    /// The member adjacency in each bucket of the group at `index`.
    func buckets(_ t: ForwardingTable, _ index: UInt32) -> [Adjacency] {
        let head = t.adjacencies[Int(index)]
        XCTAssertEqual(head.action, .multipath)
        let first = Int(head.buckets)
        return Array(t.adjacencies[first..<(first + Adjacency.multipathBuckets)])
    }

    // MARK: bucket shares

    func testBucketSharesFollowTheWeightsAndAreInterleaved() {
        func counts(_ weights: [UInt16]) -> [Int] {
            let order = ForwardingTable.bucketOrder(weights: weights, buckets: 64)
            XCTAssertEqual(order.count, 64)
            return weights.indices.map { i in order.filter { $0 == i }.count }
        }
        XCTAssertEqual(counts([1, 1]), [32, 32])
        XCTAssertEqual(counts([1, 3]), [16, 48])
        XCTAssertEqual(counts([1, 1, 1]).sorted(), [21, 21, 22])
        XCTAssertEqual(counts([1, 256]), [1, 63], "a light member keeps one bucket")
        XCTAssertEqual(counts([UInt16](repeating: 1, count: 64)), [Int](repeating: 1, count: 64))
        // Interleaved: equal weights alternate rather than fill halves.
        XCTAssertEqual(Array(ForwardingTable.bucketOrder(weights: [1, 1], buckets: 64).prefix(4)), [0, 1, 0, 1])
    }

    // MARK: the table

    func testAMultipathRoutePointsAtAGroupOfItsMembers() throws {
        var t = Fixture.table()
        try t.addMultipathRoute(prefixA, hops([(gw0, 1), (gw1, 3)]))
        let index = try XCTUnwrap(fibEntry(t, prefixA))
        XCTAssertEqual(t.multipathRoutes[prefixA], index)
        XCTAssertNil(t.staticRoutes[prefixA])
        XCTAssertEqual(t.kind(of: prefixA), .staticRoute)
        let members = buckets(t, index)
        let n0 = t.adjacencies[Int(t.neighbors[gw0]!.adjacency)]
        let n1 = t.adjacencies[Int(t.neighbors[gw1]!.adjacency)]
        XCTAssertEqual(members.filter { $0 == n0 }.count, 16)
        XCTAssertEqual(members.filter { $0 == n1 }.count, 48)
        XCTAssertEqual(t.adjacencies[Int(index)].mtu, UInt16(Fixture.mtu))
    }

    func testRoutesWithTheSameNextHopsShareOneGroupFreedWithTheLastRoute() throws {
        var t = Fixture.table()
        try t.addMultipathRoute(prefixA, hops([(gw0, 1), (gw1, 1)]))
        _ = t.takeChanges()
        let count = t.adjacencies.count
        try t.addMultipathRoute(prefixB, hops([(gw0, 1), (gw1, 1)]))
        let index = try XCTUnwrap(fibEntry(t, prefixA))
        XCTAssertEqual(fibEntry(t, prefixB), index, "shared")
        XCTAssertEqual(t.group(at: index)?.routes, 2)
        XCTAssertEqual(t.adjacencies.count, count, "no new run for a shared group")
        XCTAssertFalse(t.adjacenciesChanged)

        try t.deleteRoute(prefixA)
        XCTAssertEqual(t.group(at: index)?.routes, 1)
        XCTAssertEqual(t.adjacencies[Int(index)].action, .multipath)
        try t.deleteRoute(prefixB)
        XCTAssertNil(t.group(at: index))
        XCTAssertNil(fibEntry(t, prefixB))
        XCTAssertTrue(t.multipathRoutes.isEmpty)
        XCTAssertTrue((Int(index)...(Int(index) + 64)).allSatisfy { t.adjacencies[$0].action == .noRoute }, "the run is cleared")
        XCTAssertThrowsError(try t.deleteRoute(prefixB))

        // The freed run is reused by the next group.
        try t.addMultipathRoute(prefixA, hops([(gw0, 2), (gw1, 1)]))
        XCTAssertEqual(fibEntry(t, prefixA), index)
        XCTAssertEqual(t.adjacencies.count, count)
    }

    func testReplacingSwitchesBetweenSingleAndMultipathAndOtherGroups() throws {
        var t = Fixture.table()
        try t.addRoute(prefixA, .via(gw1))
        try t.addMultipathRoute(prefixA, hops([(gw0, 1), (gw1, 1)]))
        XCTAssertNil(t.staticRoutes[prefixA])
        let first = try XCTUnwrap(t.multipathRoutes[prefixA])
        // Other next hops: another group; the first is freed.
        try t.addMultipathRoute(prefixA, hops([(gw0, 1), (unknown1, 1)]))
        let second = try XCTUnwrap(t.multipathRoutes[prefixA])
        XCTAssertNotEqual(first, second)
        XCTAssertNil(t.group(at: first))
        // The same next hops again: the same group, still one route.
        try t.addMultipathRoute(prefixA, hops([(gw0, 1), (unknown1, 1)]))
        XCTAssertEqual(t.multipathRoutes[prefixA], second)
        XCTAssertEqual(t.group(at: second)?.routes, 1)
        // Back to one next hop.
        try t.addRoute(prefixA, .via(gw0))
        XCTAssertNil(t.group(at: second))
        XCTAssertTrue(t.multipathRoutes.isEmpty)
        XCTAssertEqual(fibEntry(t, prefixA), t.neighbors[gw0]!.adjacency)
        // A "multipath" route whose next hops are one repeated is an ordinary route.
        try t.addMultipathRoute(prefixB, hops([(gw1, 1), (gw1, 1)]))
        XCTAssertEqual(t.staticRoutes[prefixB], .via(gw1))
        XCTAssertTrue(t.multipathRoutes.isEmpty)
    }

    func testARefusedMultipathRouteChangesNothing() throws {
        var t = Fixture.table()
        let before = t.adjacencies
        XCTAssertThrowsError(try t.addMultipathRoute(prefixA, hops([(gw0, 1), (IPAddress("203.0.113.1")!, 1)]))) {
            XCTAssertTrue("\($0)".contains("not in any port's subnet"), "\($0)")
        }
        XCTAssertThrowsError(try t.addMultipathRoute(prefixA, [WeightedTarget(.via(gw0)), WeightedTarget(.via(IPAddress("2001:db8:1::2")!))]))
        let many = (0..<65).map { WeightedTarget(.via(IPAddress("198.18.1.\(100 + $0)")!)) }
        XCTAssertThrowsError(try t.addMultipathRoute(prefixA, many))
        XCTAssertEqual(t.adjacencies, before)
        XCTAssertTrue(t.multipathRoutes.isEmpty)
        XCTAssertNil(fibEntry(t, prefixA))
    }

    func testNeighborChangesRewriteTheMembersAndNotTheFIB() throws {
        var t = Fixture.table()
        try t.addMultipathRoute(prefixA, hops([(gw1, 1), (unknown1, 1)]))
        let index = try XCTUnwrap(fibEntry(t, prefixA))
        _ = t.takeChanges()
        let noNeighbor1 = t.adjacencies[Int(ForwardingTable.noNeighborIndex(port: 1))]
        XCTAssertEqual(buckets(t, index).filter { $0 == noNeighbor1 }.count, 32, "the unresolved member")
        XCTAssertEqual(t.unresolvedNextHops(for: IPAddress("198.18.40.9")!).map(\.address), [unknown1])

        // The neighbor appears: its buckets forward.
        let mac = MACAddress("02:00:00:00:01:50")!
        try t.addNeighbor(unknown1, mac: mac, port: 1, source: "kernel")
        XCTAssertTrue(t.adjacenciesChanged)
        XCTAssertEqual(t.takeChanges().map(\.prefix), [IPPrefix("198.18.1.50/32")!], "only the neighbor's host route")
        let resolved = t.adjacencies[Int(t.neighbors[unknown1]!.adjacency)]
        XCTAssertEqual(buckets(t, index).filter { $0 == resolved }.count, 32)
        XCTAssertTrue(t.unresolvedNextHops(for: IPAddress("198.18.40.9")!).isEmpty)

        // Its MAC changes: the copies follow.
        let newMAC = MACAddress("02:00:00:00:01:51")!
        try t.addNeighbor(unknown1, mac: newMAC, port: 1, source: "kernel")
        let moved = t.adjacencies[Int(t.neighbors[unknown1]!.adjacency)]
        XCTAssertEqual(moved.rewrite, Ethernet.AddressRewrite(destination: newMAC, source: Fixture.port1MAC))
        XCTAssertEqual(buckets(t, index).filter { $0 == moved }.count, 32)

        // It goes: back to "no neighbor", the other member untouched.
        try t.deleteNeighbor(unknown1)
        XCTAssertEqual(buckets(t, index).filter { $0 == noNeighbor1 }.count, 32)
        XCTAssertEqual(buckets(t, index).filter { $0 == t.adjacencies[Int(t.neighbors[gw1]!.adjacency)] }.count, 32)
        XCTAssertEqual(fibEntry(t, prefixA), index)
    }

    func testARefusedBatchChangeUndoesTheGroupInTheTableAndTheCopy() throws {
        var t = Fixture.table()
        var fib = FakeFIB(t)
        // One multipath route in place, sharing its group with the refused one below.
        var result = t.applyBatch([TableChange.addMultipathRoute(prefixA, hops([(gw0, 1), (gw1, 1)]))], writingTo: &fib)
        XCTAssertTrue(result.refused.isEmpty)
        XCTAssertTrue(result.adjacenciesChanged)
        let adjacencies = t.adjacencies
        let index = try XCTUnwrap(t.multipathRoutes[prefixA])
        fib.poisoned = [prefixB, IPPrefix("198.18.42.0/24")!]
        result = t.applyBatch([
            .addMultipathRoute(prefixB, hops([(gw0, 1), (gw1, 1)])),              // shares, refused by the copy
            .addMultipathRoute(IPPrefix("198.18.42.0/24")!, hops([(gw0, 1), (unknown1, 1)])),  // new group, refused
            .addRoute(IPPrefix("198.18.43.0/24")!, .via(gw1)),                      // taken
        ], writingTo: &fib)
        XCTAssertEqual(result.refused.map(\.index), [0, 1])
        XCTAssertEqual(t.group(at: index)?.routes, 1, "the shared group's count is back")
        XCTAssertEqual(t.multipathRoutes, [prefixA: index])
        XCTAssertEqual(t.adjacencies.count, adjacencies.count, "the new group's run was given back")
        XCTAssertEqual(Array(t.adjacencies[Int(index)...(Int(index) + 64)]), Array(adjacencies[Int(index)...(Int(index) + 64)]))
        XCTAssertEqual(fib.entries[prefixA], index)
        XCTAssertNil(fib.entries[prefixB])
        XCTAssertEqual(t.referenceTable.lookup(IPv4Address("198.18.41.1")!), Adjacency.noRouteIndex)
        XCTAssertEqual(fib.entries[IPPrefix("198.18.43.0/24")!], t.neighbors[gw1]!.adjacency)
        // A later group takes the next free place as if the refused ones had never been.
        try t.addMultipathRoute(prefixB, hops([(gw0, 1), (unknown1, 1)]))
        XCTAssertEqual(t.multipathRoutes[prefixB], UInt32(adjacencies.count))
    }

    // MARK: the fast path

    func flowFrame(_ sourcePort: UInt16, destination: String = "198.18.40.9", ttl: UInt8 = 64) -> [UInt8] {
        var frame = ipv4 { $0.destination = destination; $0.ttl = ttl }
        frame[34] = UInt8(sourcePort >> 8)
        frame[35] = UInt8(sourcePort & 0xFF)
        frame[36] = 0x30; frame[37] = 0x39
        return frame
    }

    func testFlowsSpreadByWeightAndEachFlowKeepsItsMember() throws {
        var t = Fixture.table()
        // Port 0's neighbor weight 1, port 1's weight 3: a quarter of the flows leave by port 0.
        try t.addMultipathRoute(prefixA, hops([(gw0, 1), (gw1, 3)]))
        let harness = PipelineHarness(table: t)
        var port0 = 0
        var ports: [UInt16: UInt16] = [:]
        let flows = 4096
        for batch in stride(from: 0, to: flows, by: 32) {
            let frames = (batch..<(batch + 32)).map { flowFrame(UInt16(1024 + $0)) }
            for (k, outcome) in harness.run(frames).enumerated() {
                guard case .transmit(let port) = outcome.verdict else { return XCTFail("flow \(batch + k): \(outcome.verdict)") }
                ports[UInt16(1024 + batch + k)] = port
                if port == 0 { port0 += 1 }
                // Rewritten for the member it took.
                let expected = port == 0 ? Fixture.neighbor0MAC : Fixture.neighbor1MAC
                XCTAssertEqual(Array(outcome.frame[0..<6]), expected.bytes)
                XCTAssertEqual(outcome.frame[22], 63, "TTL decremented")
            }
        }
        let share = Double(port0) / Double(flows)
        XCTAssertEqual(share, 0.25, accuracy: 0.04, "\(port0) of \(flows) flows by port 0")
        // The same flows again, in another order and mixed: each takes the member it took.
        for batch in stride(from: 0, to: flows, by: 32) {
            let sources = (batch..<(batch + 32)).map { UInt16(1024 + (flows - 1 - $0)) }
            for (k, outcome) in harness.run(sources.map { flowFrame($0) }).enumerated() {
                XCTAssertEqual(outcome.verdict, .transmit(ports[sources[k]]!), "flow \(sources[k])")
            }
        }
    }

    func testAnUnresolvedMemberDropsItsFlowsAsNoNeighborAndExpiryStillCounts() throws {
        var t = Fixture.table()
        try t.addMultipathRoute(prefixA, hops([(gw1, 1), (unknown1, 1)]))
        let harness = PipelineHarness(table: t)
        var verdicts: Set<String> = []
        for batch in 0..<8 {
            for outcome in harness.run((0..<32).map { flowFrame(UInt16(2000 + batch * 32 + $0)) }) {
                verdicts.insert(outcome.verdict.description)
            }
        }
        XCTAssertEqual(verdicts, Set([Verdict.transmit(1), .drop(.noNeighbor)].map(\.description)))
        XCTAssertEqual(harness.verdict(flowFrame(7, ttl: 1)), .drop(.ipv4TTLExpired))
        // IPv6, through a group of the two port-1 IPv6 gateways.
        try t.addMultipathRoute(IPPrefix("2001:db8:40::/48")!, [WeightedTarget(.via(IPAddress("2001:db8:1::2")!)),
                                                                 WeightedTarget(.via(IPAddress("2001:db8:1::50")!))])
        let h6 = PipelineHarness(table: t)
        var v6: Set<String> = []
        for port in 0..<64 {
            var frame = ipv6 { $0.destination = "2001:db8:40::9" }
            frame[54] = UInt8(port)
            v6.insert(h6.verdict(frame).description)
        }
        XCTAssertEqual(v6, Set([Verdict.transmit(1), .drop(.noNeighbor)].map(\.description)))
        XCTAssertEqual(h6.verdict(ipv6 { $0.destination = "2001:db8:40::9"; $0.hopLimit = 1 }), .drop(.ipv6HopLimitExpired))
    }

    /// The adjacency table is shared memory: a group whose buckets lie outside it, or buckets on
    /// an adjacency that is not a group, are read as "no route".
    func testMalformedGroupsAreNoRoute() {
        let forward = Adjacency(action: .forward, port: 1, mtu: 1500)
        for bad in [Adjacency(action: .multipath, buckets: 5), Adjacency(action: .local, buckets: 2)] {
            var table = [Adjacency(action: .noRoute), bad, forward, forward]
            let frame = flowFrame(1)
            let verdict = frame.withUnsafeBytes { raw -> IPForward.Verdict in
                let copy = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 8)
                defer { copy.deallocate() }
                copy.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
                return table.withUnsafeMutableBufferPointer { t in
                    IPForward.ipv4(frame: copy, ipLength: raw.count - 14, adjacency: t[1],
                                   adjacencies: UnsafePointer(t.baseAddress!), adjacencyCount: t.count)
                }
            }
            XCTAssertEqual(verdict, .drop(.noRoute), "\(bad)")
        }
    }
}

/// Multipath routes from the config (`via: [a, b]`) are built with the table.
final class MultipathConfigTableTests: XCTestCase {
    func testTheTableBuildsConfiguredMultipathRoutes() throws {
        let prefix = IPPrefix("198.18.40.0/24")!
        let hops = [WeightedTarget(.via(IPAddress("198.18.0.2")!)), WeightedTarget(.via(IPAddress("198.18.1.2")!))]
        let t = ForwardingTable(ports: Fixture.ports, routes: Fixture.routes + [RouteSpec(prefix: prefix, target: hops[0].target, hops: hops)],
                                neighbors: Fixture.neighbors)
        let index = try XCTUnwrap(t.multipathRoutes[prefix])
        XCTAssertEqual(t.group(at: index)?.hops, hops)
        XCTAssertEqual(t.longestMatch(IPAddress("198.18.40.1")!)?.nextHop, index)
        XCTAssertFalse(t.adjacenciesChanged)
    }
}

/// Random batches of multipath routes, single routes and neighbor changes, some refused by the
/// copy: after each batch the groups' books balance and every bucket holds its member's
/// adjacency as it is now.
final class MultipathChurnTests: XCTestCase {
    func checkInvariants(_ t: ForwardingTable, _ fib: FakeFIB, file: StaticString = #filePath, line: UInt = #line) {
        var counts: [UInt32: Int] = [:]
        for (_, g) in t.multipathRoutes { counts[g, default: 0] += 1 }
        XCTAssertEqual(counts, t.groups.mapValues(\.routes), "route counts", file: file, line: line)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: t.groups.map { ($0.value.hops, $0.key) }), t.groupOfHops, file: file, line: line)
        var viaGateway: [IPAddress: Set<UInt32>] = [:]
        for (index, group) in t.groups {
            for hop in group.hops { if case .via(let g) = hop.target { viaGateway[g, default: []].insert(index) } }
            let head = t.adjacencies[Int(index)]
            XCTAssertEqual(head.action, .multipath, file: file, line: line)
            let members = group.hops.map { t.adjacencies[Int(t.memberIndex($0.target))] }
            let order = ForwardingTable.bucketOrder(weights: group.hops.map(\.weight), buckets: 64)
            for (slot, member) in order.enumerated() {
                XCTAssertEqual(t.adjacencies[Int(head.buckets) + slot], members[member], "group \(index) bucket \(slot)", file: file, line: line)
            }
        }
        XCTAssertEqual(viaGateway, t.groupsViaGateway, file: file, line: line)
        for run in t.freeGroupRuns {
            XCTAssertNil(t.groups[run], file: file, line: line)
            XCTAssertTrue((Int(run)...(Int(run) + 64)).allSatisfy { t.adjacencies[$0].action == .noRoute }, file: file, line: line)
        }
        var routes: [IPPrefix: UInt32] = [:]
        for (p, nh) in t.ipv4Routes { routes[.v4(p)] = nh }
        for (p, nh) in t.ipv6Routes { routes[.v6(p)] = nh }
        XCTAssertEqual(fib.entries, routes, "the copy matches the table", file: file, line: line)
    }

    func testRandomBatchesKeepTheGroupsConsistent() {
        var rng = SeededGenerator(seed: 42)
        var t = Fixture.table()
        var fib = FakeFIB(t)
        let gateways = (2...7).map { IPAddress("198.18.1.\($0 * 10)")! } + [IPAddress("198.18.0.9")!]
        let prefixes = (0..<12).map { IPPrefix("198.18.\(50 + $0).0/24")! }
        for round in 0..<300 {
            fib.poisoned = Set(prefixes.filter { _ in Int.random(in: 0..<8, using: &rng) == 0 })
            var batch: [TableChange] = []
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let prefix = prefixes.randomElement(using: &rng)!
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4:
                    let hops = gateways.shuffled(using: &rng).prefix(Int.random(in: 2...3, using: &rng))
                        .map { WeightedTarget(.via($0), weight: UInt16.random(in: 1...3, using: &rng)) }
                    batch.append(.addMultipathRoute(prefix, Array(hops)))
                case 4: batch.append(.addMultipathRoute(prefix, [WeightedTarget(.via(gateways[0])), WeightedTarget(.port(1))]))
                case 5: batch.append(.addRoute(prefix, .via(gateways.randomElement(using: &rng)!)))
                case 6, 7: batch.append(.deleteRoute(prefix))
                case 8:
                    let g = gateways.randomElement(using: &rng)!
                    let port = g.description.hasPrefix("198.18.1.") ? 1 : 0
                    let mac = MACAddress(String(format: "02:00:00:00:%02x:%02x", Int.random(in: 0...255, using: &rng), Int.random(in: 0...255, using: &rng)))!
                    batch.append(.addNeighbor(g, mac, port: port, source: "kernel"))
                default: batch.append(.deleteNeighbor(gateways.randomElement(using: &rng)!))
                }
            }
            _ = t.applyBatch(batch, writingTo: &fib)
            checkInvariants(t, fib)
            if testRun?.failureCount ?? 0 > 0 { return XCTFail("round \(round): \(batch)") }
        }
        XCTAssertFalse(t.groups.isEmpty || t.multipathRoutes.isEmpty, "the churn left some groups to check")
    }
}
