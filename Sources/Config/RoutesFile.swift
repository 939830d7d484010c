import Foundation
import Packet

/// `routes_file`: static routes in plain text, one per line, for tables too large for YAML
/// (a million routes through the YAML parser take about 40 s; this file takes about 2).
///
///     # comment
///     198.18.4.0/24 via 198.18.1.2
///     2001:db8:4::/48 dev p1
///
/// The same checks as the `routes` list apply; an error names the routes file, its line and
/// column, and the key path `routes_file`.
enum RoutesFile {
    static func load(path: String, ports: [PortConfig], alreadyGiven: [StaticRoute], mentionedAt value: ConfigValue) throws -> [StaticRoute] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (check its permissions)" : "does not exist"
            throw value.error("the routes file \(path) \(reason)")
        }
        var seen: [IPPrefix: Int] = [:]
        seen.reserveCapacity(alreadyGiven.count + data.count / 32)
        for route in alreadyGiven { seen[route.prefix] = 0 }
        var reader = Reader(path: path, ports: ports)
        var routes: [StaticRoute] = []
        routes.reserveCapacity(data.count / 32)
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        var lineStart = 0
        var lineNumber = 0
        for end in bytes.indices where bytes[end] == UInt8(ascii: "\n") {
            lineNumber += 1
            let line = bytes[lineStart..<end]
            lineStart = end + 1
            guard let route = try reader.fastIPv4(line) ?? reader.general(String(decoding: line, as: UTF8.self), lineNumber) else { continue }
            if let earlier = seen[route.prefix] {
                throw ConfigError(file: path, line: lineNumber, column: 1, keyPath: "routes_file",
                                  message: "route \(route.prefix) is already given " + (earlier == 0 ? "in the routes list" : "on line \(earlier)") + ", and each prefix can have one static route")
            }
            seen[route.prefix] = lineNumber
            routes.append(route)
        }
        return routes
    }

    struct Reader {
        let path: String
        let ports: [PortConfig]
        let portNames: [String]
        /// Next hops already checked, so a million routes via one gateway check it once.
        var goodGateways: Set<IPAddress> = []

        init(path: String, ports: [PortConfig]) {
            self.path = path
            self.ports = ports
            portNames = ports.map(\.name)
        }

        /// The common line, "a.b.c.d/len via e.f.g.h", read on bytes. Anything else (or anything
        /// wrong) returns nil and goes to `general`, which also writes the error messages.
        mutating func fastIPv4(_ line: ArraySlice<UInt8>) -> StaticRoute? {
            guard let slash = line.firstIndex(of: UInt8(ascii: "/")),
                  let space = line[slash...].firstIndex(of: UInt8(ascii: " ")),
                  line[space...].starts(with: " via ".utf8),
                  let address = IPv4Address(ascii: line[line.startIndex..<slash]),
                  let gateway = IPv4Address(ascii: line[(space + 5)...]) else { return nil }
            let lengthBytes = line[(slash + 1)..<space]
            guard (1...2).contains(lengthBytes.count), lengthBytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            let length = lengthBytes.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard length <= 32, let prefix = IPv4Prefix(address: address, length: UInt8(length)),
                  prefix.address == address else { return nil }
            let route = StaticRoute(prefix: .v4(prefix), nextHop: .via(.v4(gateway)))
            if !goodGateways.contains(.v4(gateway)) {
                guard ConfigValidation.nextHopProblem(route, ports: ports) == nil else { return nil }
                goodGateways.insert(.v4(gateway))
            }
            return route
        }

        /// Any line: blank or comment (nil), a route, or a ConfigError naming what is wrong.
        func general(_ rawLine: String, _ lineNumber: Int) throws -> StaticRoute? {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { return nil }
            func fail(_ word: Int, _ message: String) -> ConfigError {
                let column = word < words.count ? line.distance(from: line.startIndex, to: words[word].startIndex) + 1 : line.count + 1
                return ConfigError(file: path, line: lineNumber, column: column, keyPath: "routes_file", message: message)
            }
            guard words.count == 3, words[1] == "via" || words[1] == "dev" else {
                throw fail(0, "expected \"PREFIX via ADDRESS\" or \"PREFIX dev PORT\", found \"\(line.trimmingCharacters(in: .whitespaces))\"")
            }
            guard let prefix = IPPrefix(String(words[0])) else {
                throw fail(0, "expected a prefix such as 198.18.4.0/24 or 2001:db8:4::/48, found \"\(words[0])\"")
            }
            // Host bits must be clear, as in the YAML routes list.
            switch (prefix, IPAddress(String(words[0].prefix(while: { $0 != "/" })))) {
            case (.v4(let p), .v4(let a)?) where p.address != a: throw fail(0, "\(words[0]) has host bits set; did you mean \(p)?")
            case (.v6(let p), .v6(let a)?) where p.address != a: throw fail(0, "\(words[0]) has host bits set; did you mean \(p)?")
            default: break
            }
            if words[1] == "via" {
                guard let gateway = IPAddress(String(words[2])) else {
                    throw fail(2, "expected a next-hop address such as 198.18.1.2 or 2001:db8:1::2, found \"\(words[2])\"")
                }
                let route = StaticRoute(prefix: prefix, nextHop: .via(gateway))
                if let problem = ConfigValidation.nextHopProblem(route, ports: ports) { throw fail(2, problem) }
                return route
            }
            guard let port = portNames.firstIndex(of: String(words[2])) else {
                throw fail(2, "unknown port \"\(words[2])\"" + DidYouMean.hint(for: String(words[2]), among: portNames))
            }
            return StaticRoute(prefix: prefix, nextHop: .dev(port))
        }
    }
}
