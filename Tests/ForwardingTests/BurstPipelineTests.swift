import XCTest
import Packet
@testable import Forwarding

final class BurstPipelineTests: XCTestCase {
    let harness = PipelineHarness()

    /// 32 packets of both families, interleaved, each with its own expected verdict: every
    /// verdict must land in its own slot, and each packet must fare exactly as it does alone.
    func testMixedBurstOf32GivesPerPacketVerdictsInTheRightSlots() {
        let cases: [([UInt8], Verdict)] = [
            (ipv4(), .transmit(1)),
            (ipv6(), .transmit(1)),
            (ipv4 { $0.ttl = 1 }, .drop(.ipv4TTLExpired)),
            (ipv6 { $0.destination = "2001:db8::2" }, .transmit(0)),
            (ipv4 { $0.destination = "198.18.0.1" }, .drop(.local)),
            (ipv6 { $0.hopLimit = 1 }, .drop(.ipv6HopLimitExpired)),
            (ipv4 { $0.destination = "198.19.7.7" }, .transmit(1)),
            (ipv6 { $0.destination = "2001:db8:ffff::1" }, .drop(.noRoute)),
            (ipv4 { $0.checksumError = 3 }, .drop(.ipv4BadChecksum)),
            (ipv6 { $0.destination = "2001:db8:100::1" }, .transmit(1)),
            (ethernet(type: Ethernet.typeARP), .drop(.unsupportedEthertype)),
            (ipv6 { $0.destination = "ff02::1" }, .drop(.ipv6MulticastDestination)),
            (ipv4 { $0.destination = "198.18.0.2" }, .transmit(0)),
            (ipv6 { $0.source = "fe80::1" }, .drop(.ipv6LinkLocal)),
            (ipv4 { $0.destination = "198.18.1.50" }, .drop(.noNeighbor)),
            (ipv6 { $0.destination = "2001:db8:1::50" }, .drop(.noNeighbor)),
            (ipv4 { $0.destinationMAC = MACAddress("ff:ff:ff:ff:ff:ff")! }, .drop(.ethMulticast)),
            (ipv6 { $0.payloadLength = 1461 }, .drop(.mtuExceeded)),
            (ipv4 { $0.payloadLength = 1481 }, .drop(.mtuExceeded)),
            (ipv6 { $0.destination = "2001:db8:1::1" }, .drop(.local)),
            (ipv4 { $0.destination = "198.18.9.9" }, .drop(.noRoute)),
            (ipv6 { $0.payloadLengthField = 100 }, .drop(.ipv6BadPayloadLength)),
            (ipv4 { $0.source = "0.0.0.1" }, .drop(.ipv4MartianSource)),
            (ipv6 { $0.frameLength = 50 }, .drop(.ipv6TooShort)),
            (ipv4 { $0.payloadLength = 8; $0.frameLength = 60 }, .transmit(1)),
            (ipv6 { $0.destinationMAC = MACAddress("02:00:00:00:00:99")! }, .drop(.ethNotForUs)),
            (Array(ipv4().prefix(10)), .drop(.ethTooShort)),
            (ipv6 { $0.destination = "2001:db8:200::1" }, .drop(.noNeighbor)),
            (ipv4 { $0.destination = "224.0.0.5" }, .drop(.ipv4MulticastDestination)),
            (ipv6 { $0.source = "2001:db8::77"; $0.destination = "2001:db8:1::2"; $0.hopLimit = 2 }, .transmit(1)),
            (ipv4 { $0.ihl = 3 }, .drop(.ipv4BadIHL)),
            (ipv6 { $0.destination = "2001:db8:300::1" }, .drop(.noNeighbor)),
        ]
        XCTAssertEqual(cases.count, BurstPipeline.capacity)

        let outcomes = harness.run(cases.map(\.0))
        for (slot, (expected, outcome)) in zip(cases.map(\.1), outcomes).enumerated() {
            XCTAssertEqual(outcome.verdict, expected, "slot \(slot)")
        }
        // The same packets one at a time give the same verdicts, lengths and bytes.
        for (slot, (frame, _)) in cases.enumerated() {
            let alone = harness.run(frame)
            XCTAssertEqual(alone.verdict, outcomes[slot].verdict, "slot \(slot)")
            XCTAssertEqual(alone.frame, outcomes[slot].frame, "slot \(slot)")
            if case .transmit = alone.verdict { XCTAssertEqual(alone.length, outcomes[slot].length, "slot \(slot)") }
        }
        // Forwarded packets carry their own rewrite, not a neighbour slot's.
        XCTAssertEqual(Array(outcomes[1].frame[0..<6]), Fixture.neighbor1v6MAC.bytes)
        XCTAssertEqual(Array(outcomes[3].frame[0..<6]), Fixture.neighbor0MAC.bytes)
        XCTAssertEqual(Array(outcomes[3].frame[6..<12]), Fixture.port0MAC.bytes)
        XCTAssertEqual(Array(outcomes[6].frame[0..<6]), Fixture.neighbor1MAC.bytes)
        XCTAssertEqual(outcomes[24].length, 42, "padding trimmed in slot 24")
    }

