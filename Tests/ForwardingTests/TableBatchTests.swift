import Packet
import XCTest
@testable import Forwarding

/// A table copy in memory, as the data plane's rte_fib copies behave for the batch logic: it
/// refuses a write when it would hold more than `capacity` prefixes, or when the prefix is in
/// `poisoned` (a tbl8 pool that is full for that one prefix). With `drifting`, room is counted
/// the way rte_fib6 counts tbl8 groups: a prefix with no shorter prefix over it reserves two,
/// one under another prefix reserves one, and a deletion releases according to what covers the
/// prefix when it is deleted, so the room in use depends on the order of the writes and not
/// only on the prefixes held.
extension IPPrefix {
    func covers(_ other: IPPrefix) -> Bool {
        switch (self, other) {
        case (.v4(let a), .v4(let b)): return a.length <= b.length && a.contains(b.address)
        case (.v6(let a), .v6(let b)): return a.length <= b.length && a.contains(b.address)
        default: return false
        }
    }
}

struct FakeFIB: FIBWriter {
    struct Full: Error, CustomStringConvertible {
        let prefix: IPPrefix
        var description: String { "no room for \(prefix)" }
    }

    var entries: [IPPrefix: UInt32] = [:]
    var capacity = Int.max
    var poisoned: Set<IPPrefix> = []
    var drifting = false
    /// Room in use: the prefix count, or the reservations when `drifting`.
    var used = 0
    var writes = 0

    init(_ table: ForwardingTable, capacity: Int = .max, drifting: Bool = false) {
        self.capacity = capacity
        self.drifting = drifting
        var all: [(IPPrefix, UInt32)] = table.ipv4Routes.map { (.v4($0.key), $0.value) } + table.ipv6Routes.map { (.v6($0.key), $0.value) }
        all.sort { $0.0.description < $1.0.description }
        for (p, nh) in all { try! write(p, nextHop: nh) }
        writes = 0
    }

    func covered(_ prefix: IPPrefix) -> Bool {
        entries.keys.contains { $0.length < prefix.length && $0.covers(prefix) }
    }

    mutating func write(_ prefix: IPPrefix, nextHop: UInt32?) throws {
        if let nextHop {
            if entries[prefix] == nil {
                let cost = drifting ? (covered(prefix) ? 1 : 2) : 1
                if poisoned.contains(prefix) || used + cost > capacity { throw Full(prefix: prefix) }
                used += cost
            } else if poisoned.contains(prefix) {
                throw Full(prefix: prefix)
            }
            entries[prefix] = nextHop
        } else if entries[prefix] != nil {
            used -= drifting ? (covered(prefix) ? 1 : 2) : 1
            entries[prefix] = nil
        }
        writes += 1
    }
}

/// The batch logic the data plane runs for every console batch and `route load` chunk:
/// changes applied in order, refusals undone in the table and the standby copy, and net FIB
/// changes that bring the other copy to the same state.
final class TableBatchTests: XCTestCase {
    private func p(_ text: String) -> IPPrefix { IPPrefix(text)! }
    private func a(_ text: String) -> IPAddress { IPAddress(text)! }

    private func fib(_ t: ForwardingTable) -> [IPPrefix: UInt32] { FakeFIB(t).entries }

    /// Gives the other copy the batch's writes, as the data plane does after the grace period.
    private func replay(_ result: TableBatchResult, on copy: inout FakeFIB, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(ForwardingTable.replay(result.writes, into: &copy), "a write had another outcome on the other copy", file: file, line: line)
    }

