import XCTest
import Packet
@testable import Forwarding

/// The names and numbering every counter, `show errors` and stats JSON depend on.
final class DropReasonNamingTests: XCTestCase {
    func testNamesAreUniqueSnakeCase() {
        let names = DropReason.allCases.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "duplicate names in \(names)")
        let snakeCase = try! NSRegularExpression(pattern: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
        for name in names {
            let range = NSRange(name.startIndex..., in: name)
            XCTAssertNotNil(snakeCase.firstMatch(in: name, range: range), "\(name) is not snake_case")
        }
    }

    func testRawValuesAreDenseFromZero() {
        XCTAssertEqual(DropReason.allCases.map { Int($0.rawValue) }, Array(0..<DropReason.allCases.count))
        XCTAssertEqual(DropReason.count, DropReason.allCases.count)
    }

    func testExplanationsArePresentAndDistinct() {
        let explanations = DropReason.allCases.map(\.explanation)
        XCTAssertFalse(explanations.contains { $0.isEmpty })
        XCTAssertEqual(Set(explanations).count, explanations.count)
    }

    /// A TX-side drop, counted by the worker: it must be listed (so it has a counter and shows
    /// in `show errors`) but the RX pipeline never gives it.
    func testTxQueueFullIsListedButNeverProducedByThePipeline() {
        XCTAssertTrue(DropReason.allCases.contains(.txQueueFull))
        XCTAssertEqual(DropReason.txQueueFull.name, "tx_queue_full")

        // Every kind of frame this file's tests build, plus random junk: a dropped packet's
        // reason is never tx_queue_full. (The harness pre-fills dropReason with txQueueFull, so
        // a drop without a reason written would show as one.)
        var frames: [[UInt8]] = [
            [], ethernet(type: Ethernet.typeARP), ipv4(), ipv6(), ipv4 { $0.ttl = 1 }, ipv6 { $0.hopLimit = 1 },
            ipv4 { $0.destination = "198.18.9.9" }, ipv4 { $0.destination = "198.18.0.1" },
            ipv4 { $0.payloadLength = 2000 }, ipv4 { $0.checksumError = 1 },
        ]
        var rng = SeededGenerator(seed: 27)
        for _ in 0..<2000 {
            var frame = Bool.random(using: &rng) ? ipv4() : ipv6()
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                frame[Int.random(in: 14..<frame.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &rng)))
            frames.append(frame)
        }
        let harness = PipelineHarness()
        var reasonsSeen = Set<DropReason>()
        for start in stride(from: 0, to: frames.count, by: BurstPipeline.capacity) {
            let burst = Array(frames[start..<min(start + BurstPipeline.capacity, frames.count)])
            for (offset, outcome) in harness.run(burst).enumerated() {
                switch outcome.verdict {
                case .drop(let reason):
                    XCTAssertNotEqual(reason, .txQueueFull, "frame \(start + offset)")
                    XCTAssertNotEqual(reason, .ringFull, "frame \(start + offset)")
                    reasonsSeen.insert(reason)
                case .transmit(let port):
                    XCTAssertTrue(port == 0 || port == 1, "frame \(start + offset) sent to \(port)")
                }
            }
        }
        XCTAssertGreaterThan(reasonsSeen.count, 10, "the junk reached many different checks")
    }
}

/// One test per drop reason the RX pipeline gives: each builds a frame that is otherwise good
/// and asserts `outPort == BurstPipeline.dropPort` and the reason.
final class DropReasonPipelineTests: XCTestCase {
    // MARK: Ethernet

    func testEthTooShort() {
        assertDropped([], .ethTooShort)
        assertDropped(Array(ipv4().prefix(13)), .ethTooShort)
        // Fourteen bytes is a whole Ethernet header: the next check decides.
        assertDropped(Array(ipv4().prefix(14)), .ipv4TooShort)
    }

