import XCTest
@testable import Config

/// Parses `yaml` and returns the ConfigError it is refused with, failing the test if it is
/// accepted or fails some other way.
func refusal(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        XCTFail("the configuration was accepted", file: file, line: line)
    } catch let error as ConfigError {
        return error
    } catch {
        XCTFail("expected a ConfigError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Asserts the exact place and sentence of a refusal: the issue asks for the message text,
/// line and key path of each case to be pinned down.
func assertRefused(_ yaml: String, line expectedLine: Int, column expectedColumn: Int? = nil, keyPath: String,
                   message: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let error = refusal(yaml, file: file, line: line) else { return }
    XCTAssertEqual(error.file, "test.yaml", file: file, line: line)
    XCTAssertEqual(error.line, expectedLine, "line of: \(error)", file: file, line: line)
    if let expectedColumn { XCTAssertEqual(error.column, expectedColumn, "column of: \(error)", file: file, line: line) }
    XCTAssertEqual(error.keyPath, keyPath, "key path of: \(error)", file: file, line: line)
    XCTAssertEqual(error.message, message, file: file, line: line)
}

/// Parses a configuration that must be accepted.
func accepted(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> SwiftfwdConfig {
    do {
        return try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
    } catch {
        XCTFail("refused: \(error)", file: file, line: line)
        throw error
    }
}

/// The repository's config/example.yaml, found from this source file even when the test
/// target is reached through a symlink.
func repositoryFile(_ relative: String) -> String? {
    var dir = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
        let candidate = dir.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}

/// Two ports for route and neighbor cases: wan (198.18.0.1/24, 2001:db8:0:1::1/64, lines 2-4)
/// and lan (198.18.1.1/24, lines 5-7). Error line numbers in those tests count from here.
let twoRoutedPorts = """
ports:
  - name: wan
    device: net_null0
    addresses: [198.18.0.1/24, "2001:db8:0:1::1/64"]
  - name: lan
    device: net_null1
    addresses: [198.18.1.1/24]

"""
