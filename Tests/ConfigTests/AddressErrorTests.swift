import XCTest
@testable import Config

/// Prefixes, interface addresses, next-hop addresses and MACs that are refused, each with the
/// reason named rather than a generic "invalid".
final class AddressErrorTests: XCTestCase {
    /// A port whose `addresses` list holds `address` at line 5, column 9.
    private func port(address: String) -> String {
        "ports:\n  - name: a\n    device: net_null0\n    addresses:\n      - \(address)\n"
    }

    func testInterfaceAddressIPv4LengthOver32() {
        assertRefused(port(address: "198.18.0.1/33"), line: 5, column: 9, keyPath: "ports[0].addresses[0]",
                      message: "expected an IPv4 prefix length between 0 and 32, found /33 in \"198.18.0.1/33\"")
    }

    func testInterfaceAddressIPv6LengthOver128() {
        assertRefused(port(address: "\"2001:db8::1/129\""), line: 5, column: 9, keyPath: "ports[0].addresses[0]",
                      message: "expected an IPv6 prefix length between 0 and 128, found /129 in \"2001:db8::1/129\"")
    }

    func testInterfaceAddressGarbage() {
        assertRefused(port(address: "198.18.0.300/24"), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "expected an address with its prefix length such as 198.18.0.1/24 or 2001:db8::1/64, found \"198.18.0.300/24\"")
        assertRefused(port(address: "198.18.0.1/x"), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "expected an address with its prefix length such as 198.18.0.1/24 or 2001:db8::1/64, found \"198.18.0.1/x\", whose prefix length is not a number")
    }

    func testInterfaceAddressWithoutLength() {
        assertRefused(port(address: "198.18.0.1"), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "expected an address with its prefix length such as 198.18.0.1/24 or 2001:db8::1/64, found \"198.18.0.1\", which has no prefix length")
    }

    func testSecondAddressIsNamedByIndex() {
        assertRefused("""
        ports:
          - name: a
            device: net_null0
          - name: b
            device: net_null1
            addresses: [198.18.1.1/24, 198.18.2.0/24]
        """, line: 6, column: 32, keyPath: "ports[1].addresses[1]",
        message: "198.18.2.0 is the network address of 198.18.2.0/24; use a host address such as 198.18.2.1/24")
    }

    func testInterfaceBroadcastAddressIsRefused() {
        assertRefused(port(address: "198.18.3.255/24"), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "198.18.3.255 is the broadcast address of 198.18.3.0/24; use a host address such as 198.18.3.1/24")
    }

    func testInterfaceMulticastAndUnspecifiedAreRefused() {
        assertRefused(port(address: "224.0.0.5/24"), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "224.0.0.5 is a multicast address, but an interface address must be a unicast host address")
        assertRefused(port(address: "\"ff02::1/64\""), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "ff02::1 is a multicast address, but an interface address must be a unicast host address")
        assertRefused(port(address: "0.0.0.0/8"), line: 5, keyPath: "ports[0].addresses[0]",
                      message: "0.0.0.0 is the unspecified address, but an interface address must be a unicast host address")
        assertRefused(port(address: "\"::/0\""), line: 5, keyPath: "ports[0].addresses[0]",
                      message: ":: is the unspecified address, but an interface address must be a unicast host address")
    }

    func testRoutePrefixLengthsAndGarbage() {
        let head = "ports:\n  - { name: a, device: net_null0, addresses: [198.18.0.1/24] }\nroutes:\n"
        assertRefused(head + "  - { prefix: 198.18.4.0/33, dev: a }\n", line: 4, column: 15, keyPath: "routes[0].prefix",
                      message: "expected an IPv4 prefix length between 0 and 32, found /33 in \"198.18.4.0/33\"")
        assertRefused(head + "  - { prefix: \"2001:db8::/129\", dev: a }\n", line: 4, keyPath: "routes[0].prefix",
                      message: "expected an IPv6 prefix length between 0 and 128, found /129 in \"2001:db8::/129\"")
        assertRefused(head + "  - { prefix: default, dev: a }\n", line: 4, keyPath: "routes[0].prefix",
                      message: "expected a prefix such as 198.18.4.0/24 or 2001:db8:4::/48, found \"default\"")
    }

