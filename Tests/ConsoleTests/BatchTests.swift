@testable import Console
import Foundation
import NIOConcurrencyHelpers
import Packet
import XCTest

/// The fake forwarder with batches: records each batch it is given and makes the changes
/// through the fake's one-change calls, so refusals (`refuseNext`) work the same way.
final class BatchingFake: BatchingConsoleBackend, @unchecked Sendable {
    let fake: FakeBackend
    private let lock = NIOLock()
    private var _batches: [[ConsoleChange]] = []
    var loadReport: RouteLoadReport?

    init(_ fake: FakeBackend) { self.fake = fake }

    var batches: [[ConsoleChange]] { lock.withLock { _batches } }

    func apply(_ changes: [ConsoleChange]) -> [ConsoleError?] {
        lock.withLock { _batches.append(changes) }
        return changes.map { change in
            do {
                try change.apply(to: fake)
                return nil
            } catch {
                return (error as? ConsoleError) ?? ConsoleError("\(error)")
            }
        }
    }

    func loadRoutes(path: String) throws -> RouteLoadReport {
        guard let loadReport else { throw ConsoleError("the file \(path) does not exist") }
        return loadReport
    }

    func version() -> VersionInfo { fake.version() }
    func sample() -> StatsSample { fake.sample() }
    func xstats(port: String) throws -> [(name: String, value: UInt64)] { try fake.xstats(port: port) }
    func routes() -> [RouteInfo] { fake.routes() }
    func lookup(_ address: IPAddress) -> RouteInfo? { fake.lookup(address) }
    func tableUsage() -> TableUsage { fake.tableUsage() }
    func neighbors() -> [NeighborInfo] { fake.neighbors() }
    func memory() -> MemoryInfo { fake.memory() }
    func configText() -> String { fake.configText() }
    func addRoute(_ prefix: IPPrefix, via: IPAddress) throws { try fake.addRoute(prefix, via: via) }
    func addRoute(_ prefix: IPPrefix, port: String) throws { try fake.addRoute(prefix, port: port) }
    func deleteRoute(_ prefix: IPPrefix) throws { try fake.deleteRoute(prefix) }
    func addNeighbor(_ address: IPAddress, mac: MACAddress, port: String) throws { try fake.addNeighbor(address, mac: mac, port: port) }
    func deleteNeighbor(_ address: IPAddress) throws { try fake.deleteNeighbor(address) }
}

/// Table changes sent back to back reach the backend as one batch (one RCU grace period in the
/// forwarder), and the client sees exactly what it would have seen line by line.
final class BatchTests: XCTestCase {
    private func sessions() throws -> (batched: Session, plain: Session, batching: BatchingFake) {
        let fake = FakeBackend()
        let batching = BatchingFake(fake)
        let log = LogCapture()
        let core = ConsoleCore(settings: ConsoleSettings(), backend: batching, logger: log.logger, runner: InlineRunner(),
                               clock: { Date(timeIntervalSince1970: 1_750_090_061) })
        return (try Session(backend: fake, core: core), try Session(), batching)
    }

    private let pipelined = [
        "route add 198.18.16.0/24 via 198.18.1.2",
        "route add 198.18.16.0/24 dev p1",
        "route add 2001:db8:16::/48 via 2001:db8::2 json",
        "route del 198.18.16.0/24",
        "neighbor add 198.18.1.3 02:00:00:00:00:09 dev p1",
        "neighbor del 198.18.1.3",
    ]

    func testLinesInOneReadAreOneBatchAndAnswerAsOneByOne() throws {
        let (batched, plain, batching) = try sessions()
        _ = try batched.read()
        _ = try plain.read()
        let input = pipelined.map { $0 + "\r\n" }.joined()
        try batched.send(input)
        try plain.send(input)
        let answer = try batched.read()
        XCTAssertEqual(answer, try plain.read(), "the same answers and prompts as line by line")
        XCTAssertEqual(answer.components(separatedBy: "swiftfwd> ").count - 1, pipelined.count)
        XCTAssertTrue(answer.hasPrefix("route 198.18.16.0/24 via 198.18.1.2 added\nswiftfwd> route 198.18.16.0/24 dev p1 added\n"), answer)
        XCTAssertEqual(batching.batches.count, 1)
        XCTAssertEqual(batching.batches.first?.count, pipelined.count)
        XCTAssertEqual(batched.backend.changes, plain.backend.changes)
    }

    func testOtherCommandsSplitTheBatchesAndKeepTheirPlace() throws {
        let (batched, plain, batching) = try sessions()
        _ = try batched.read()
        _ = try plain.read()
        let lines = pipelined.prefix(2) + ["show route 198.18.16.1", "", "route add x via y"] + pipelined.suffix(3)
        let input = lines.map { $0 + "\r\n" }.joined()
        try batched.send(input)
        try plain.send(input)
        XCTAssertEqual(try batched.read(), try plain.read())
        XCTAssertEqual(batching.batches.map(\.count), [2, 3])
    }