    /// Everything the table holds, for comparing two tables.
    private func assertSame(_ x: ForwardingTable, _ y: ForwardingTable, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(x.ipv4Routes, y.ipv4Routes, "ipv4Routes \(message)", file: file, line: line)
        XCTAssertEqual(x.ipv6Routes, y.ipv6Routes, "ipv6Routes \(message)", file: file, line: line)
        XCTAssertEqual(x.staticRoutes, y.staticRoutes, "staticRoutes \(message)", file: file, line: line)
        XCTAssertEqual(x.neighbors, y.neighbors, "neighbors \(message)", file: file, line: line)
        XCTAssertEqual(x.adjacencies, y.adjacencies, "adjacencies \(message)", file: file, line: line)
        XCTAssertEqual(x.candidates, y.candidates, "candidates \(message)", file: file, line: line)
        XCTAssertEqual(x.freeAdjacencies, y.freeAdjacencies, "freeAdjacencies \(message)", file: file, line: line)
        XCTAssertEqual(x.routesViaGateway.filter { !$0.value.isEmpty }, y.routesViaGateway.filter { !$0.value.isEmpty },
                       "routesViaGateway \(message)", file: file, line: line)
    }

    func testChangesApplyInOrderAndTheNetChangesPutDeletesFirst() throws {
        var t = Fixture.table()
        let before = fib(t)
        var standby = FakeFIB(t)
        let viaA = a("198.18.1.2"), viaB = a("198.18.0.2")
        let result = t.applyBatch([
            .addRoute(p("198.20.1.0/24"), .via(viaA)),
            .addRoute(p("198.20.1.0/24"), .via(viaB)),          // replaced within the batch
            .addRoute(p("198.20.2.0/24"), .via(viaA)),
            .deleteRoute(p("198.20.2.0/24")),                   // added and deleted: no net change
            .deleteRoute(p("198.19.0.0/16")),                   // from the config
            .addRoute(p("2001:db8:9::/48"), .port(1)),
        ], writingTo: &standby)
        XCTAssertEqual(result.count, 6)
        XCTAssertEqual(result.refused, [])
        XCTAssertEqual(standby.entries, fib(t), "the standby copy holds the table")
        XCTAssertEqual(standby.writes, 6, "every change was written through at once")
        XCTAssertFalse(result.adjacenciesChanged)
        let b = t.neighbors[viaB]!.adjacency
        let a1 = t.neighbors[viaA]!.adjacency
        XCTAssertEqual(result.writes, [
            FIBWrite(prefix: p("198.20.1.0/24"), nextHop: a1, previous: nil, succeeded: true),
            FIBWrite(prefix: p("198.20.1.0/24"), nextHop: b, previous: a1, succeeded: true),
            FIBWrite(prefix: p("198.20.2.0/24"), nextHop: a1, previous: nil, succeeded: true),
            FIBWrite(prefix: p("198.20.2.0/24"), nextHop: nil, previous: a1, succeeded: true),
            FIBWrite(prefix: p("198.19.0.0/16"), nextHop: nil, previous: before[p("198.19.0.0/16")], succeeded: true),
            FIBWrite(prefix: p("2001:db8:9::/48"), nextHop: ForwardingTable.noNeighborIndex(port: 1), previous: nil, succeeded: true),
        ], "the writes, in order")
        var other = FakeFIB(Fixture.table())
        replay(result, on: &other)
        XCTAssertEqual(other.entries, fib(t))
    }

    func testARefusedChangeDoesNotStopTheOthersAndChangesNothing() throws {
        var t = Fixture.table()
        var standby = FakeFIB(t)
        let result = t.applyBatch([
            .addRoute(p("198.20.1.0/24"), .port(0)),
            .deleteRoute(p("198.20.7.0/24")),                               // no such route
            .addRoute(p("198.20.3.0/24"), .via(a("198.21.0.1"))),           // gateway off every subnet
            .addNeighbor(a("198.18.0.1"), MACAddress("02:00:00:00:00:09")!, port: 0, source: "console"),  // the router's own
            .addRoute(p("198.20.2.0/24"), .port(1)),
        ], writingTo: &standby)
        XCTAssertEqual(result.refused.map(\.index), [1, 2, 3])
        XCTAssertTrue(result.refused[0].message.contains("no static route for 198.20.7.0/24"), result.refused[0].message)
        XCTAssertTrue(result.refused[1].message.contains("not in any port's subnet"), result.refused[1].message)
        XCTAssertEqual(result.applied, 2)
        var expected = Fixture.table()
        try expected.addRoute(p("198.20.1.0/24"), .port(0))
        try expected.addRoute(p("198.20.2.0/24"), .port(1))
        _ = expected.takeChanges()
        assertSame(t, expected)
        XCTAssertEqual(standby.entries, fib(t))
    }

