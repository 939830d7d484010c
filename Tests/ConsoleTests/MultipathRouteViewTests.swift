@testable import Console
import Foundation
import Packet
import XCTest

/// A multipath route shows every next hop: one row each in `show routes`, one line each in
/// `show route`, and a `next_hops` list in JSON.
final class MultipathRouteViewTests: XCTestCase {
    func backend() -> FakeBackend {
        let b = FakeBackend()
        let paths = [RoutePath(nextHop: "via 198.18.1.2 dev p1", port: "p1", resolved: true, weight: 1),
                     RoutePath(nextHop: "via 198.18.1.3 dev p1", port: "p1", resolved: false, weight: 3)]
        b.setRoutes([
            RouteInfo(prefix: IPPrefix("198.18.1.0/24")!, kind: "connected", nextHop: "dev p1", port: "p1", resolved: true),
            RouteInfo(prefix: IPPrefix("198.18.9.0/24")!, kind: "static", nextHop: paths.map(\.label).joined(separator: ", "),
                      port: "p1", resolved: false, paths: paths),
        ])
        return b
    }

    func testShowRoutesHasARowPerNextHop() throws {
        let s = try Session(backend: backend())
        _ = try s.read()
        try s.send("show routes\r\n")
        XCTAssertEqual(try s.read(), """
            IPv4: 2 of 1024 routes, IPv6: 0 of 1024 routes
            prefix         kind       next hop                        resolved
            198.18.1.0/24  connected  dev p1                          yes
            198.18.9.0/24  static     via 198.18.1.2 dev p1           yes
                                      via 198.18.1.3 dev p1 weight 3  no
            swiftfwd> 
            """)
    }

    func testShowRouteListsTheNextHops() throws {
        let s = try Session(backend: backend())
        _ = try s.read()
        try s.send("show route 198.18.9.7\r\n")
        XCTAssertEqual(try s.read(), """
            198.18.9.7 matches 198.18.9.0/24 (static)
              next hops                         2, one per flow
                via 198.18.1.2 dev p1           resolved
                via 198.18.1.3 dev p1 weight 3  not resolved (its flows are dropped as no_neighbor)
            swiftfwd> 
            """)
        let object = try s.json("show route 198.18.9.7 json")
        let route = try XCTUnwrap(object["route"] as? [String: Any])
        let hops = try XCTUnwrap(route["next_hops"] as? [[String: Any]])
        XCTAssertEqual(hops.map { $0["next_hop"] as? String }, ["via 198.18.1.2 dev p1", "via 198.18.1.3 dev p1"])
        XCTAssertEqual(hops.map { $0["weight"] as? Int }, [1, 3])
        XCTAssertEqual(hops.map { $0["resolved"] as? Bool }, [true, false])
        XCTAssertEqual(route["resolved"] as? Bool, false)
    }
}
