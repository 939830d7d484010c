import XCTest
@testable import Config

/// YAML that cannot be parsed at all: the position comes from libyaml, the key path is empty.
final class SyntaxErrorTests: XCTestCase {
    func testBadIndentationNamesLineAndColumn() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
           mtu: 1500
        """, line: 4, column: 4, keyPath: "",
        message: "YAML syntax error: did not find expected '-' indicator (while parsing a block collection that started at line 2, column 3)")
    }

    func testUnclosedFlowSequence() {
        assertRefused("ports: [a, b\nlog: {}\n", line: 2, column: 4, keyPath: "",
                      message: "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that started at line 1, column 8)")
    }

    func testMappingValueInsidePlainScalar() {
        assertRefused("ports: a: b\n", line: 1, column: 9, keyPath: "",
                      message: "YAML syntax error: mapping values are not allowed in this context")
    }

    func testTabIndentationSaysToUseSpaces() {
        assertRefused("ports:\n\t- name: a\n", line: 2, column: 1, keyPath: "",
                      message: "YAML syntax error: found a tab, but YAML indentation must use spaces")
    }

    func testDuplicateKeyPointsAtTheRepetition() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
            mtu: 1500
            mtu: 9000
        """, line: 5, column: 5, keyPath: "",
        message: "YAML error: key \"mtu\" is given again in the same mapping (first at line 4), and each key can be given once")
    }

    func testSecondDocumentIsRefused() {
        assertRefused("ports: []\n---\nlog: {}\n", line: 2, column: 1, keyPath: "",
                      message: "YAML syntax error: found a second document, but the configuration must be a single YAML document")
    }

    func testEmptyFile() {
        assertRefused("# nothing here\n", line: 1, column: 1, keyPath: "",
                      message: "the file holds no settings; expected a mapping with at least a ports list")
    }

    func testTopLevelMustBeAMapping() {
        assertRefused("- ports\n", line: 1, column: 1, keyPath: "",
                      message: "expected a mapping of sections (eal, ports, routes, ...), found a list")
    }

    func testSyntaxErrorDescriptionHasNoEmptyKeyPathField() {
        let error = refusal("ports: a: b\n")
        XCTAssertEqual(error?.description, "test.yaml:1:9: YAML syntax error: mapping values are not allowed in this context")
    }

    func testUnreadableFileIsAConfigErrorAtLineZero() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftfwd-config-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("latin1.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([0x70, 0x3A, 0x20, 0xE9, 0x0A])))
        XCTAssertThrowsError(try ConfigLoader.load(path: path)) { error in
            XCTAssertEqual(error as? ConfigError,
                           ConfigError(file: path, line: 0, column: 0, keyPath: "", message: "the configuration file is not UTF-8 text"))
        }
    }
}
