/// Either family, for configuration and control-plane code (never the per-packet path).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// "IPv4" or "IPv6", for messages.
    public var familyName: String {
        switch self {
        case .v4: return "IPv4"
        case .v6: return "IPv6"
        }
    }

    public var ipv4: IPv4Address? { if case .v4(let a) = self { return a } else { return nil } }
    public var ipv6: IPv6Address? { if case .v6(let a) = self { return a } else { return nil } }

    public init?(_ text: String) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
}

public enum IPPrefix: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Prefix)
    case v6(IPv6Prefix)

    /// "IPv4" or "IPv6", for messages.
    public var familyName: String {
        switch self {
        case .v4: return "IPv4"
        case .v6: return "IPv6"
        }
    }

    public init?(_ text: String) {
        if let p = IPv4Prefix(text) { self = .v4(p) } else if let p = IPv6Prefix(text) { self = .v6(p) } else { return nil }
    }

    public var length: UInt8 {
        switch self {
        case .v4(let p): return p.length
        case .v6(let p): return p.length
        }
    }

    public func contains(_ address: IPAddress) -> Bool {
        switch (self, address) {
        case (.v4(let p), .v4(let a)): return p.contains(a)
        case (.v6(let p), .v6(let a)): return p.contains(a)
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .v4(let p): return p.description
        case .v6(let p): return p.description
        }
    }
}

/// An address on an interface together with its subnet length ("198.18.0.1/24"): unlike
/// `IPPrefix` it keeps the host bits, since they name the router's own address.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: UInt8

    public init?(_ text: String) {
        let maxLength: UInt8 = text.contains(":") ? 128 : 32
        guard let (addr, len) = parseAddressAndLength(text, maxLength: maxLength),
              let a = IPAddress(String(addr)) else { return nil }
        address = a
        length = len
    }

    public var subnet: IPPrefix {
        switch address {
        case .v4(let a): return .v4(IPv4Prefix(address: a, length: length)!)
        case .v6(let a): return .v6(IPv6Prefix(address: a, length: length)!)
        }
    }

    public var description: String { "\(address)/\(length)" }
}
