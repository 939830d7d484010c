import XCTest
import Packet

final class IPv4AddressTests: XCTestCase {
    func testParsesDottedQuadIntoHostOrderValue() {
        XCTAssertEqual(IPv4Address("198.18.0.1")?.value, 0xC612_0001)
        XCTAssertEqual(IPv4Address("0.0.0.0")?.value, 0)
        XCTAssertEqual(IPv4Address("255.255.255.255")?.value, 0xFFFF_FFFF)
        XCTAssertEqual(IPv4Address("198.19.255.254")?.value, 0xC613_FFFE)
        XCTAssertEqual(IPv4Address(Substring("198.18.10.200")), IPv4Address(198, 18, 10, 200))
    }

    func testPrintsDottedQuad() {
        XCTAssertEqual(IPv4Address(0xC612_0001).description, "198.18.0.1")
        XCTAssertEqual(IPv4Address(0).description, "0.0.0.0")
        XCTAssertEqual(IPv4Address(0xFFFF_FFFF).description, "255.255.255.255")
        XCTAssertEqual(IPv4Address(198, 18, 100, 7).description, "198.18.100.7")
    }

    func testRoundTripsRandomAddresses() {
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<2000 {
            let address = IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng))
            XCTAssertEqual(IPv4Address(address.description), address, address.description)
        }
    }

    func testRefusesMalformedText() {
        let refused = [
            "", ".", "...", "198.18.0", "198.18.0.1.2", "198.18..1", ".198.18.0.1", "198.18.0.1.",
            "256.0.0.1", "198.18.0.256", "198.18.999.1", "1000.18.0.1",
            "198.18.0.-1", "+198.18.0.1", "198.18.0.+1", "0x1.18.0.1", "198.18.0.a", "198.18.0.1a",
            " 198.18.0.1", "198.18.0.1 ", "198.18.0.1/24", "198.18.0.1:80", "::1",
            "١٩٨.18.0.1",  // Arabic-Indic digits are numbers, but not ASCII
            "198.18.0.1\n",
        ]
        for text in refused { XCTAssertNil(IPv4Address(text), "accepted \(text.debugDescription)") }
    }

    /// Leading zeros are refused: inet_aton reads "010" as octal 8, so the text is ambiguous.
    func testRefusesLeadingZeros() {
        for text in ["01.18.0.1", "198.018.0.1", "198.18.00.1", "198.18.0.01", "198.18.0.001", "000.0.0.0"] {
            XCTAssertNil(IPv4Address(text), "accepted \(text)")
        }
        XCTAssertNotNil(IPv4Address("198.18.0.0"), "a single zero is not a leading zero")
    }

    func testNetworkOrderInitialiserAndOrdering() {
        let wire: [UInt8] = [198, 18, 1, 2]
        let raw = wire.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        XCTAssertEqual(IPv4Address(networkOrder: raw), IPv4Address("198.18.1.2"))
        XCTAssertLessThan(IPv4Address("198.18.0.255")!, IPv4Address("198.18.1.0")!)
        XCTAssertLessThan(IPv4Address("9.255.255.255")!, IPv4Address("10.0.0.0")!)
    }
}

final class MACAddressTests: XCTestCase {
    func testParsesColonsAndDashesInEitherCase() {
        XCTAssertEqual(MACAddress("02:00:00:00:00:01")?.value, 0x0200_0000_0001)
        XCTAssertEqual(MACAddress("02-00-00-00-00-01")?.value, 0x0200_0000_0001)
        XCTAssertEqual(MACAddress("AA:bb:Cc:dD:EE:ff")?.value, 0xAABB_CCDD_EEFF)
        XCTAssertEqual(MACAddress("00:00:00:00:00:00")?.isZero, true)
    }

    func testPrintsLowerCaseWithColons() {
        XCTAssertEqual(MACAddress("AA-BB-CC-0D-0E-0F")?.description, "aa:bb:cc:0d:0e:0f")
        XCTAssertEqual(MACAddress(0x0200_0000_0001).description, "02:00:00:00:00:01")
    }

    func testRefusesMalformedText() {
        let refused = [
            "", "02:00:00:00:00", "02:00:00:00:00:01:02", "2:00:00:00:00:01", "002:00:00:00:00:01",
            "02:00:00:00:00:1", "0g:00:00:00:00:01", "02:00:00:00:00:01:", ":02:00:00:00:00:01",
            "02::00:00:00:00:01", "0200.0000.0001", "020000000001", " 02:00:00:00:00:01",
            "0x:00:00:00:00:01",
        ]
        for text in refused { XCTAssertNil(MACAddress(text), "accepted \(text.debugDescription)") }
    }

    /// An octet is exactly two hex digits. (Fails against MACAddress.init: `UInt8(_:radix:)`
    /// accepts a leading "+" or "-", so "+2" reads as 0x02.)
    func testRefusesSignCharactersInOctets() {
        for text in ["+2:00:00:00:00:01", "02:00:00:00:00:+1", "02:00:00:00:00:-0", "-0:00:00:00:00:00"] {
            XCTAssertNil(MACAddress(text), "accepted \(text.debugDescription) as \(MACAddress(text).map { "\($0)" } ?? "")")
        }
    }

    /// The I/G bit is the least significant bit of the first octet (IEEE 802-2014 8.2).
    func testGroupBit() {
        for text in ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01", "01:00:00:00:00:00", "03:00:00:00:00:00"] {
            XCTAssertEqual(MACAddress(text)?.isGroup, true, text)
        }
        for text in ["02:00:00:00:00:01", "00:00:00:00:00:00", "fe:ff:ff:ff:ff:ff", "00:01:00:00:00:00", "00:00:00:00:00:01"] {
            XCTAssertEqual(MACAddress(text)?.isGroup, false, text)
        }
    }

    func testIntegerInitialiserKeepsOnly48Bits() {
        XCTAssertEqual(MACAddress(0xFFFF_0200_0000_0001).value, 0x0200_0000_0001)
    }

    func testBytesStoreAndLoadAreWireOrder() {
        let mac = MACAddress("02:11:22:33:44:55")!
        XCTAssertEqual(mac.bytes, [0x02, 0x11, 0x22, 0x33, 0x44, 0x55])
        XCTAssertEqual(MACAddress(bytes: [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]), mac)
        var buffer = [UInt8](repeating: 0xEE, count: 8)
        buffer.withUnsafeMutableBytes { mac.store(to: $0.baseAddress! + 1) }
        XCTAssertEqual(buffer, [0xEE, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0xEE])
        let loaded = buffer.withUnsafeBytes { MACAddress(loadingFrom: $0.baseAddress! + 1) }
        XCTAssertEqual(loaded, mac)
    }
}
