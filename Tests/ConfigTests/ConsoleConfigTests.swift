import XCTest
import Packet
@testable import Config

/// The console and metrics sections: defaults, listen addresses, the loopback rule, passwords.
final class ConsoleConfigTests: XCTestCase {
    private let port = "ports: [{ name: a, device: net_null0 }]\n"

    func testDefaults() throws {
        let config = try accepted(port)
        XCTAssertTrue(config.console.enabled)
        XCTAssertEqual(config.console.listen, ListenAddress(host: IPAddress("127.0.0.1")!, port: 5002))
        XCTAssertEqual(config.console.listen.description, "127.0.0.1:5002")
        XCTAssertFalse(config.console.allowRemote)
        XCTAssertNil(config.console.password)
        XCTAssertNil(config.console.passwordFile)
        XCTAssertEqual(config.console.maxSessions, 8)
        XCTAssertEqual(config.console.idleTimeout, 600)
        XCTAssertNil(config.metrics.listen)
        XCTAssertFalse(config.metrics.allowRemote)
    }

    func testEverySettingIsRead() throws {
        let config = try accepted(port + """
        console:
          enabled: true
          listen: "[::1]:6002"
          password: s3cret
          max_sessions: 2
          idle_timeout: 0
        metrics:
          listen: 127.0.0.2:9109
        """)
        XCTAssertEqual(config.console.listen, ListenAddress(host: IPAddress("::1")!, port: 6002))
        XCTAssertEqual(config.console.listen.description, "[::1]:6002")
        XCTAssertEqual(config.console.password, "s3cret")
        XCTAssertEqual(config.console.maxSessions, 2)
        XCTAssertEqual(config.console.idleTimeout, 0)
        XCTAssertEqual(config.metrics.listen?.description, "127.0.0.2:9109")
    }

    func testEmptySectionsTakeDefaults() throws {
        let config = try accepted(port + "console:\nmetrics:\n")
        XCTAssertEqual(config.console.listen.port, 5002)
        XCTAssertNil(config.metrics.listen)
    }

    func testRemoteListenNeedsAllowRemote() {
        assertRefused(port + "console:\n  listen: 0.0.0.0:5002\n", line: 3, column: 11, keyPath: "console.listen",
                      message: "0.0.0.0:5002 is not a loopback address, and the console gives control of the forwarder to anyone who reaches it; set console.allow_remote: true to listen there (and set a password), or listen on 127.0.0.1")
        assertRefused(port + "metrics:\n  listen: \"[2001:db8::1]:9100\"\n", line: 3, column: 11, keyPath: "metrics.listen",
                      message: "[2001:db8::1]:9100 is not a loopback address, and the metrics show the forwarder's traffic to anyone who reaches them; set metrics.allow_remote: true to listen there, or listen on 127.0.0.1")
    }

    func testRemoteListenWithAllowRemote() throws {
        let config = try accepted(port + """
        console: { listen: "0.0.0.0:5002", allow_remote: true }
        metrics: { allow_remote: true, listen: "[::]:9100" }
        """)
        XCTAssertTrue(config.console.allowRemote)
        XCTAssertTrue(config.console.listen.isUnspecified)
        XCTAssertFalse(config.console.listen.isLoopback)
        XCTAssertEqual(config.metrics.listen?.description, "[::]:9100")
    }

    func testDisabledConsoleMayNameAnyAddress() throws {
        let config = try accepted(port + "console: { enabled: false, listen: 0.0.0.0:5002 }\n")
        XCTAssertFalse(config.console.enabled)
    }

