import XCTest
@testable import Config

/// Every file in config/bad/ is refused with exactly the error its first line promises
/// (`# expect: line:column: key.path: message`), through the same `load(path:)` the binary uses.
final class BadConfigFileTests: XCTestCase {
    func testEveryBadConfigIsRefusedAsItsFirstLineSays() throws {
        let dir = try XCTUnwrap(repositoryFile("config/bad"), "config/bad not found")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for name in files {
            let path = dir + "/" + name
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let firstLine = String(text.prefix { $0 != "\n" })
            guard firstLine.hasPrefix("# expect: ") else {
                XCTFail("\(name) does not start with \"# expect: \"")
                continue
            }
            let expected = path + ":" + firstLine.dropFirst("# expect: ".count)
            XCTAssertThrowsError(try ConfigLoader.load(path: path), name) { error in
                XCTAssertEqual((error as? ConfigError)?.description, expected, name)
            }
        }
    }
}
