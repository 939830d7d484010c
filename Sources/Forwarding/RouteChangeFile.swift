import Packet

/// The text a bulk route change is read from (console `route load FILE`): the `routes_file`
/// format plus a delete form, one change per line, applied in order.
///
///     # comment
///     198.18.4.0/24 via 198.18.1.2      add, or replace the prefix's route
///     2001:db8:4::/48 dev p1
///     del 198.18.4.0/24                  delete
///
/// Only the syntax is checked here (prefix, host bits, address, port name); whether a next hop
/// is reachable is the table's business when the change is applied.
public enum RouteChangeFile {
    public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public struct Parsed: Sendable {
        public var changes: [TableChange] = []
        /// The line each change came from (1-based), in the order of `changes`.
        public var lines: [Int32] = []
        /// Lines that are not changes, in file order; at most `maxErrors` are kept.
        public var errors: [LineError] = []
        /// Every line in error, also those past `maxErrors`.
        public var errorCount = 0
    }

    /// Parses the whole text. Errors do not stop the reading, so a person sees the first few at
    /// once; the caller decides whether a text with errors is applied (the console refuses it).
    public static func parse(_ bytes: [UInt8], ports: [String], maxErrors: Int = 10) -> Parsed {
        var out = Parsed()
        out.changes.reserveCapacity(bytes.count / 28)
        out.lines.reserveCapacity(bytes.count / 28)
        var lineNumber = 0
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            let line = bytes[start..<end]
            start = end + 1
            let change: TableChange?
            do {
                change = try fast(line) ?? general(line, ports: ports)
            } catch let error as LineError {
                out.errorCount += 1
                if out.errors.count < maxErrors { out.errors.append(LineError(line: lineNumber, message: error.message)) }
                continue
            } catch {
                continue
            }
            if let change {
                out.changes.append(change)
                out.lines.append(Int32(truncatingIfNeeded: lineNumber))
            }
        }
        return out
    }

    /// "PREFIX via ADDRESS" and "del PREFIX", both families, read on bytes with as few Strings
    /// as possible: a full table is mostly these. Anything else, or anything wrong, returns nil
    /// for `general`, which also writes the error messages.
    static func fast(_ line: ArraySlice<UInt8>) -> TableChange? {
        var rest = line
        if rest.last == UInt8(ascii: "\r") { rest = rest.dropLast() }
        if rest.starts(with: "del ".utf8) {
            return IPPrefix(asciiBytes: rest.dropFirst(4)).map { .deleteRoute($0) }
        }
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")),
              rest[space...].starts(with: " via ".utf8),
              let p = IPPrefix(asciiBytes: rest[..<space]),
              let gateway = IPAddress(asciiBytes: rest[(space + 5)...]), gateway.familyName == p.familyName else { return nil }
        return .addRoute(p, .via(gateway))
    }

    /// Any line: blank or comment (nil), a change, or a LineError that says what is wrong.
    static func general(_ bytes: ArraySlice<UInt8>, ports: [String]) throws -> TableChange? {
        let text = String(decoding: bytes, as: UTF8.self)
        let content = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        if words.isEmpty { return nil }
        func fail(_ message: String) -> LineError { LineError(line: 0, message: message) }
        let shown = String(content.trimmingCharacters()).prefix(80)
        if words[0] == "del" {
            guard words.count == 2 else { throw fail("expected \"del PREFIX\", found \"\(shown)\"") }
            return .deleteRoute(try prefix(words[1]))
        }
        guard words.count == 3, words[1] == "via" || words[1] == "dev" else {
            throw fail("expected \"PREFIX via ADDRESS\", \"PREFIX dev PORT\" or \"del PREFIX\", found \"\(shown)\"")
        }
        let p = try prefix(words[0])
        if words[1] == "via" {
            guard let gateway = IPAddress(words[2]) else {
                throw fail("expected a next-hop address such as 198.18.1.2 or 2001:db8:1::2, found \"\(words[2].prefix(60))\"")
            }
            guard gateway.familyName == p.familyName else {
                throw fail("route \(p) is \(p.familyName) but its next hop \(gateway) is \(gateway.familyName)")
            }
            return .addRoute(p, .via(gateway))
        }
        guard let port = ports.firstIndex(of: words[2]) else {
            throw fail("no port named \"\(words[2].prefix(40))\"; the ports are \(ports.joined(separator: ", "))")
        }
        return .addRoute(p, .port(port))
    }

    static func prefix(_ word: String) throws -> IPPrefix {
        guard word.contains("/"), let p = IPPrefix(word) else {
            throw LineError(line: 0, message: "expected a prefix such as 198.18.4.0/24 or 2001:db8:4::/48, found \"\(word.prefix(60))\"")
        }
        let typed = IPAddress(String(word.prefix(while: { $0 != "/" })))
        switch (p, typed) {
        case (.v4(let q), .v4(let a)?) where q.address != a: break
        case (.v6(let q), .v6(let a)?) where q.address != a: break
        default: return p
        }
        throw LineError(line: 0, message: "\(word) has host bits set; did you mean \(p)?")
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (Foundation-free).
    func trimmingCharacters() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
