import XCTest
import Packet
@testable import Forwarding

final class PuntDecisionTests: XCTestCase {
    private func decide(_ reason: DropReason, _ frame: [UInt8]) -> PuntClass? {
        frame.withUnsafeBytes { PuntDecision.punt(reason, frame: $0.baseAddress!, length: frame.count) }
    }

    private let broadcast = MACAddress("ff:ff:ff:ff:ff:ff")!

    func testWhatGoesToTheKernel() {
        XCTAssertEqual(decide(.ethMulticast, ethernet(type: Ethernet.typeARP, payloadLength: 28, destination: broadcast)),
                       .neighborDiscovery, "ARP request")
        XCTAssertEqual(decide(.unsupportedEthertype, ethernet(type: Ethernet.typeARP, payloadLength: 28)),
                       .neighborDiscovery, "ARP reply to our MAC")
        var ns = ipv6 { $0.nextHeader = 58; $0.hopLimit = 255; $0.destination = "ff02::1:ff00:1"; $0.destinationMAC = MACAddress("33:33:ff:00:00:01")! }
        ns[54] = 135
        XCTAssertEqual(decide(.ethMulticast, ns), .neighborDiscovery, "neighbor solicitation")
        XCTAssertEqual(decide(.ethMulticast, ipv6 { $0.nextHeader = 89; $0.destination = "ff02::5" }), .routingProtocol, "OSPFv3")
        XCTAssertEqual(decide(.ethMulticast, ipv4 { $0.proto = 89; $0.destination = "224.0.0.5" }), .routingProtocol, "OSPF")
        XCTAssertEqual(decide(.ethMulticast, ipv4 { $0.destination = "255.255.255.255" }), .local, "limited broadcast")
        XCTAssertEqual(decide(.local, ipv4 { $0.destination = "198.18.0.1" }), .local, "ping to the router")
        XCTAssertEqual(decide(.ipv6LinkLocal, ipv6 { $0.source = "fe80::2"; $0.destination = "fe80::1" }), .local,
                       "to the router's link-local address")
        XCTAssertEqual(decide(.noNeighbor, ipv4 { $0.destination = "198.19.128.1" }), .other, "the kernel resolves the next hop")
    }

    func testWhatStaysDropped() {
        XCTAssertNil(decide(.ethMulticast, ipv4 { $0.destination = "239.1.2.3" }), "a group beyond the link")
        XCTAssertNil(decide(.ethMulticast, ipv6 { $0.destination = "ff0e::1" }), "a global IPv6 group")
        XCTAssertNil(decide(.unsupportedEthertype, ethernet(type: 0x88CC)), "LLDP")
        XCTAssertNil(decide(.ipv6LinkLocal, ipv6 { $0.source = "fe80::2"; $0.destination = "2001:db8:1::2" }),
                     "link-local source to a global address: never forwarded, not for us either")
        for reason in [DropReason.noRoute, .ipv4TTLExpired, .ipv4BadChecksum, .ethNotForUs, .mtuExceeded] {
            XCTAssertNil(decide(reason, ipv4()), reason.name)
        }
    }
}
