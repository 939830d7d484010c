import XCTest
import Packet
@testable import Forwarding

final class PuntClassTests: XCTestCase {
    private func classOf(_ frame: [UInt8], local: Bool = true) -> PuntClass {
        frame.withUnsafeBytes { PuntClass.classify($0.baseAddress!, length: frame.count, addressedToRouter: local) }
    }

    /// A frame whose transport header starts with the given ports.
    private func ipv4Ports(_ proto: UInt8, source: UInt16, destination: UInt16, fragmentOffset: UInt16 = 0) -> [UInt8] {
        var frame = ipv4 { $0.proto = proto; $0.destination = "198.18.0.1" }
        frame[20] = UInt8(fragmentOffset >> 8); frame[21] = UInt8(fragmentOffset & 0xFF)
        frame[34] = UInt8(source >> 8); frame[35] = UInt8(source & 0xFF)
        frame[36] = UInt8(destination >> 8); frame[37] = UInt8(destination & 0xFF)
        return frame
    }

    func testNeighborDiscovery() {
        XCTAssertEqual(classOf(ethernet(type: Ethernet.typeARP, payloadLength: 28), local: false), .neighborDiscovery)
        for type: UInt8 in [133, 134, 135, 136, 137] {
            var frame = ipv6 { $0.nextHeader = 58; $0.hopLimit = 255; $0.destination = "ff02::1:ff00:1" }
            frame[54] = type
            XCTAssertEqual(classOf(frame, local: false), .neighborDiscovery, "ICMPv6 type \(type)")
        }
        var offLink = ipv6 { $0.nextHeader = 58; $0.hopLimit = 64; $0.destination = "2001:db8::1" }
        offLink[54] = 135
        XCTAssertEqual(classOf(offLink), .local, "a solicitation with hop limit under 255 is not ND (RFC 4861 7.1.1)")
        var echo = ipv6 { $0.nextHeader = 58; $0.destination = "2001:db8::1" }
        echo[54] = 128
        XCTAssertEqual(classOf(echo), .local, "an echo request to the router is local traffic")
    }

    func testRoutingProtocols() {
        XCTAssertEqual(classOf(ipv4Ports(6, source: 40000, destination: 179)), .routingProtocol, "BGP to us")
        XCTAssertEqual(classOf(ipv4Ports(6, source: 179, destination: 40000)), .routingProtocol, "BGP from the peer's side")
        XCTAssertEqual(classOf(ipv4Ports(17, source: 49152, destination: 3784)), .routingProtocol, "BFD")
        XCTAssertEqual(classOf(ipv4Ports(89, source: 0, destination: 0)), .routingProtocol, "OSPF")
        XCTAssertEqual(classOf(ipv4Ports(6, source: 40000, destination: 22)), .local, "SSH")
        XCTAssertEqual(classOf(ipv4Ports(17, source: 179, destination: 53)), .local, "UDP 179 is not BGP")
        XCTAssertEqual(classOf(ipv4Ports(6, source: 40000, destination: 179, fragmentOffset: 100)), .local,
                       "a later fragment has no ports to read")
        var bgp6 = ipv6 { $0.nextHeader = 6; $0.destination = "2001:db8::1" }
        bgp6[56] = 0; bgp6[57] = 179
        XCTAssertEqual(classOf(bgp6), .routingProtocol)
    }

    func testTheRestAndShortFrames() {
        XCTAssertEqual(classOf(ipv4 { $0.destination = "198.18.1.2" }, local: false), .other)
        XCTAssertEqual(classOf(Array(ipv4Ports(6, source: 1, destination: 179).prefix(36))), .local,
                       "ports cut off: not trusted as BGP")
        XCTAssertEqual(classOf([0x01, 0x02]), .other)
        XCTAssertEqual(classOf(ethernet(type: 0x88CC), local: false), .other, "LLDP and other EtherTypes")
    }

    func testDefaultsFollowSONiC() {
        XCTAssertEqual(PuntClass.routingProtocol.defaultRate, 6000)
        XCTAssertEqual(PuntClass.neighborDiscovery.defaultRate, 600)
        XCTAssertEqual(PuntClass.other.defaultRate, 600)
        XCTAssertEqual(Set(PuntClass.allCases.map(\.name)).count, PuntClass.allCases.count)
    }
}
