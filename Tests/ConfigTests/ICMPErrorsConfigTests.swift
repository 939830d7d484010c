import XCTest
@testable import Config

/// The icmp_errors section: defaults, every key read, bad values refused with their place.
final class ICMPErrorsConfigTests: XCTestCase {
    private let port = "ports: [{ name: a, device: net_null0 }]\n"

    func testDefaults() throws {
        XCTAssertEqual(try accepted(port).icmpErrors, ICMPErrorsConfig(enabled: true, rate: 1000, burst: 50))
    }

    func testEverySettingIsRead() throws {
        let config = try accepted(port + "icmp_errors: {enabled: false, rate: 0, burst: 7}\n")
        XCTAssertEqual(config.icmpErrors, ICMPErrorsConfig(enabled: false, rate: 0, burst: 7))
    }

    func testBadValuesAreRefused() {
        let cases: [(String, String, String)] = [
            ("rate: -1", "icmp_errors.rate", "between 0 and 1000000"),
            ("burst: 0", "icmp_errors.burst", "between 1 and 100000"),
            ("enabled: maybe", "icmp_errors.enabled", "true or false"),
            ("rate_limit: 5", "icmp_errors.rate_limit", "unknown key; expected one of \"enabled\", \"rate\", \"burst\""),
        ]
        for (entry, keyPath, expected) in cases {
            guard let error = refusal(port + "icmp_errors:\n  \(entry)\n") else { continue }
            XCTAssertEqual(error.line, 3, entry)
            XCTAssertEqual(error.keyPath, keyPath, entry)
            XCTAssertTrue(error.message.contains(expected), "\(entry): \(error.message)")
        }
    }
}