    func testEthNotForUs() {
        assertDropped(ipv4 { $0.destinationMAC = MACAddress("02:00:00:00:00:99")! }, .ethNotForUs)
        assertDropped(ipv6 { $0.destinationMAC = Fixture.port1MAC }, .ethNotForUs, "port 1's MAC arriving on port 0")
        assertDropped(ipv4 { $0.destinationMAC = MACAddress(0) }, .ethNotForUs)
    }

    func testEthMulticast() {
        for mac in ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01", "03:00:00:00:00:01"] {
            assertDropped(ipv4 { $0.destinationMAC = MACAddress(mac)! }, .ethMulticast, mac)
            assertDropped(ipv6 { $0.destinationMAC = MACAddress(mac)! }, .ethMulticast, mac)
        }
    }

    func testUnsupportedEthertype() {
        assertDropped(ethernet(type: Ethernet.typeARP), .unsupportedEthertype)
        assertDropped(ethernet(type: Ethernet.typeVLAN), .unsupportedEthertype)
        assertDropped(ethernet(type: 0x88CC), .unsupportedEthertype)    // LLDP
        assertDropped(ethernet(type: 0x0005), .unsupportedEthertype)    // an 802.3 length
        assertDropped(ethernet(type: 0x0008), .unsupportedEthertype)    // IPv4 byte-swapped
        assertDropped(ethernet(type: 0xDD86), .unsupportedEthertype)    // IPv6 byte-swapped
    }

    // MARK: IPv4 validation

    func testIPv4TooShort() {
        assertDropped(ipv4 { $0.frameLength = 14 + 19 }, .ipv4TooShort)
        assertDropped(ipv4 { $0.frameLength = 14 }, .ipv4TooShort)
    }

    func testIPv4BadVersion() {
        assertDropped(ipv4 { $0.version = 6 }, .ipv4BadVersion)
        assertDropped(ipv4 { $0.version = 0 }, .ipv4BadVersion)
        assertDropped(ipv4 { $0.version = 5 }, .ipv4BadVersion)
        // An IPv6 packet behind the IPv4 EtherType.
        assertDropped(ipv6 { $0.etherType = Ethernet.typeIPv4 }, .ipv4BadVersion)
    }

    func testIPv4BadIHL() {
        for ihl: UInt8 in [0, 1, 4] {
            assertDropped(ipv4 { $0.ihl = ihl }, .ipv4BadIHL, "ihl \(ihl)")
        }
    }

    func testIPv4TruncatedHeader() {
        // IHL says 60 bytes; the frame holds 40 after the Ethernet header.
        assertDropped(ipv4 { $0.ihl = 15; $0.payloadLength = 0; $0.frameLength = 14 + 40 }, .ipv4TruncatedHeader)
        assertDropped(ipv4 { $0.ihl = 6; $0.payloadLength = 0; $0.frameLength = 14 + 23 }, .ipv4TruncatedHeader)
        // Exactly IHL*4 bytes is enough.
        XCTAssertEqual(PipelineHarness().verdict(ipv4 { $0.ihl = 6; $0.payloadLength = 0 }), .transmit(1))
    }

    func testIPv4BadChecksumInSoftware() {
        for error: UInt16 in [1, 0x100, 0x8000, 0xFFFE] {
            assertDropped(ipv4 { $0.checksumError = error }, .ipv4BadChecksum, "error \(error)")
        }
        // A damaged address, checksum left as it was.
        var frame = ipv4()
        frame[14 + 19] ^= 0x01
        assertDropped(frame, .ipv4BadChecksum)
        // The checksum covers options too.
        var withOptions = ipv4 { $0.ihl = 7 }
        withOptions[14 + 25] ^= 0x40
        assertDropped(withOptions, .ipv4BadChecksum)
    }

    func testIPv4BadChecksumFromNICFlag() {
        // The NIC said bad: dropped even though the checksum is in fact right.
        assertDropped(ipv4(), .ipv4BadChecksum, checksum: .bad)
    }

    func testIPv4BadTotalLength() {
        assertDropped(ipv4 { $0.totalLength = 19 }, .ipv4BadTotalLength, "below the minimum header")
        assertDropped(ipv4 { $0.ihl = 6; $0.totalLength = 23 }, .ipv4BadTotalLength, "below IHL*4")
        assertDropped(ipv4 { $0.totalLength = 0 }, .ipv4BadTotalLength)
        assertDropped(ipv4 { $0.payloadLength = 8; $0.totalLength = 29 }, .ipv4BadTotalLength, "one byte beyond the frame")
        assertDropped(ipv4 { $0.totalLength = 0xFFFF }, .ipv4BadTotalLength)
        // Equal to IHL*4 (no payload) is fine.
        XCTAssertEqual(PipelineHarness().verdict(ipv4 { $0.payloadLength = 0 }), .transmit(1))
    }

    func testIPv4MartianSource() {
        for source in ["0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "224.0.0.1", "239.1.2.3", "240.0.0.1", "255.255.255.255"] {
            assertDropped(ipv4 { $0.source = source }, .ipv4MartianSource, source)
        }
    }

    func testIPv4MartianDestination() {
        for destination in ["0.0.0.0", "0.1.2.3", "127.0.0.1", "240.0.0.1", "254.1.2.3", "255.255.255.255"] {
            assertDropped(ipv4 { $0.destination = destination }, .ipv4MartianDestination, destination)
        }
    }

    func testIPv4MulticastDestination() {
        for destination in ["224.0.0.1", "224.0.0.251", "232.1.2.3", "239.255.255.255"] {
            assertDropped(ipv4 { $0.destination = destination }, .ipv4MulticastDestination, destination)
        }
    }

    func testIPv4TTLExpired() {
        for ttl: UInt8 in [0, 1] {
            assertDropped(ipv4 { $0.ttl = ttl }, .ipv4TTLExpired, "ttl \(ttl) to a neighbor")
            assertDropped(ipv4 { $0.ttl = ttl; $0.destination = "198.19.0.7" }, .ipv4TTLExpired, "ttl \(ttl) via a gateway")
            assertDropped(ipv4 { $0.ttl = ttl; $0.destination = "198.18.1.50" }, .ipv4TTLExpired, "ttl \(ttl), no neighbor yet")
        }
        XCTAssertEqual(PipelineHarness().verdict(ipv4 { $0.ttl = 2 }), .transmit(1))
    }

    // MARK: IPv6 validation

    func testIPv6TooShort() {
        assertDropped(ipv6 { $0.payloadLength = 0; $0.frameLength = 14 + 39 }, .ipv6TooShort)
        assertDropped(ipv6 { $0.frameLength = 14 }, .ipv6TooShort)
        XCTAssertEqual(PipelineHarness().verdict(ipv6 { $0.payloadLength = 0 }), .transmit(1))
    }

    func testIPv6BadVersion() {
        assertDropped(ipv6 { $0.version = 4 }, .ipv6BadVersion)
        assertDropped(ipv6 { $0.version = 0 }, .ipv6BadVersion)
        assertDropped(ipv6 { $0.version = 7 }, .ipv6BadVersion)
        assertDropped(ipv4 { $0.etherType = Ethernet.typeIPv6; $0.payloadLength = 40 }, .ipv6BadVersion)
    }

    func testIPv6BadPayloadLength() {
        assertDropped(ipv6 { $0.payloadLengthField = 9 }, .ipv6BadPayloadLength, "one byte beyond the frame")
        assertDropped(ipv6 { $0.payloadLengthField = 0xFFFF }, .ipv6BadPayloadLength)
        assertDropped(ipv6 { $0.payloadLength = 8; $0.frameLength = 14 + 40 + 7 }, .ipv6BadPayloadLength, "frame cut short")
    }

    func testIPv6MartianSource() {
        for source in ["::", "::1", "ff02::1", "ff0e::1234", "ff00::"] {
            assertDropped(ipv6 { $0.source = source }, .ipv6MartianSource, source)
        }
    }

    func testIPv6MartianDestination() {
        for destination in ["::", "::1"] {
            assertDropped(ipv6 { $0.destination = destination }, .ipv6MartianDestination, destination)
        }
    }

    func testIPv6MulticastDestination() {
        for destination in ["ff02::1", "ff02::1:ff00:2", "ff05::2", "ff0e::101", "ff00::"] {
            assertDropped(ipv6 { $0.destination = destination }, .ipv6MulticastDestination, destination)
        }
    }

    func testIPv6LinkLocal() {
        for address in ["fe80::1", "fe80::2:3", "febf:ffff::1", "fe80:0:0:1::1"] {
            assertDropped(ipv6 { $0.source = address }, .ipv6LinkLocal, "source \(address)")
            assertDropped(ipv6 { $0.destination = address }, .ipv6LinkLocal, "destination \(address)")
        }
        // Just outside fe80::/10: not link-local, so it goes on to the lookup (no route here).
        assertDropped(ipv6 { $0.destination = "fec0::1" }, .noRoute)
        assertDropped(ipv6 { $0.destination = "fe7f::1" }, .noRoute)
    }

    func testIPv6HopLimitExpired() {
        for hopLimit: UInt8 in [0, 1] {
            assertDropped(ipv6 { $0.hopLimit = hopLimit }, .ipv6HopLimitExpired, "hop limit \(hopLimit) to a neighbor")
            assertDropped(ipv6 { $0.hopLimit = hopLimit; $0.destination = "2001:db8:100::9" }, .ipv6HopLimitExpired, "via a gateway")
            assertDropped(ipv6 { $0.hopLimit = hopLimit; $0.destination = "2001:db8:1::50" }, .ipv6HopLimitExpired, "no neighbor yet")
        }
        XCTAssertEqual(PipelineHarness().verdict(ipv6 { $0.hopLimit = 2 }), .transmit(1))
    }

    // MARK: After the lookup

    func testLocal() {
        for destination in ["198.18.0.1", "198.18.1.1", "198.18.0.255", "198.18.1.255"] {
            assertDropped(ipv4 { $0.destination = destination }, .local, destination)
        }
        for destination in ["2001:db8::1", "2001:db8:1::1"] {
            assertDropped(ipv6 { $0.destination = destination }, .local, destination)
        }
    }

    /// RFC 1812 5.3.1: the TTL rule is for packets in transit; a packet for the router itself
    /// with TTL 1 (or 0) must be received, so it counts as local.
    func testTTLOneToTheRouterIsLocalNotExpired() {
        for ttl: UInt8 in [0, 1] {
            assertDropped(ipv4 { $0.ttl = ttl; $0.destination = "198.18.0.1" }, .local, "ttl \(ttl)")
            assertDropped(ipv4 { $0.ttl = ttl; $0.destination = "198.18.1.1" }, .local, "ttl \(ttl), other port's address")
            assertDropped(ipv6 { $0.hopLimit = ttl; $0.destination = "2001:db8::1" }, .local, "hop limit \(ttl)")
        }
    }

    func testNoRoute() {
        for destination in ["198.18.9.9", "198.18.2.1", "198.18.201.1"] {
            assertDropped(ipv4 { $0.destination = destination }, .noRoute, destination)
        }
        for destination in ["2001:db8:ffff::1", "2001:db8:2::1", "2001:db8:101::1"] {
            assertDropped(ipv6 { $0.destination = destination }, .noRoute, destination)
        }
    }

    /// No route also wins over TTL: the packet is not in transit anywhere.
    func testNoRouteWithTTLOneIsNoRoute() {
        assertDropped(ipv4 { $0.ttl = 1; $0.destination = "198.18.9.9" }, .noRoute)
        assertDropped(ipv6 { $0.hopLimit = 1; $0.destination = "2001:db8:ffff::1" }, .noRoute)
    }

    func testNoNeighbor() {
        // On a connected subnet without a neighbor entry, and via gateways without one.
        for destination in ["198.18.1.50", "198.18.0.77", "198.19.128.1", "198.19.255.254", "198.18.200.9"] {
            assertDropped(ipv4 { $0.destination = destination }, .noNeighbor, destination)
        }
        for destination in ["2001:db8:1::50", "2001:db8::77", "2001:db8:200::1", "2001:db8:300::1"] {
            assertDropped(ipv6 { $0.destination = destination }, .noNeighbor, destination)
        }
    }

    /// The egress MTU bounds the IP packet (bytes after the Ethernet header): 1500 goes, 1501
    /// does not.
    func testMTUExceeded() {
        let harness = PipelineHarness()
        XCTAssertEqual(harness.verdict(ipv4 { $0.payloadLength = 1480 }), .transmit(1))
        assertDropped(ipv4 { $0.payloadLength = 1481 }, .mtuExceeded, harness: harness)
        assertDropped(ipv4 { $0.payloadLength = 9000 - 20 }, .mtuExceeded, harness: harness)
        XCTAssertEqual(harness.verdict(ipv6 { $0.payloadLength = 1460 }), .transmit(1))
        assertDropped(ipv6 { $0.payloadLength = 1461 }, .mtuExceeded, harness: harness)
        // Via a gateway too.
        assertDropped(ipv4 { $0.payloadLength = 1481; $0.destination = "198.19.0.1" }, .mtuExceeded, harness: harness)
        assertDropped(ipv6 { $0.payloadLength = 1461; $0.destination = "2001:db8:100::1" }, .mtuExceeded, harness: harness)
        // Ethernet padding does not count: only the IP total length does.
        XCTAssertEqual(harness.verdict(ipv4 { $0.payloadLength = 1480; $0.frameLength = 14 + 1600 }), .transmit(1))
    }

    func testMTUIsPerEgressPort() {
        var ports = Fixture.ports
        ports[1].mtu = 1280
        let harness = PipelineHarness(table: ForwardingTable(ports: ports, routes: Fixture.routes, neighbors: Fixture.neighbors))
        XCTAssertEqual(harness.verdict(ipv6 { $0.payloadLength = 1240 }), .transmit(1))
        assertDropped(ipv6 { $0.payloadLength = 1241 }, .mtuExceeded, harness: harness)
        assertDropped(ipv4 { $0.payloadLength = 1261 }, .mtuExceeded, harness: harness)
        // Port 0 still takes 1500 (a packet arriving on port 1 for port 0's neighbor).
        XCTAssertEqual(harness.verdict(ipv4 { $0.destinationMAC = Fixture.port1MAC; $0.source = "198.18.1.2"
                                              $0.destination = "198.18.0.2"; $0.payloadLength = 1480 },
                                       portMAC: Fixture.port1MAC), .transmit(0))
    }

    /// Every reason except the three the data plane counts itself (txQueueFull and
    /// fragmentNoMbuf by workers, the latter tested in DPDKTests' IPv4FragmenterTests; ringFull by
    /// receive cores) has a test above; this keeps the list honest when a new case is added.
    func testEveryReasonIsCoveredHere() {
        let covered: Set<DropReason> = [
            .ethTooShort, .ethNotForUs, .ethMulticast, .unsupportedEthertype, .ipv4TooShort, .ipv4BadVersion,
            .ipv4BadIHL, .ipv4TruncatedHeader, .ipv4BadChecksum, .ipv4BadTotalLength, .ipv4MartianSource,
            .ipv4MartianDestination, .ipv4MulticastDestination, .ipv4TTLExpired, .ipv6TooShort, .ipv6BadVersion,
            .ipv6BadPayloadLength, .ipv6MartianSource, .ipv6MartianDestination, .ipv6MulticastDestination,
            .ipv6LinkLocal, .ipv6HopLimitExpired, .local, .noRoute, .noNeighbor, .mtuExceeded,
        ]
        XCTAssertEqual(Set(DropReason.allCases).subtracting(covered), [.txQueueFull, .ringFull, .fragmentNoMbuf])
    }
}
