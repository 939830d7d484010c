import XCTest
@testable import Packet

/// The byte-level readers the route-change parsers share: they accept exactly the canonical
/// prefixes and addresses and refuse the rest (which then go to the explaining parsers).
final class ASCIIAddressParsingTests: XCTestCase {
    private func prefix(_ text: String) -> IPPrefix? { IPPrefix(asciiBytes: Array(text.utf8)[...]) }
    private func address(_ text: String) -> IPAddress? { IPAddress(asciiBytes: Array(text.utf8)[...]) }

    func testAcceptsPrefixesOfBothFamiliesAsTheStringParserReadsThem() {
        for text in ["198.18.4.0/24", "0.0.0.0/0", "198.18.1.2/32", "2001:db8:4::/48", "::/0", "2001:db8::1/128"] {
            XCTAssertEqual(prefix(text), IPPrefix(text), text)
            XCTAssertNotNil(prefix(text), text)
        }
    }

    func testRefusesHostBitsBadLengthsAndGarbage() {
        for text in ["198.18.4.1/24", "198.18.4.0/33", "2001:db8::/129", "2001:db8::1/64", "198.18.4.0", "198.18.4.0/",
                     "198.18.4.0/0024", "198.18.4.0/2x", "198.18.4/24", "/24", "198.18.004.0/24", "x:y::/16", ""] {
            XCTAssertNil(prefix(text), text)
        }
    }

    func testAddresses() {
        XCTAssertEqual(address("198.18.1.2"), IPAddress("198.18.1.2"))
        XCTAssertEqual(address("2001:db8:1::2"), IPAddress("2001:db8:1::2"))
        for text in ["198.18.1", "198.18.1.256", "2001:db8::g", "", " 198.18.1.2"] { XCTAssertNil(address(text), text) }
    }
}
