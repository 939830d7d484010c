import Foundation
import Packet
import XCTest
@testable import Config

/// `routes_file`: large static tables as plain text, with the same checks and precise errors.
final class RoutesFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("swf-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Writes a config beside a routes file (named relatively, as operators would) and loads it.
    private func load(routes: String, extraRoutes: String = "") throws -> SwiftfwdConfig {
        try routes.write(to: folder.appendingPathComponent("table.routes"), atomically: true, encoding: .utf8)
        let config = """
        ports:
          - name: p0
            device: net_null0
            addresses: [198.18.0.1/24, "2001:db8::1/64"]
          - name: p1
            device: net_null1
            addresses: [198.18.1.1/24]
        \(extraRoutes)
        routes_file: table.routes
        """
        let path = folder.appendingPathComponent("swiftfwd.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigLoader.load(path: path)
    }

    private func refusal(routes: String, extraRoutes: String = "") -> ConfigError? {
        do {
            _ = try load(routes: routes, extraRoutes: extraRoutes)
            XCTFail("accepted")
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("unexpected \(error)")
        }
        return nil
    }

    func testReadsViaAndDevRoutesCommentsAndBlankLines() throws {
        let config = try load(routes: """
        # the lab's table
        198.19.0.0/16 via 198.18.1.2

        198.19.1.0/24   dev p0   # trailing comment
        2001:db8:5::/48 via 2001:db8::2
        203.0.113.0/24 via 198.18.0.9\r
        """)
        XCTAssertEqual(config.routes.map(\.prefix), ["198.19.0.0/16", "198.19.1.0/24", "2001:db8:5::/48", "203.0.113.0/24"].map { IPPrefix($0)! })
        XCTAssertEqual(config.routes[1].nextHop, .dev(0))
        XCTAssertEqual(config.routes[2].nextHop, .via(IPAddress("2001:db8::2")!))
    }

    func testErrorsNameTheRoutesFileLineAndColumn() {
        let path = folder.appendingPathComponent("table.routes").path
        var e = refusal(routes: "198.19.0.0/16 via 198.18.1.2\n198.19.1.0/33 via 198.18.1.2\n")
        XCTAssertEqual(e?.description, "\(path):2:1: routes_file: expected a prefix such as 198.18.4.0/24 or 2001:db8:4::/48, found \"198.19.1.0/33\"")
        e = refusal(routes: "198.19.0.1/16 via 198.18.1.2\n")
        XCTAssertEqual(e?.message, "198.19.0.1/16 has host bits set; did you mean 198.19.0.0/16?")
        e = refusal(routes: "\n198.19.0.0/16 via 198.18.7.2\n")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.column, 19)
        XCTAssertTrue(e?.message.contains("not in any port's connected subnet") ?? false, "\(String(describing: e))")
        e = refusal(routes: "198.19.0.0/16 dev p2\n")
        XCTAssertEqual(e?.message, "unknown port \"p2\"; did you mean \"p0\"?")
        e = refusal(routes: "198.19.0.0/16 through 198.18.1.2\n")
        XCTAssertEqual(e?.message, "expected \"PREFIX via ADDRESS\" or \"PREFIX dev PORT\", found \"198.19.0.0/16 through 198.18.1.2\"")
        e = refusal(routes: "198.19.0.0/16 via 198.18.1.2\n198.19.0.0/16 dev p1\n")
        XCTAssertEqual(e?.message, "route 198.19.0.0/16 is already given on line 1, and each prefix can have one static route")
        e = refusal(routes: "198.19.0.0/16 via 198.18.1.2\n", extraRoutes: "routes:\n  - {prefix: 198.19.0.0/16, dev: p1}")
        XCTAssertEqual(e?.message, "route 198.19.0.0/16 is already given in the routes list, and each prefix can have one static route")
        e = refusal(routes: "198.19.0.0/16 via 198.18.1.1\n")
        XCTAssertTrue(e?.message.contains("this router's own address") ?? false)
    }

    func testMissingRoutesFileIsRefusedAtTheKey() throws {
        let path = folder.appendingPathComponent("swiftfwd.yaml").path
        try "ports:\n  - {name: p0, device: net_null0, addresses: [198.18.0.1/24]}\nroutes_file: nowhere.routes\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ConfigLoader.load(path: path)) { error in
            let e = error as? ConfigError
            XCTAssertEqual(e?.line, 3)
            XCTAssertEqual(e?.keyPath, "routes_file")
            XCTAssertTrue(e?.message.hasSuffix("nowhere.routes does not exist") ?? false, "\(error)")
        }
    }

    func testFastAndGeneralReadersAgreeOnIPv4Addresses() {
        for text in ["198.18.0.1", "0.0.0.0", "255.255.255.255", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1..2.3", "a.b.c.d", "", "1.2.3.4 "] {
            XCTAssertEqual(IPv4Address(ascii: Array(text.utf8)), IPv4Address(text), text)
        }
    }
}