    /// Random bursts of random sizes: each slot's verdict equals that packet's verdict alone.
    func testRandomBurstsAgreeWithSinglePackets() {
        let menu: [[UInt8]] = [
            ipv4(), ipv6(), ipv4 { $0.ttl = 1 }, ipv6 { $0.hopLimit = 0 }, ipv4 { $0.destination = "198.18.0.2" },
            ipv6 { $0.destination = "2001:db8::2" }, ipv4 { $0.destination = "198.18.9.9" }, ipv6 { $0.destination = "::1" },
            ipv4 { $0.checksumError = 9 }, ethernet(type: 0x88B5), ipv4 { $0.destination = "198.18.1.1" },
            ipv6 { $0.destination = "2001:db8:1::77" }, ipv4 { $0.payloadLength = 1481 },
        ]
        let alone = menu.map { harness.verdict($0) }
        var rng = SeededGenerator(seed: 32)
        for _ in 0..<300 {
            let count = Int.random(in: 0...BurstPipeline.capacity, using: &rng)
            let picks = (0..<count).map { _ in Int.random(in: 0..<menu.count, using: &rng) }
            let outcomes = harness.run(picks.map { menu[$0] })
            XCTAssertEqual(outcomes.map(\.verdict), picks.map { alone[$0] })
        }
        // Bursts of usual IPv4 frames (forwarded, expired, local, too big: the one-loop burst
        // path) with, in half of them, one other frame at a random slot, so the general path
        // takes over after a prefix of every length.
        let usualIPv4 = [0, 2, 4, 6, 10, 12]
        for round in 0..<300 {
            let count = Int.random(in: 1...BurstPipeline.capacity, using: &rng)
            var picks = (0..<count).map { _ in usualIPv4.randomElement(using: &rng)! }
            if round % 2 == 1 { picks[Int.random(in: 0..<count, using: &rng)] = Int.random(in: 0..<menu.count, using: &rng) }
            let outcomes = harness.run(picks.map { menu[$0] })
            XCTAssertEqual(outcomes.map(\.verdict), picks.map { alone[$0] }, "round \(round)")
        }
    }

    /// A short burst writes verdicts for its own packets and leaves later slots alone.
    func testPartialBurstLeavesLaterSlotsUntouched() {
        let outcomes = harness.run([ipv4(), ipv6 { $0.hopLimit = 1 }, ipv4 { $0.destination = "198.18.0.1" }])
        XCTAssertEqual(outcomes.map(\.verdict), [.transmit(1), .drop(.ipv6HopLimitExpired), .drop(.local)])
        for slot in 3..<BurstPipeline.capacity {
            XCTAssertEqual(harness.outPort[slot], PipelineHarness.untouched, "slot \(slot)")
        }
        XCTAssertEqual(harness.run([]).count, 0)
        XCTAssertEqual(harness.outPort[0], PipelineHarness.untouched, "an empty burst writes nothing")
    }