    func testAChangeTheCopyRefusesIsUndoneInTheTableAndTheCopy() throws {
        var t = Fixture.table()
        let untouched = Fixture.table()
        let room = FakeFIB(t).used + 2
        var standby = FakeFIB(t, capacity: room)
        let result = t.applyBatch([
            .addRoute(p("198.20.1.0/24"), .port(0)),
            .addRoute(p("198.20.2.0/24"), .port(0)),
            .addRoute(p("198.20.3.0/24"), .port(0)),    // one too many
            .addRoute(p("198.20.1.0/24"), .port(1)),    // a replacement needs no room
            .deleteRoute(p("198.20.2.0/24")),
            .addRoute(p("198.20.4.0/24"), .port(0)),    // fits again
        ], writingTo: &standby)
        XCTAssertEqual(result.refused.map(\.index), [2])
        XCTAssertEqual(result.refused[0].message, "the forwarding table refused 198.20.3.0/24: no room for 198.20.3.0/24")
        XCTAssertEqual(result.writes.filter { !$0.succeeded }.map(\.prefix), [p("198.20.3.0/24")], "the refused write is in the log")
        XCTAssertNil(t.staticRoutes[p("198.20.3.0/24")])
        XCTAssertNil(t.kind(of: p("198.20.3.0/24")))
        XCTAssertEqual(standby.entries, fib(t))
        var other = FakeFIB(untouched, capacity: room)
        replay(result, on: &other)
        XCTAssertEqual(other.entries, fib(t))
    }

    func testAChangeWithManyWritesIsUndoneWholeWhenOneIsRefused() throws {
        var t = Fixture.table()
        // Three routes via a gateway that has no neighbor entry yet: they point at the port.
        for n in 1...3 { try t.addRoute(p("198.20.\(n).0/24"), .via(a("198.18.1.50"))) }
        _ = t.takeChanges()
        let before = t
        var standby = FakeFIB(t)
        // The neighbor's arrival re-points all three and adds its host route; the third fails.
        standby.poisoned = [p("198.20.3.0/24")]
        let mac = MACAddress("02:00:00:00:01:50")!
        let result = t.applyBatch([.addNeighbor(a("198.18.1.50"), mac, port: 1, source: "console")], writingTo: &standby)
        XCTAssertEqual(result.refused.map(\.index), [0])
        XCTAssertFalse(result.adjacenciesChanged)
        XCTAssertEqual(result.writes.map(\.succeeded).filter { !$0 }.count, 1)
        XCTAssertEqual(result.writes.count, 2 * result.writes.firstIndex { !$0.succeeded }! + 1,
                       "each write that went through is undone by one more")
        assertSame(t, before, "after the undo")
        XCTAssertEqual(standby.entries, fib(before), "the writes that went through were undone")
        var other = FakeFIB(before)
        other.poisoned = standby.poisoned
        replay(result, on: &other)
        XCTAssertEqual(other.entries, fib(before))
        // Without the poison the same change goes through, and takes an adjacency of its own.
        standby.poisoned = []
        let retry = t.applyBatch([.addNeighbor(a("198.18.1.50"), mac, port: 1, source: "console")], writingTo: &standby)
        XCTAssertEqual(retry.refused, [])
        XCTAssertTrue(retry.adjacenciesChanged)
        XCTAssertEqual(retry.writes.count, 4)
        XCTAssertEqual(standby.entries, fib(t))
    }

