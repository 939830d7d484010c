/// Addresses and prefixes read straight from a line's bytes, for the two places that parse
/// route changes by the hundred thousand (console `route add`/`route del` lines and
/// `route load` files): no String is made for an IPv4 address. Strict on purpose: anything
/// these refuse goes to the callers' general parsers, which explain what is wrong.
extension IPAddress {
    /// An IPv4 or IPv6 address in its text form, else nil.
    public init?(asciiBytes text: ArraySlice<UInt8>) {
        if text.contains(UInt8(ascii: ":")) {
            guard let a = IPv6Address(String(decoding: text, as: UTF8.self)) else { return nil }
            self = .v6(a)
        } else {
            guard let a = IPv4Address(ascii: text) else { return nil }
            self = .v4(a)
        }
    }
}

extension IPPrefix {
    /// "ADDRESS/LENGTH" with the host bits clear, else nil (a prefix with host bits set is an
    /// error to explain, not a prefix to round down).
    public init?(asciiBytes text: ArraySlice<UInt8>) {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let digits = text[(slash + 1)...]
        guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let length = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        switch IPAddress(asciiBytes: text[..<slash]) {
        case .v4(let a)?:
            guard length <= 32, let p = IPv4Prefix(address: a, length: UInt8(length)), p.address == a else { return nil }
            self = .v4(p)
        case .v6(let a)?:
            guard length <= 128, let p = IPv6Prefix(address: a, length: UInt8(length)), p.address == a else { return nil }
            self = .v6(p)
        case nil:
            return nil
        }
    }
}
