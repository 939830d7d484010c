import XCTest
@testable import Config

/// Routes and neighbors: a usable next hop, exactly one of via/dev, known ports, and a
/// neighbor whose family its port carries.
final class RouteAndNeighborErrorTests: XCTestCase {
    private let ports = twoRoutedPorts

    func testViaOutsideEveryConnectedSubnetNamesTheRoute() {
        assertRefused(ports + """
        routes:
          - prefix: 198.18.4.0/24
            via: 198.18.9.1
        """, line: 10, column: 10, keyPath: "routes[0].via",
        message: "route 198.18.4.0/24 has next hop 198.18.9.1, which is not in any port's connected subnet (the IPv4 connected subnets are 198.18.0.0/24 on wan and 198.18.1.0/24 on lan), so give a next hop on a connected subnet or use dev")
    }

    func testViaOfAFamilyNoPortHas() {
        assertRefused("ports: [{ name: a, device: net_null0, addresses: [198.18.0.1/24] }]\nroutes:\n  - { prefix: \"2001:db8:4::/48\", via: \"2001:db8::9\" }\n",
                      line: 3, keyPath: "routes[0].via",
                      message: "route 2001:db8:4::/48 has next hop 2001:db8::9, which is not in any port's connected subnet (no port has an IPv6 address), so give a next hop on a connected subnet or use dev")
    }

    func testViaOfTheOtherFamily() {
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, via: \"2001:db8:0:1::2\" }\n", line: 9, keyPath: "routes[0].via",
                      message: "route 198.18.4.0/24 is IPv4 but its next hop 2001:db8:0:1::2 is IPv6, so give an IPv4 next hop")
    }

    func testViaThatIsTheRoutersOwnAddress() {
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, via: 198.18.1.1 }\n", line: 9, keyPath: "routes[0].via",
                      message: "route 198.18.4.0/24 has next hop 198.18.1.1, which is this router's own address on port \"lan\", so give the neighboring router's address")
    }

    func testRouteWithBothViaAndDev() {
        assertRefused(ports + """
        routes:
          - prefix: 198.18.4.0/24
            via: 198.18.1.2
            dev: lan
        """, line: 9, column: 5, keyPath: "routes[0]",
        message: "route 198.18.4.0/24 gives both via and dev; give exactly one of them")
    }

    func testRouteWithNeitherViaNorDev() {
        assertRefused(ports + "routes:\n  - prefix: 198.18.4.0/24\n", line: 9, column: 5, keyPath: "routes[0]",
                      message: "route 198.18.4.0/24 gives neither via nor dev; give via (a next-hop address) or dev (a port name)")
    }

    func testRouteMissingPrefix() {
        assertRefused(ports + "routes:\n  - via: 198.18.1.2\n", line: 9, column: 5, keyPath: "routes[0].prefix",
                      message: "missing required key; expected a destination prefix such as 198.18.4.0/24")
    }

    func testRouteDevUnknownPort() {
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, dev: lna }\n", line: 9, column: 35, keyPath: "routes[0].dev",
                      message: "unknown port \"lna\"; did you mean \"lan\"?")
    }

    func testRouteDevUnknownPortWithNoCloseName() {
        assertRefused(ports + "routes:\n  - { prefix: 198.18.4.0/24, dev: uplink }\n", line: 9, keyPath: "routes[0].dev",
                      message: "unknown port \"uplink\"; expected one of \"wan\", \"lan\"")
    }

    func testDuplicateRoutePrefix() {
        assertRefused(ports + """
        routes:
          - { prefix: 198.18.4.0/24, dev: lan }
          - { prefix: 198.18.4.0/24, via: 198.18.0.2 }
        """, line: 10, column: 15, keyPath: "routes[1].prefix",
        message: "route 198.18.4.0/24 is already given by routes[0], and each prefix can have one static route")
    }

    func testNeighborUnknownPort() {
        assertRefused(ports + """
        neighbors:
          - address: 198.18.0.2
            mac: 02:00:00:00:00:02
            port: wan0
        """, line: 11, column: 11, keyPath: "neighbors[0].port",
        message: "unknown port \"wan0\"; did you mean \"wan\"?")
    }

    func testNeighborFamilyMismatch() {
        assertRefused(ports + """
        neighbors:
          - address: 2001:db8:0:1::2
            mac: 02:00:00:00:00:02
            port: lan
        """, line: 9, column: 14, keyPath: "neighbors[0].address",
        message: "neighbor 2001:db8:0:1::2 is IPv6 but port \"lan\" has no IPv6 address or IPv6 dev route, so give the port an IPv6 address or put the neighbor on another port")
    }

    func testDuplicateNeighbor() {
        assertRefused(ports + """
        neighbors:
          - { address: 198.18.0.2, mac: "02:00:00:00:00:02", port: wan }
          - { address: 198.18.0.2, mac: "02:00:00:00:00:03", port: wan }
        """, line: 10, column: 16, keyPath: "neighbors[1].address",
        message: "neighbor 198.18.0.2 is already given by neighbors[0], and each neighbor address can be given once")
    }

    func testNeighborMissingMAC() {
        assertRefused(ports + "neighbors:\n  - { address: 198.18.0.2, port: wan }\n", line: 9, column: 5, keyPath: "neighbors[0].mac",
                      message: "missing required key; expected the neighbor's MAC address such as 02:00:00:00:00:02")
    }

    func testNeighborThatIsTheRoutersOwnAddress() {
        assertRefused(ports + "neighbors:\n  - { address: 198.18.0.1, mac: \"02:00:00:00:00:02\", port: wan }\n", line: 9, keyPath: "neighbors[0].address",
                      message: "neighbor 198.18.0.1 is this router's own address on port \"wan\", so give the neighbor's address")
    }
}