    func testNeighborLeavingAndAnotherArrivingInOneBatchReuseTheAdjacency() throws {
        var t = Fixture.table()
        var standby = FakeFIB(t)
        let old = t.neighbors[a("198.18.1.2")]!.adjacency
        let result = t.applyBatch([
            .deleteNeighbor(a("198.18.1.2")),
            .addNeighbor(a("198.18.1.3"), MACAddress("02:00:00:00:01:33")!, port: 1, source: "console"),
            .addRoute(p("198.20.9.0/24"), .via(a("198.18.1.3"))),
        ], writingTo: &standby)
        XCTAssertEqual(result.refused, [])
        XCTAssertTrue(result.adjacenciesChanged)
        XCTAssertEqual(t.neighbors[a("198.18.1.3")]!.adjacency, old, "the freed adjacency is taken again")
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.20.9.0/24")!], old)
        XCTAssertEqual(t.ipv4Routes[IPv4Prefix("198.19.0.0/16")!], ForwardingTable.noNeighborIndex(port: 1),
                       "a route via the neighbor that left points at its port")
        XCTAssertEqual(standby.entries, fib(t))
    }

    /// Random batches of every kind of change, with copies whose room depends on the order of
    /// the writes (as rte_fib6's does): after every batch the standby copy and the replayed
    /// copy both hold exactly the table, every replayed write had the outcome it had on the
    /// standby, and the two copies' bookkeeping is identical.
    func testRandomBatchesKeepBothCopiesEqualToTheTable() throws {
        var rng = SeededGenerator(seed: 7)
        var t = Fixture.table()
        let room = FakeFIB(t, drifting: true).used + 60
        var copies = [FakeFIB(t, capacity: room, drifting: true), FakeFIB(t, capacity: room, drifting: true)]
        var active = 0
        var refusedByRoom = 0
        for round in 0..<200 {
            var batch: [TableChange] = []
            for _ in 0..<Int.random(in: 1...60, using: &rng) {
                let gateway = a("198.18.1.\(Int.random(in: 2...12, using: &rng))")
                let covering = ["198.20.0.0/18", "198.20.32.0/19", "2001:db8:100::/40", "2001:db8:120::/44"]
                let prefix: IPPrefix = Int.random(in: 0..<8, using: &rng) == 0
                    ? p(covering.randomElement(using: &rng)!)
                    : Bool.random(using: &rng)
                    ? p("198.20.\(Int.random(in: 0...63, using: &rng)).0/24")
                    : p("2001:db8:\(Int.random(in: 0x100...0x13f, using: &rng)):\(Int.random(in: 0...3, using: &rng))::/64")
                switch Int.random(in: 0..<10, using: &rng) {
                case 0...4:
                    if case .v4 = prefix { batch.append(.addRoute(prefix, Bool.random(using: &rng) ? .via(gateway) : .port(0))) }
                    else { batch.append(.addRoute(prefix, .via(a("2001:db8:1::\(Int.random(in: 2...4, using: &rng))")))) }
                case 5...7:
                    batch.append(.deleteRoute(prefix))
                case 8:
                    batch.append(.addNeighbor(gateway, MACAddress(0x0200_0000_0000 | UInt64(Int.random(in: 1...999, using: &rng))), port: 1, source: "console"))
                default:
                    batch.append(.deleteNeighbor(gateway))
                }
            }
            let standby = 1 - active
            let result = t.applyBatch(batch, writingTo: &copies[standby])
            refusedByRoom += result.refused.filter { $0.message.contains("no room") }.count
            XCTAssertEqual(copies[standby].entries, fib(t), "standby after round \(round)")
            active = standby
            let old = 1 - active
            replay(result, on: &copies[old])
            XCTAssertEqual(copies[old].entries, fib(t), "replayed copy after round \(round)")
            XCTAssertEqual(copies[old].used, copies[standby].used, "bookkeeping after round \(round)")
        }
        XCTAssertGreaterThan(refusedByRoom, 0, "the test should also exercise a full copy")
    }