    func testRoutePrefixWithHostBitsSuggestsTheNetwork() {
        assertRefused("ports:\n  - { name: a, device: net_null0 }\nroutes:\n  - prefix: 198.18.4.1/24\n    dev: a\n",
                      line: 4, column: 13, keyPath: "routes[0].prefix",
                      message: "198.18.4.1/24 has host bits set; did you mean 198.18.4.0/24?")
    }

    func testNextHopWithPrefixLength() {
        assertRefused("ports:\n  - { name: a, device: net_null0 }\nroutes:\n  - { prefix: 198.18.4.0/24, via: 198.18.0.2/24 }\n",
                      line: 4, keyPath: "routes[0].via",
                      message: "expected an IPv4 or IPv6 address such as 198.18.0.2 or 2001:db8::2 without a prefix length, found \"198.18.0.2/24\"")
    }

    func testBadMAC() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mac: 02:00:00:00:00\n", line: 4, column: 10, keyPath: "ports[0].mac",
                      message: "expected a MAC address such as 02:00:00:00:00:01, found \"02:00:00:00:00\"")
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mac: 02:00:00:00:00:zz\n", line: 4, keyPath: "ports[0].mac",
                      message: "expected a MAC address such as 02:00:00:00:00:01, found \"02:00:00:00:00:zz\"")
    }

    func testGroupMACForAPort() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mac: 01:00:5e:00:00:01\n", line: 4, column: 10, keyPath: "ports[0].mac",
                      message: "01:00:5e:00:00:01 is a group (multicast) MAC address, but a port needs a unicast MAC (first octet even)")
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mac: ff:ff:ff:ff:ff:ff\n", line: 4, keyPath: "ports[0].mac",
                      message: "ff:ff:ff:ff:ff:ff is a group (multicast) MAC address, but a port needs a unicast MAC (first octet even)")
    }

    func testGroupMACForANeighbor() {
        assertRefused("""
        ports:
          - { name: a, device: net_null0, addresses: [198.18.0.1/24] }
        neighbors:
          - address: 198.18.0.2
            mac: 33:33:00:00:00:01
            port: a
        """, line: 5, column: 10, keyPath: "neighbors[0].mac",
        message: "33:33:00:00:00:01 is a group (multicast) MAC address, but a neighbor needs a unicast MAC (first octet even)")
    }

    func testZeroMAC() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mac: 00:00:00:00:00:00\n", line: 4, keyPath: "ports[0].mac",
                      message: "00:00:00:00:00:00 is not a usable MAC address; a port needs a unicast MAC")
    }

    func testMulticastNeighborAddress() {
        assertRefused("""
        ports:
          - { name: a, device: net_null0, addresses: [198.18.0.1/24] }
        neighbors:
          - { address: 224.0.0.1, mac: "02:00:00:00:00:02", port: a }
        """, line: 4, keyPath: "neighbors[0].address",
        message: "224.0.0.1 is a multicast address, but a neighbor must be a unicast address")
    }
}

/// A quoted MAC is ordinary YAML (quotes keep colons from confusing a reader), so its refusal
/// shows the text without calling it a quoted string.
final class QuotedValueTests: XCTestCase {
    func testQuotedBadMACIsShownPlainly() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    mac: \"02:00:00:00:00:zz\"\n", line: 4, column: 10, keyPath: "ports[0].mac",
                      message: "expected a MAC address such as 02:00:00:00:00:01, found \"02:00:00:00:00:zz\"")
    }

    func testQuotedBooleanIsNamedAsAString() {
        assertRefused("ports:\n  - name: a\n    device: net_null0\n    promiscuous: \"true\"\n", line: 4, keyPath: "ports[0].promiscuous",
                      message: "expected true or false, found the quoted string \"true\"")
    }
}
