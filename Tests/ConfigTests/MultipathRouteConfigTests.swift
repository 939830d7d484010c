import Packet
import XCTest
@testable import Config

/// `via` may list several next hops (ECMP); each is checked like a single one, and the error
/// points at the one that is wrong.
final class MultipathRouteConfigTests: XCTestCase {
    private let ports = twoRoutedPorts

    func testAListOfNextHopsIsOneMultipathRoute() throws {
        let config = try accepted(ports + """
        routes:
          - prefix: 198.18.4.0/24
            via: [198.18.1.2, 198.18.0.2]
          - prefix: 198.18.5.0/24
            via:
              - 198.18.1.3
        """)
        XCTAssertEqual(config.routes.map(\.nextHop), [.multipath([IPAddress("198.18.1.2")!, IPAddress("198.18.0.2")!]),
                                                      .via(IPAddress("198.18.1.3")!)])
    }

    func testEachNextHopIsCheckedAndTheBadOneNamed() {
        assertRefused(ports + """
        routes:
          - prefix: 198.18.4.0/24
            via: [198.18.1.2, 198.18.9.1]
        """, line: 10, column: 23, keyPath: "routes[0].via[1]",
        message: "route 198.18.4.0/24 has next hop 198.18.9.1, which is not in any port's connected subnet (the IPv4 connected subnets are 198.18.0.0/24 on wan and 198.18.1.0/24 on lan), so give a next hop on a connected subnet or use dev")
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, via: [198.18.1.2, \"2001:db8:0:1::2\"] }\n", line: 9,
                      keyPath: "routes[0].via[1]",
                      message: "route 198.18.4.0/24 is IPv4 but its next hop 2001:db8:0:1::2 is IPv6, so give an IPv4 next hop")
    }

    func testARepeatedOrEmptyListIsRefused() {
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, via: [198.18.1.2, 198.18.1.2] }\n", line: 9, keyPath: "routes[0].via[1]",
                      message: "next hop 198.18.1.2 is given twice for route 198.18.4.0/24; give each once")
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, via: [] }\n", line: 9, keyPath: "routes[0].via",
                      message: "route 198.18.4.0/24 has an empty via list; give one or more next-hop addresses")
        let many = (2...66).map { "198.18.1.\($0)" }.joined(separator: ", ")
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, via: [\(many)] }\n", line: 9, keyPath: "routes[0].via",
                      message: "route 198.18.4.0/24 has 65 next hops; at most 64 are supported")
    }
}