    /// Why the other copy gets the same writes rather than the batch's net effect: with room
    /// counted as rte_fib6 counts it, the net effect leaves the other copy with other
    /// bookkeeping, and a later write then fits in one copy and not in the other.
    func testTheNetEffectLeavesTheCopiesAtOddsAndTheSameWritesDoNot() throws {
        let empty = ForwardingTable(ports: [], routes: [], neighbors: [])
        let a = p("198.20.1.0/24"), cover = p("198.20.0.0/18"), x = p("198.21.0.0/24")
        let writes: [(IPPrefix, UInt32?)] = [(a, 5), (cover, 5), (a, nil)]     // the batch's writes
        var standby = FakeFIB(empty, capacity: 4, drifting: true)
        for (prefix, nh) in writes { try standby.write(prefix, nextHop: nh) }
        var byNetEffect = FakeFIB(empty, capacity: 4, drifting: true)
        try byNetEffect.write(cover, nextHop: 5)                                 // a came and went
        var bySameWrites = FakeFIB(empty, capacity: 4, drifting: true)
        for (prefix, nh) in writes { try bySameWrites.write(prefix, nextHop: nh) }
        XCTAssertEqual(standby.entries, byNetEffect.entries)
        XCTAssertNotEqual(standby.used, byNetEffect.used, "same prefixes, other bookkeeping")
        XCTAssertEqual(standby.used, bySameWrites.used)
        XCTAssertThrowsError(try standby.write(x, nextHop: 5))
        XCTAssertNoThrow(try byNetEffect.write(x, nextHop: 5), "the copies now disagree about room")
        XCTAssertThrowsError(try bySameWrites.write(x, nextHop: 5))
    }

    func testRollbackRestoresTheTableExactly() throws {
        var rng = SeededGenerator(seed: 99)
        var t = Fixture.table()
        var kept = Fixture.table()
        for step in 0..<2000 {
            let gateway = a("198.18.1.\(Int.random(in: 2...10, using: &rng))")
            let prefix = p("198.20.\(Int.random(in: 0...15, using: &rng)).0/24")
            let change: TableChange
            switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1: change = .addRoute(prefix, .via(gateway))
            case 2: change = .addRoute(prefix, .port(Int.random(in: 0...1, using: &rng)))
            case 3: change = .deleteRoute(prefix)
            case 4: change = .addNeighbor(gateway, MACAddress(0x0200_0000_1000 | UInt64(step)), port: 1, source: "console")
            default: change = .deleteNeighbor(gateway)
            }
            let undo = Bool.random(using: &rng)
            t.beginChange()
            let applied = (try? t.apply(change)) != nil
            if undo {
                t.rollbackChange()
            } else {
                t.commitChange()
                if applied { try kept.apply(change) }
            }
            _ = t.takeChanges()
            _ = kept.takeChanges()
            assertSame(t, kept, "step \(step)")
        }
    }

    func testClaimsKeepEveryKindAndTheHighestWins() {
        var c = ForwardingTable.Claims()
        XCTAssertTrue(c.isEmpty)
        XCTAssertNil(c.winner)
        c[.staticRoute] = 7
        c[.connected] = 3
        XCTAssertEqual(c.winner, .staticRoute)
        XCTAssertEqual(c.nextHop, 7)
        c[.local] = 1
        XCTAssertEqual(c.nextHop, 1)
        c[.local] = nil
        c[.staticRoute] = nil
        XCTAssertEqual(c.winner, .connected)
        XCTAssertEqual(c[.connected], 3)
        XCTAssertNil(c[.neighbor])
        c[.neighbor] = 0
        XCTAssertEqual(c.nextHop, 0, "next hop 0 is a value, not absence")
    }
}