    func testARefusedChangeAnswersInItsPlaceAndTheOthersGoOn() throws {
        let (batched, _, batching) = try sessions()
        _ = try batched.read()
        batched.backend.refuseNext = ConsoleError("no route 198.18.99.0/24 to delete")
        try batched.send("route del 198.18.99.0/24\r\nroute add 198.18.17.0/24 dev p0 json\r\nroute del 198.18.17.0/24\r\n")
        let answer = try batched.read()
        let parts = answer.components(separatedBy: "swiftfwd> ")
        XCTAssertEqual(parts.count, 4, answer)
        XCTAssertEqual(parts[0], "error: no route 198.18.99.0/24 to delete\n")
        let json = try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any]
        XCTAssertEqual(json?["ok"] as? Bool, true)
        XCTAssertEqual(parts[2], "route 198.18.17.0/24 deleted\n")
        XCTAssertEqual(batching.batches.map(\.count), [3])
        XCTAssertEqual(batched.backend.changes, ["add 198.18.17.0/24 dev p0", "del 198.18.17.0/24"])
    }

    /// More lines than the queue holds, in one read: none is lost, they wait in the parser and
    /// go in batches of at most a queue's worth.
    func testAFloodOfChangesIsAppliedWholeInBatches() throws {
        let (batched, _, batching) = try sessions()
        _ = try batched.read()
        let count = 10_000
        try batched.send((0..<count).map { "route add 198.18.\($0 % 250).0/24 dev p\($0 % 2)\r\n" }.joined())
        let answer = try batched.read()
        XCTAssertEqual(answer.components(separatedBy: "swiftfwd> ").count - 1, count)
        XCTAssertFalse(answer.contains("error"), String(answer.prefix(300)))
        XCTAssertEqual(batching.batches.map(\.count).reduce(0, +), count)
        XCTAssertLessThanOrEqual(batching.batches.map(\.count).max() ?? 0, 4096)
        XCTAssertEqual(batched.backend.changes.count, count)
    }

    func testAOneLineChangeIsNoBatch() throws {
        let (batched, _, batching) = try sessions()
        XCTAssertEqual(try batched.run("route add 198.18.16.0/24 via 198.18.1.2"), "route 198.18.16.0/24 via 198.18.1.2 added\n")
        XCTAssertEqual(batching.batches.count, 0)
        XCTAssertEqual(batched.backend.changes, ["add 198.18.16.0/24 via 198.18.1.2"])
    }

    func testRouteLoadAnswersWithTheReport() throws {
        let (batched, plain, batching) = try sessions()
        XCTAssertEqual(try batched.run("route load /nowhere"), "error: the file /nowhere does not exist\n")
        batching.loadReport = RouteLoadReport(path: "/tmp/t.routes", changes: 1000, applied: 998, refused: 2,
                                              refusals: ["line 7: no static route for 198.18.9.0/24", "line 9: next hop 198.21.0.1 is not in any port's subnet"],
                                              updates: 1, parseSeconds: 0.25, applySeconds: 0.5, ipv4Routes: 900, ipv6Routes: 100)
        XCTAssertEqual(try batched.run("ro lo /tmp/t.routes"), """
        route load /tmp/t.routes: 998 of 1000 changes applied, 2 refused in 0.50 s (2000 changes/s, 1 updates; file read in 0.25 s)
          line 7: no static route for 198.18.9.0/24
          line 9: next hop 198.21.0.1 is not in any port's subnet
        routes now: 900 IPv4, 100 IPv6

        """)
        let json = try batched.json("route load /tmp/t.routes json")
        XCTAssertEqual(json["applied"] as? Int, 998)
        XCTAssertEqual(json["refusals"] as? [String], batching.loadReport?.refusals)
        XCTAssertEqual(try plain.run("route load /tmp/t.routes"), "error: route load is not available with this forwarder\n")
        XCTAssertEqual(try plain.run("route load"), "error: route load needs a file: route load FILE, e.g. route load /var/lib/swiftfwd/table.routes\n")
    }
}

/// The byte-level reading of the common change lines gives what the general parser gives, and
/// leaves everything else to it.
final class FastChangeParserTests: XCTestCase {
    private let ports = ["p0", "p1"]

    private func slow(_ line: String) -> (ConsoleChange, Bool)? {
        guard case .success(let parsed) = CommandParser.parse(line, ports: ports), let change = parsed.command.change else { return nil }
        return (change, parsed.json)
    }

    func testAgreesWithTheGeneralParser() {
        var lines = [
            "route add 198.18.4.0/24 via 198.18.1.2", "route add 198.18.4.0/24 via 198.18.1.2 json", "route del 198.18.4.0/24",
            "route del 2001:db8:4::/48 json", "route add 2001:db8:4::/48 via 2001:db8:1::2", "route add 0.0.0.0/0 via 198.18.1.2",
            "route add ::/0 via 2001:db8::1", "route add 198.18.4.7/32 via 198.18.1.2", "route add 2001:db8::1/128 via fe80::1",
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let length = Int.random(in: 0...32, using: &rng)
            let a = IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng) & IPv4Prefix.mask(UInt8(length)))
            lines.append("route add \(a)/\(length) via 198.18.\(Int.random(in: 0...255, using: &rng)).2")
            lines.append("route del \(a)/\(length)")
        }
        for line in lines {
            guard let fast = FastChangeParser.parse(Array(line.utf8)) else { return XCTFail("not read fast: \(line)") }
            let general = slow(line)
            XCTAssertEqual(fast.change, general?.0, line)
            XCTAssertEqual(fast.json, general?.1, line)
        }
    }

    func testLeavesEverythingElseToTheGeneralParser() {
        for line in ["ro add 198.18.4.0/24 via 198.18.1.2", "route  add 198.18.4.0/24 via 198.18.1.2", "route add 198.18.4.1/24 via 198.18.1.2",
                     "route add 198.18.4.0/24 via 2001:db8::1", "route add 198.18.4.0/24 dev p1", "route add 198.18.4.0/33 via 198.18.1.2",
                     "route del 198.18.4.0", "route add 198.018.4.0/24 via 198.18.1.2", "route add 198.18.4.0/24 via 198.18.1.2 JSON",
                     "route add 198.18.4.0/24 via 198.18.1.2 extra", "route del 2001:db8:4::1/48", "route del 198.18.4.0/024x", "show routes",
                     "route add 198.18.4.0/24 via 198.18.1.2/32", "route del", "route add"] {
            XCTAssertNil(FastChangeParser.parse(Array(line.utf8)), line)
        }
    }
}
