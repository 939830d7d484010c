import Packet

/// The two lines a routing daemon sends by the thousand, `route add PREFIX via ADDRESS` and
/// `route del PREFIX` (each optionally ending in ` json`), read straight from the line's bytes.
///
/// Why: at 100,000 changes a second the general parser (word matching with abbreviations and
/// suggestions, String slicing) took about 25 us a line on the console's event loop, more than
/// the forwarding tables took to apply the change. This reads the exact, well-formed spelling
/// only; anything else (an abbreviation, a second space, an error to explain) returns nil and
/// goes through CommandParser, which gives the same command for what this accepts.
enum FastChangeParser {
    static func parse(_ line: [UInt8]) -> (change: ConsoleChange, json: Bool)? {
        var words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        var json = false
        if words.count >= 4, words.last!.elementsEqual("json".utf8) {
            json = true
            words.removeLast()
        }
        guard words.count >= 3, words[0].elementsEqual("route".utf8) else { return nil }
        if words.count == 3, words[1].elementsEqual("del".utf8), let p = prefix(words[2]) {
            return (.deleteRoute(p), json)
        }
        guard words.count == 5, words[1].elementsEqual("add".utf8), words[3].elementsEqual("via".utf8),
              let p = prefix(words[2]), let gateway = address(words[4]), gateway.familyName == p.familyName else { return nil }
        return (.addRouteVia(p, gateway), json)
    }

    /// A prefix with its host bits clear, else nil.
    static func prefix(_ text: ArraySlice<UInt8>) -> IPPrefix? {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let digits = text[(slash + 1)...]
        guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let length = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        switch address(text[..<slash]) {
        case .v4(let a)?:
            guard length <= 32, let p = IPv4Prefix(address: a, length: UInt8(length)), p.address == a else { return nil }
            return .v4(p)
        case .v6(let a)?:
            guard length <= 128, let p = IPv6Prefix(address: a, length: UInt8(length)), p.address == a else { return nil }
            return .v6(p)
        case nil:
            return nil
        }
    }

    static func address(_ text: ArraySlice<UInt8>) -> IPAddress? {
        if text.contains(UInt8(ascii: ":")) {
            return IPv6Address(String(decoding: text, as: UTF8.self)).map { .v6($0) }
        }
        return IPv4Address(ascii: text).map { .v4($0) }
    }
}
