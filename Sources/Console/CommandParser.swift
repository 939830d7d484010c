import Packet

// Turns a typed line into a Command, or into the one sentence that says what is wrong with it.
// Addresses and prefixes are checked here, before the backend sees them, with the same care
// as the configuration file: a prefix with host bits set gets the prefix that was meant.

enum Command: Equatable {
    case help([String])
    case quit
    case showVersion
    case showInterfaces(name: String?)
    case showXstats(port: String)
    case showWorkers
    case showRings
    case showPunt
    case showSync
    case showErrors(all: Bool)
    case showRoutes(within: IPPrefix?)
    case showRoute(IPAddress)
    case showNeighbors
    case showMemory
    case showConfig
    case clearCounters
    case addRouteVia(IPPrefix, IPAddress)
    case addRouteDev(IPPrefix, String)
    case deleteRoute(IPPrefix)
    case addNeighbor(IPAddress, MACAddress, String)
    case deleteNeighbor(IPAddress)
    case monitorInterfaces
    case loadRoutes(String)
}

struct ParsedLine: Equatable {
    var command: Command
    var json: Bool
}

enum CommandParser {
    /// The words of a line: split on spaces (tabs arrive as spaces).
    static func words(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// `ports` are the port names, for checking and suggesting names.
    static func parse(_ line: String, ports: [String]) -> Result<ParsedLine, ConsoleError> {
        let words = self.words(line)
        guard !words.isEmpty else { return .failure(ConsoleError("empty line")) }
        switch CommandTable.match(words) {
        case .failure(let message):
            return .failure(ConsoleError(message))
        case .group:
            return .failure(ConsoleError("incomplete command"))
        case .command(let spec, var arguments):
            var json = false
            if spec.json, arguments.last?.lowercased() == "json" {
                json = true
                arguments.removeLast()
            }
            do {
                return .success(ParsedLine(command: try command(spec, arguments, ports: ports), json: json))
            } catch let error as ConsoleError {
                return .failure(error)
            } catch {
                return .failure(ConsoleError("\(error)"))
            }
        }
    }

    private static func command(_ spec: CommandSpec, _ args: [String], ports: [String]) throws -> Command {
        func noArguments(_ command: Command) throws -> Command {
            guard args.isEmpty else { throw unexpected(args[0], after: spec) }
            return command
        }
        switch spec.name {
        case "help": return .help(args)
        case "quit": return try noArguments(.quit)
        case "show version": return try noArguments(.showVersion)
        case "show workers": return try noArguments(.showWorkers)
        case "show rings": return try noArguments(.showRings)
        case "show punt": return try noArguments(.showPunt)
        case "show sync": return try noArguments(.showSync)
        case "show neighbors": return try noArguments(.showNeighbors)
        case "show memory": return try noArguments(.showMemory)
        case "show config": return try noArguments(.showConfig)
        case "clear counters": return try noArguments(.clearCounters)
        case "monitor interfaces": return try noArguments(.monitorInterfaces)
        case "show interfaces":
            switch args.count {
            case 0: return .showInterfaces(name: nil)
            case 1:
                if args[0].lowercased() == "xstats", !ports.contains(args[0]) {
                    throw ConsoleError("xstats needs a port: show interfaces NAME xstats")
                }
                return .showInterfaces(name: try port(args[0], ports: ports))
            case 2:
                let name = try port(args[0], ports: ports)
                _ = try keyword(args[1], ["xstats"], after: "show interfaces \(name)")
                return .showXstats(port: name)
            default:
                throw unexpected(args[2], after: spec)
            }
        case "show errors":
            guard let first = args.first else { return .showErrors(all: false) }
            _ = try keyword(first, ["all"], after: "show errors")
            guard args.count == 1 else { throw unexpected(args[1], after: spec) }
            return .showErrors(all: true)
        case "show routes":
            guard let first = args.first else { return .showRoutes(within: nil) }
            guard args.count == 1 else { throw unexpected(args[1], after: spec) }
            return .showRoutes(within: try prefix(first))
        case "show route":
            guard let first = args.first else { throw ConsoleError("show route needs an address: show route ADDRESS, e.g. show route 198.18.4.7") }
            guard args.count == 1 else { throw unexpected(args[1], after: spec) }
            if first.contains("/") {
                throw ConsoleError("show route takes an address, not a prefix; to list the routes inside \(CommandTable.printable(first)) use show routes \(CommandTable.printable(first))")
            }
            return .showRoute(try address(first, what: "an address"))
        case "route add":
            let usage = "route add PREFIX via ADDRESS or route add PREFIX dev PORT"
            guard let first = args.first else { throw ConsoleError("route add needs a prefix and a next hop: \(usage)") }
            let p = try prefix(first)
            guard args.count >= 2 else { throw ConsoleError("route add \(p) needs a next hop: \(usage)") }
            let kind = try keyword(args[1], ["via", "dev"], after: "route add \(p)")
            guard args.count >= 3 else {
                throw ConsoleError(kind == "via" ? "route add \(p) via needs a next-hop address" : "route add \(p) dev needs a port name")
            }
            guard args.count == 3 else { throw ConsoleError("unexpected \"\(CommandTable.printable(args[3]))\" after route add \(p) \(kind) \(CommandTable.printable(args[2])); usage: \(usage)") }
            if kind == "dev" { return .addRouteDev(p, try port(args[2], ports: ports)) }
            let gateway = try address(args[2], what: "a next-hop address")
            if gateway.familyName != p.familyName {
                throw ConsoleError("route \(p) is \(p.familyName) but its next hop \(gateway) is \(gateway.familyName); give an \(p.familyName) next hop")
            }
            return .addRouteVia(p, gateway)
        case "route del":
            guard let first = args.first else { throw ConsoleError("route del needs a prefix: route del PREFIX, e.g. route del 198.18.4.0/24") }
            guard args.count == 1 else { throw unexpected(args[1], after: spec) }
            return .deleteRoute(try prefix(first))
        case "route load":
            guard let first = args.first else { throw ConsoleError("route load needs a file: route load FILE, e.g. route load /var/lib/swiftfwd/table.routes") }
            guard args.count == 1 else { throw unexpected(args[1], after: spec) }
            return .loadRoutes(first)
        case "neighbor add":
            let usage = "neighbor add ADDRESS MAC dev PORT"
            guard args.count >= 4 else {
                throw ConsoleError("neighbor add needs an address, a MAC and a port: \(usage), e.g. neighbor add 198.18.1.2 02:00:00:00:01:02 dev p1")
            }
            let a = try address(args[0], what: "a neighbor address")
            let m = try mac(args[1])
            _ = try keyword(args[2], ["dev"], after: "neighbor add \(a) \(m)")
            guard args.count == 4 else { throw ConsoleError("unexpected \"\(CommandTable.printable(args[4]))\" after the port; usage: \(usage)") }
            return .addNeighbor(a, m, try port(args[3], ports: ports))
        case "neighbor del":
            guard let first = args.first else { throw ConsoleError("neighbor del needs an address: neighbor del ADDRESS") }
            guard args.count == 1 else { throw unexpected(args[1], after: spec) }
            return .deleteNeighbor(try address(first, what: "a neighbor address"))
        default:
            throw ConsoleError("\(spec.name) is not implemented")
        }
    }

    private static func unexpected(_ word: String, after spec: CommandSpec) -> ConsoleError {
        let usage = spec.usage
        return ConsoleError("unexpected \"\(CommandTable.printable(word))\" after \(spec.name); usage: \(usage)")
    }

    /// A fixed word, which may be shortened to a unique prefix.
    private static func keyword(_ typed: String, _ choices: [String], after context: String) throws -> String {
        switch CommandTable.pick(typed, from: choices) {
        case .exact(let w), .prefix(let w): return w
        default:
            let expected = CommandTable.orList(choices.map { "\"\($0)\"" })
            throw ConsoleError("expected \(expected) after \(context), found \"\(CommandTable.printable(typed))\"")
        }
    }

    static func port(_ name: String, ports: [String]) throws -> String {
        if ports.contains(name) { return name }
        var message = "no port named \"\(CommandTable.printable(name))\""
        if let near = CommandTable.nearest(name, among: ports) {
            message += "; did you mean \"\(near)\"?"
        } else if !ports.isEmpty {
            message += "; the ports are " + ports.joined(separator: ", ")
        }
        throw ConsoleError(message)
    }

    static func prefix(_ text: String) throws -> IPPrefix {
        let example = "a prefix such as 198.18.4.0/24 or 2001:db8:4::/48"
        let shown = CommandTable.printable(text)
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])) else {
            if parts.count == 1, let a = IPAddress(text) {
                let full = a.familyName == "IPv4" ? 32 : 128
                throw ConsoleError("\"\(shown)\" has no prefix length; write it as \(a)/\(full) for this one address, or give the length of the network")
            }
            throw ConsoleError("expected \(example), found \"\(shown)\"")
        }
        let maximum = address.familyName == "IPv4" ? 32 : 128
        guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), !parts[1].isEmpty, parts[1].count <= 3,
              let length = Int(parts[1]), length <= maximum else {
            throw ConsoleError("the prefix length in \"\(shown)\" must be between 0 and \(maximum) for \(address.familyName)")
        }
        let result: IPPrefix
        switch address {
        case .v4(let a): result = .v4(IPv4Prefix(address: a, length: UInt8(length))!)
        case .v6(let a): result = .v6(IPv6Prefix(address: a, length: UInt8(length))!)
        }
        if result.network != address {
            throw ConsoleError("\(address)/\(length) has host bits set; did you mean \(result)?")
        }
        return result
    }

    static func address(_ text: String, what: String) throws -> IPAddress {
        let shown = CommandTable.printable(text)
        guard let a = IPAddress(text) else {
            if text.contains("/") { throw ConsoleError("expected \(what) without a prefix length, found \"\(shown)\"") }
            throw ConsoleError("expected \(what) such as 198.18.1.2 or 2001:db8::2, found \"\(shown)\"")
        }
        return a
    }

    static func mac(_ text: String) throws -> MACAddress {
        guard let m = MACAddress(text) else {
            throw ConsoleError("expected a MAC address such as 02:00:00:00:01:02, found \"\(CommandTable.printable(text))\"")
        }
        if m.isGroup { throw ConsoleError("\(m) is a group (multicast) MAC address, but a neighbor needs a unicast MAC (first octet even)") }
        if m.isZero { throw ConsoleError("00:00:00:00:00:00 is not a usable MAC address; a neighbor needs a unicast MAC") }
        return m
    }
}

extension IPPrefix {
    /// The prefix's first address (host bits clear).
    var network: IPAddress {
        switch self {
        case .v4(let p): return .v4(p.address)
        case .v6(let p): return .v6(p.address)
        }
    }

    /// Whether `other` is this prefix or lies inside it.
    func covers(_ other: IPPrefix) -> Bool {
        other.familyName == familyName && other.length >= length && contains(other.network)
    }
}