    /// Only packets that passed validation reach the lookup, in slot order, with their
    /// destination addresses in host order (IPv4) or wire order (IPv6).
    func testLookupSeesOnlyValidPacketsInSlotOrder() {
        let recorder = RecordingLookup(inner: harness.reference)
        _ = harness.run([
            ipv4 { $0.destination = "198.18.1.2" }, ipv6 { $0.destination = "2001:db8:1::2" },
            ipv4 { $0.destination = "198.18.1.3"; $0.ttl = 1 }, ipv4 { $0.destination = "224.0.0.1" },
            ipv6 { $0.destination = "fe80::1" }, ipv6 { $0.destination = "2001:db8:1::3" },
            ipv4 { $0.destination = "198.18.1.4"; $0.checksumError = 1 }, ipv4 { $0.destination = "198.18.1.5" },
        ], lookup: recorder)
        XCTAssertEqual(recorder.log.v4, [[IPv4Address("198.18.1.2")!, IPv4Address("198.18.1.3")!, IPv4Address("198.18.1.5")!]])
        XCTAssertEqual(recorder.log.v6, [[IPv6Address("2001:db8:1::2")!, IPv6Address("2001:db8:1::3")!]])

        recorder.log.v4 = []; recorder.log.v6 = []
        _ = harness.run([ethernet(type: Ethernet.typeARP), ipv4 { $0.ttl = 1 }], lookup: recorder)
        XCTAssertEqual(recorder.log.v4.count, 1)
        XCTAssertTrue(recorder.log.v6.isEmpty, "no IPv6 lookup for a burst without valid IPv6")
    }

    /// A next hop beyond the adjacency table (the FIB is shared memory) reads as no route.
    func testNextHopOutsideTheTableIsNoRoute() {
        for nextHop: UInt64 in [UInt64(harness.table.adjacencies.count), 1000, UInt64(UInt32.max), .max] {
            let outcomes = harness.run([ipv4(), ipv6()], lookup: FixedLookup(nextHop: nextHop))
            XCTAssertEqual(outcomes.map(\.verdict), [.drop(.noRoute), .drop(.noRoute)], "next hop \(nextHop)")
        }
        let last = UInt64(harness.table.adjacencies.count - 1)
        XCTAssertNotEqual(harness.run(ipv4(), lookup: FixedLookup(nextHop: last)).verdict, .drop(.noRoute))
    }
}

private extension PipelineHarness {
    func run<Lookup: RouteLookup>(_ frame: [UInt8], lookup: Lookup) -> Outcome { run([frame], lookup: lookup)[0] }
}

/// Passes lookups through and records the addresses of each bulk call.
final class RecordingLookup: RouteLookup {
    let inner: ReferenceRouteTable
    var log: (v4: [[IPv4Address]], v6: [[IPv6Address]]) = ([], [])
    init(inner: ReferenceRouteTable) { self.inner = inner }

    func lookupIPv4(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        log.v4.append((0..<count).map { IPv4Address(addresses[$0]) })
        inner.lookupIPv4(addresses, nextHops, count: count)
    }

    func lookupIPv6(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        log.v6.append((0..<count).map { IPv6Address(bytes: addresses + 16 * $0) })
        inner.lookupIPv6(addresses, nextHops, count: count)
    }
}

/// Answers every lookup with the same next hop.
struct FixedLookup: RouteLookup {
    let nextHop: UInt64
    func lookupIPv4(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        for i in 0..<count { nextHops[i] = nextHop }
    }
    func lookupIPv6(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        for i in 0..<count { nextHops[i] = nextHop }
    }
}