    func testListenAddressErrors() {
        let cases: [(String, String)] = [
            ("5002", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002, found 5002, which has no port"),
            ("localhost:5002", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002, found \"localhost:5002\", whose host is not an IP address (names such as localhost are not looked up; use 127.0.0.1)"),
            ("\"::1:5002\"", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002, found \"::1:5002\"; write an IPv6 address in brackets, as in [::1]:5002"),
            ("127.0.0.1:0", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002 with a port between 1 and 65535, found \"127.0.0.1:0\""),
            ("127.0.0.1:65536", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002 with a port between 1 and 65535, found \"127.0.0.1:65536\""),
            ("127.0.0.1:x", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002 with a port between 1 and 65535, found \"127.0.0.1:x\""),
            ("\"[::1]5002\"", "expected an address and port such as 127.0.0.1:5002 or [::1]:5002, found \"[::1]5002\""),
            ("224.0.0.1:5002", "224.0.0.1 is a multicast address; a server listens on a unicast address such as 127.0.0.1"),
        ]
        for (text, message) in cases {
            assertRefused(port + "console:\n  listen: \(text)\n", line: 3, column: 11, keyPath: "console.listen", message: message)
        }
    }

    func testUnknownKeySuggests() {
        assertRefused(port + "console:\n  max_session: 4\n", line: 3, column: 3, keyPath: "console.max_session",
                      message: "unknown key; did you mean \"max_sessions\"?")
        assertRefused(port + "metrics:\n  listne: 127.0.0.1:9100\n", line: 3, column: 3, keyPath: "metrics.listne",
                      message: "unknown key; did you mean \"listen\"?")
    }

    func testRanges() {
        assertRefused(port + "console:\n  max_sessions: 0\n", line: 3, column: 17, keyPath: "console.max_sessions",
                      message: "expected an integer between 1 and 256, found 0")
        assertRefused(port + "console:\n  idle_timeout: -1\n", line: 3, keyPath: "console.idle_timeout",
                      message: "expected an integer between 0 and 86400, found -1")
        assertRefused(port + "console:\n  enabled: yes\n", line: 3, keyPath: "console.enabled",
                      message: "expected true or false, found \"yes\"")
    }

    func testSamePortTwiceIsRefused() {
        assertRefused(port + "metrics:\n  listen: 127.0.0.1:5002\n", line: 3, column: 11, keyPath: "metrics.listen",
                      message: "127.0.0.1:5002 overlaps console.listen (127.0.0.1:5002), and the two need different ports")
        assertRefused(port + "console: { listen: 0.0.0.0:7000, allow_remote: true }\nmetrics:\n  listen: 127.0.0.1:7000\n",
                      line: 4, keyPath: "metrics.listen",
                      message: "127.0.0.1:7000 overlaps console.listen (0.0.0.0:7000), and the two need different ports")
    }

    func testSamePortOnOtherAddressOrFamilyIsAccepted() throws {
        let config = try accepted(port + "metrics:\n  listen: \"[::1]:5002\"\n")
        XCTAssertEqual(config.metrics.listen?.port, 5002)
        _ = try accepted(port + "metrics:\n  listen: 127.0.0.2:5002\n")
    }

    func testPasswordFileIsReadWithoutItsLineBreak() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftfwd-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("console.pw")
        try Data("correct horse\r\n".utf8).write(to: file)
        let config = try accepted(port + "console:\n  password_file: \(file.path)\n")
        XCTAssertEqual(config.console.password, "correct horse")
        XCTAssertEqual(config.console.passwordFile, file.path)

        // A relative path is taken from the configuration file's folder.
        let yaml = port + "console:\n  password_file: console.pw\n"
        let configFile = dir.appendingPathComponent("swiftfwd.yaml")
        try Data(yaml.utf8).write(to: configFile)
        let loaded = try ConfigLoader.load(path: configFile.path)
        XCTAssertEqual(loaded.console.password, "correct horse")
        XCTAssertEqual(loaded.console.passwordFile, file.path)
    }

    func testPasswordFileErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftfwd-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing").path
        assertRefused(port + "console:\n  password_file: \(missing)\n", line: 3, column: 18, keyPath: "console.password_file",
                      message: "the password file \(missing) does not exist")
        let empty = dir.appendingPathComponent("empty")
        try Data("\n".utf8).write(to: empty)
        assertRefused(port + "console:\n  password_file: \(empty.path)\n", line: 3, keyPath: "console.password_file",
                      message: "the password file \(empty.path) is empty; put the password on its first line")
        let twoLines = dir.appendingPathComponent("two")
        try Data("a\nb\n".utf8).write(to: twoLines)
        assertRefused(port + "console:\n  password_file: \(twoLines.path)\n", line: 3, keyPath: "console.password_file",
                      message: "the password file \(twoLines.path) holds more than one line; put only the password in it")
        assertRefused(port + "console:\n  password: x\n  password_file: \(twoLines.path)\n", line: 4, keyPath: "console.password_file",
                      message: "give either console.password or console.password_file, not both")
        assertRefused(port + "console:\n  password: \"\"\n", line: 3, keyPath: "console.password",
                      message: "expected a password, found \"\"")
    }
}

extension ConsoleConfigTests {
    func testExampleFileSetsTheConsoleAndMetrics() throws {
        let config = try ConfigLoader.load(path: try XCTUnwrap(repositoryFile("config/example.yaml")))
        XCTAssertEqual(config.console.listen.description, "127.0.0.1:5002")
        XCTAssertEqual(config.console.maxSessions, 8)
        XCTAssertEqual(config.console.idleTimeout, 600)
        XCTAssertNil(config.console.password)
        XCTAssertEqual(config.metrics.listen?.description, "127.0.0.1:9100")
    }
}
