import Packet

// Readers for addresses, prefixes and MACs. Each refusal says what kind of value was expected
// and, where the text is nearly right (a /33, host bits set, a multicast MAC), what is wrong
// with it, because "invalid address" alone leaves the reader guessing.

extension ConfigValue {
    /// A unicast MAC for a port or neighbor: group MACs (I/G bit set, which includes broadcast)
    /// and the all-zero MAC can never be the source or destination of a forwarded frame.
    func unicastMAC(for owner: String) throws -> MACAddress {
        let text = try string(what: "a MAC address such as 02:00:00:00:00:01")
        guard let mac = MACAddress(text) else {
            throw error("expected a MAC address such as 02:00:00:00:00:01, found \(found)")
        }
        if mac.isGroup {
            throw error("\(mac) is a group (multicast) MAC address, but a \(owner) needs a unicast MAC (first octet even)")
        }
        if mac.isZero {
            throw error("00:00:00:00:00:00 is not a usable MAC address; a \(owner) needs a unicast MAC")
        }
        return mac
    }

    /// A route destination. Host bits must be clear: `198.18.4.1/24` is refused (as `ip route`
    /// does) because it usually means the wrong length was typed.
    func routePrefix() throws -> IPPrefix {
        let example = "a prefix such as 198.18.4.0/24 or 2001:db8:4::/48"
        let (address, length) = try addressAndLength(example: example)
        switch address {
        case .v4(let a):
            let p = IPv4Prefix(address: a, length: length)!
            guard p.address == a else { throw error("\(a)/\(length) has host bits set; did you mean \(p)?") }
            return .v4(p)
        case .v6(let a):
            let p = IPv6Prefix(address: a, length: length)!
            guard p.address == a else { throw error("\(a)/\(length) has host bits set; did you mean \(p)?") }
            return .v6(p)
        }
    }

    /// One of the router's own addresses with its subnet. It must be a unicast host address:
    /// the network and broadcast addresses of an IPv4 subnet longer than /31 (RFC 3021 lets a
    /// /31 use both) would make the router answer for the whole subnet.
    func interfaceAddress() throws -> InterfaceAddress {
        let (address, length) = try addressAndLength(example: "an address with its prefix length such as 198.18.0.1/24 or 2001:db8::1/64")
        if let problem = address.notUnicastReason {
            throw error("\(address) is \(problem), but an interface address must be a unicast host address")
        }
        if case .v4(let a) = address, length < 31 {
            let subnet = IPv4Prefix(address: a, length: length)!
            let broadcast = IPv4Address(subnet.address.value | ~IPv4Prefix.mask(length))
            let firstHost = IPv4Address(subnet.address.value + 1)
            if a == subnet.address {
                throw error("\(a) is the network address of \(subnet); use a host address such as \(firstHost)/\(length)")
            }
            if a == broadcast {
                throw error("\(a) is the broadcast address of \(subnet); use a host address such as \(firstHost)/\(length)")
            }
        }
        guard let result = InterfaceAddress("\(address)/\(length)") else {
            throw error("expected an address with its prefix length such as 198.18.0.1/24, found \(found)")
        }
        return result
    }

    /// A neighbor or next-hop address: unicast, and without a prefix length.
    func hostAddress(for owner: String) throws -> IPAddress {
        let example = "an IPv4 or IPv6 address such as 198.18.0.2 or 2001:db8::2"
        let text = try string(what: example)
        guard let address = IPAddress(text) else {
            if text.contains("/"), IPPrefix(text) != nil {
                throw error("expected \(example) without a prefix length, found \(found)")
            }
            throw error("expected \(example), found \(found)")
        }
        if let problem = address.notUnicastReason {
            throw error("\(address) is \(problem), but a \(owner) must be a unicast address")
        }
        return address
    }

    /// Splits "address/length" and checks the length against the address family, so a /33
    /// or /129 is named as such instead of being called garbage.
    private func addressAndLength(example: String) throws -> (IPAddress, UInt8) {
        let text = try string(what: example)
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])) else {
            if parts.count == 1, IPAddress(text) != nil {
                throw error("expected \(example), found \(found), which has no prefix length")
            }
            throw error("expected \(example), found \(found)")
        }
        let family: (name: String, max: Int)
        switch address {
        case .v4: family = ("IPv4", 32)
        case .v6: family = ("IPv6", 128)
        }
        guard let length = ConfigValue.parseInteger(String(parts[1])), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw error("expected \(example), found \(found), whose prefix length is not a number")
        }
        guard length <= family.max else {
            throw error("expected an \(family.name) prefix length between 0 and \(family.max), found /\(length) in \(found)")
        }
        return (address, UInt8(length))
    }
}

extension IPAddress {
    /// Why this address cannot be a unicast host (as a noun phrase), or nil when it can.
    var notUnicastReason: String? {
        switch self {
        case .v4(let a):
            if a.value == 0 { return "the unspecified address" }
            if a.value == 0xFFFF_FFFF { return "the limited broadcast address" }
            if a.value >> 28 == 0xE { return "a multicast address" }        // 224.0.0.0/4, RFC 5771
            if a.value >> 24 == 127 { return "a loopback address" }         // 127.0.0.0/8, RFC 1122 3.2.1.3
        case .v6(let a):
            if a.high == 0 && a.low == 0 { return "the unspecified address" }
            if a.high == 0 && a.low == 1 { return "the loopback address" }
            if a.high >> 56 == 0xFF { return "a multicast address" }         // ff00::/8, RFC 4291 2.7
        }
        return nil
    }
}
