/// An IPv4 address held in host byte order, so that prefix arithmetic is plain integer math.
/// Packet headers store it in network order; `init(networkOrder:)` converts.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    @inlinable public init(_ value: UInt32) { self.value = value }
    @inlinable public init(networkOrder raw: UInt32) { self.value = UInt32(bigEndian: raw) }
    @inlinable public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text ("198.18.0.1"); nil for anything else (no shorthand forms).
    public init?(_ text: Substring) {
        var result: UInt32 = 0
        var octets = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            // Leading zeros are refused: some parsers read them as octal.
            if part.count > 1 && part.first == "0" { return nil }
            result = result << 8 | octet
            octets += 1
        }
        guard octets == 4 else { return nil }
        value = result
    }
    public init?(_ text: String) { self.init(Substring(text)) }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    @inlinable public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}

/// An IPv4 prefix; the address is always stored with its host bits cleared.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public let address: IPv4Address
    public let length: UInt8

    @inlinable public static func mask(_ length: UInt8) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
    }

    public init?(address: IPv4Address, length: UInt8) {
        guard length <= 32 else { return nil }
        self.address = IPv4Address(address.value & IPv4Prefix.mask(length))
        self.length = length
    }

    /// Parses "a.b.c.d/len"; host bits are cleared.
    public init?(_ text: String) {
        guard let (addr, len) = parseAddressAndLength(text, maxLength: 32),
              let address = IPv4Address(addr) else { return nil }
        self.init(address: address, length: len)
    }

    @inlinable public func contains(_ a: IPv4Address) -> Bool {
        a.value & IPv4Prefix.mask(length) == address.value
    }

    public var description: String { "\(address)/\(length)" }
}

/// Splits "addr/len" and checks the length against the family's maximum.
func parseAddressAndLength(_ text: String, maxLength: UInt8) -> (Substring, UInt8)? {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[1].isEmpty, parts[1].count <= 3,
          parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
          let len = UInt8(parts[1]), len <= maxLength else { return nil }
    return (parts[0], len)
}

extension IPv4Address {
    /// Parses dotted-quad ASCII bytes with the same rules as `init?(_: Substring)`, without
    /// building Strings: loading a million-route file spends its time here.
    public init?<Bytes: Collection>(ascii bytes: Bytes) where Bytes.Element == UInt8 {
        var result: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var octets = 0
        var leadingZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                result = result << 8 | octet
                octets += 1
                octet = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 else { return nil }
            // Leading zeros are refused: some parsers read them as octal.
            if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return nil }
            octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            guard octet <= 255 else { return nil }
            digits += 1
        }
        guard digits > 0, octets == 3 else { return nil }
        value = result << 8 | octet
    }
}
