// The console's commands: their words, help, and how a typed line is matched to one. Any word
// of a command may be abbreviated to a unique prefix ("sh int"); an exact word always wins
// over a longer one it is a prefix of ("show route" is not ambiguous with "show routes").

struct CommandSpec {
    /// The fixed words: ["show", "interfaces"].
    let words: [String]
    /// What follows the words, in usage notation: "[NAME] [xstats]".
    let arguments: String
    let summary: String
    /// More lines for `help COMMAND`.
    let details: [String]
    /// Whether `json` may be added as the last word.
    let json: Bool

    init(_ words: String, _ arguments: String = "", _ summary: String, details: [String] = [], json: Bool = true) {
        self.words = words.split(separator: " ").map(String.init)
        self.arguments = arguments
        self.summary = summary
        self.details = details
        self.json = json
    }

    var name: String { words.joined(separator: " ") }

    var usage: String {
        var text = name
        if !arguments.isEmpty { text += " " + arguments }
        if json { text += " [json]" }
        return text
    }
}

enum CommandTable {
    static let specs: [CommandSpec] = [
        CommandSpec("show version", "", "version, DPDK version, uptime and cores"),
        CommandSpec("show interfaces", "[NAME] [xstats]", "ports: link, MAC, MTU, addresses, counters and rates",
                    details: ["Without NAME every port is shown. Rates are over the last interval of about a second.",
                              "\"show interfaces NAME xstats\" lists the driver's extended statistics for one port."]),
        CommandSpec("show workers", "", "the threading mode; per core: role, queues, rings, packets, drops, busy %, cycles per packet, Mpps",
                    details: ["busy %, cycles/packet and Mpps are over the last interval of about a second;",
                              "packet and drop counts are totals since start or since \"clear counters\".",
                              "In pipeline mode rx cores poll the queues and hand packets to the workers over rings."]),
        CommandSpec("show rings", "", "pipeline mode's rings: size, packets in each, enqueued, dequeued, dropped",
                    details: ["One ring per (rx core, worker) pair, named rxR-wW. \"in ring\" is the occupancy now;",
                              "enqueued, dequeued and dropped (ring full, counted as ring_full) are totals since start or \"clear counters\"."]),
        CommandSpec("show punt", "", "kernel control plane: per punt class the policer's limit, punted and policed; per twin the packets to and from the kernel",
                    details: ["Totals since start (\"clear counters\" does not reach them). Rates are per worker.",
                              "A policed packet is also counted under its drop reason in \"show errors\"."]),
        CommandSpec("show sync", "", "kernel control plane: routes and neighbors mirrored from the kernel, resyncs, lag to the FIB",
                    details: ["lag: from the netlink receipt of a batch's oldest change to the fast path's FIB update."]),
        CommandSpec("show errors", "[all]", "drop reasons with per-worker and total counts",
                    details: ["Only reasons with a non-zero count are listed unless \"all\" is given."]),
        CommandSpec("show routes", "[PREFIX]", "the routing table (IPv4 and IPv6) with table usage",
                    details: ["With PREFIX only routes equal to or inside it are listed, e.g. \"show routes 198.18.0.0/16\"."]),
        CommandSpec("show route", "ADDRESS", "the longest-prefix match for an address and its next hop"),
        CommandSpec("show neighbors", "", "neighbors: address, MAC, port and where they came from"),
        CommandSpec("show memory", "", "mbuf pool, hugepages, DPDK heap and FIB memory"),
        CommandSpec("show config", "", "the configuration as loaded (passwords hidden)"),
        CommandSpec("clear counters", "", "show counters from zero from now on (workers' own counters are not changed)"),
        CommandSpec("route add", "PREFIX via ADDRESS | PREFIX dev PORT", "add or replace a route",
                    details: ["Takes effect in the fast path within a second, without stopping the workers.",
                              "Examples: \"route add 198.18.4.0/24 via 198.18.1.2\", \"route add 2001:db8:4::/48 dev p1\"."]),
        CommandSpec("route del", "PREFIX", "delete a route", details: ["Example: \"route del 198.18.4.0/24\"."]),
        CommandSpec("route load", "FILE", "apply a file of route changes in batches, while forwarding",
                    details: ["One change per line: \"PREFIX via ADDRESS\", \"PREFIX dev PORT\" (add or replace) or \"del PREFIX\";",
                              "# starts a comment. FILE is read by the forwarder, relative to its working directory.",
                              "A file with a line that is not a change is refused whole; a change the table refuses",
                              "(unknown next hop, no such route) is reported with its line and the others are applied.",
                              "Lines of route add/del sent back to back over one session are batched the same way."]),
        CommandSpec("neighbor add", "ADDRESS MAC dev PORT", "add or replace a neighbor",
                    details: ["Example: \"neighbor add 198.18.1.2 02:00:00:00:01:02 dev p1\"."]),
        CommandSpec("neighbor del", "ADDRESS", "delete a neighbor", details: ["Example: \"neighbor del 198.18.1.2\"."]),
        CommandSpec("monitor interfaces", "", "interface rates refreshed every second until a key is pressed",
                    details: ["With json, one JSON object per second, one per line.",
                              "A telnet client in line mode sends keys when Enter is pressed."]),
        CommandSpec("help", "[COMMAND]", "list the commands, or explain one", json: false),
        CommandSpec("quit", "", "end the session (Ctrl-C does too)", json: false),
    ]

    enum Match {
        case command(CommandSpec, arguments: [String])
        /// The words so far name a group ("show"); `specs` are its commands.
        case group([String], [CommandSpec])
        case failure(String)
    }

    /// Matches the leading words of `words` against the table.
    static func match(_ words: [String], allowGroup: Bool = false) -> Match {
        var candidates = specs
        var resolved: [String] = []
        var index = 0
        while true {
            if candidates.count == 1 && candidates[0].words.count == index {
                return .command(candidates[0], arguments: Array(words[index...]))
            }
            let choices = unique(candidates.map { $0.words[index] })
            guard index < words.count else {
                if allowGroup { return .group(resolved, candidates) }
                return .failure("incomplete command \"\(resolved.joined(separator: " "))\"; add one of: " + choices.joined(separator: ", "))
            }
            let typed = words[index]
            let chosen: String
            switch pick(typed, from: choices) {
            case .exact(let word), .prefix(let word):
                chosen = word
            case .ambiguous(let matches):
                let typedSoFar = words[...index].map(Self.printable).joined(separator: " ")
                let names = matches.map { "\"" + (resolved + [$0]).joined(separator: " ") + "\"" }
                return .failure("ambiguous command \"\(typedSoFar)\": did you mean \(orList(names))?")
            case .none:
                let shown = (resolved + [Self.printable(typed)]).joined(separator: " ")
                if let near = nearest(typed, among: choices) {
                    return .failure("unknown command \"\(shown)\"; did you mean \"\((resolved + [near]).joined(separator: " "))\"?")
                }
                if resolved.isEmpty { return .failure("unknown command \"\(shown)\"; type \"help\" for the list of commands") }
                return .failure("unknown command \"\(shown)\"; after \"\(resolved.joined(separator: " "))\" give one of: " + choices.joined(separator: ", "))
            }
            resolved.append(chosen)
            candidates = candidates.filter { $0.words[index] == chosen }
            index += 1
        }
    }

    enum Pick: Equatable {
        case exact(String), prefix(String), ambiguous([String]), none
    }

    /// An exact word, else the one word `typed` is a prefix of.
    static func pick(_ typed: String, from choices: [String]) -> Pick {
        let lowered = typed.lowercased()
        if choices.contains(lowered) { return .exact(lowered) }
        let matches = choices.filter { $0.hasPrefix(lowered) }
        if matches.count == 1 { return .prefix(matches[0]) }
        if matches.count > 1 { return .ambiguous(matches) }
        return .none
    }

    /// The closest word if it is a plausible typo of `typed`.
    static func nearest(_ typed: String, among choices: [String]) -> String? {
        let lowered = typed.lowercased()
        var best: (word: String, distance: Int)?
        for word in choices {
            let d = editDistance(lowered, word)
            if best == nil || d < best!.distance { best = (word, d) }
        }
        guard let best else { return nil }
        // About one edit per three letters, at least one: "shwo" -> "show", "interfeces" -> "interfaces".
        return best.distance <= max(1, min(lowered.count, best.word.count) / 3) ? best.word : nil
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit ("shwo").
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(64)), b = Array(b.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }

    static func unique(_ words: [String]) -> [String] {
        var seen = Set<String>()
        return words.filter { seen.insert($0).inserted }
    }

    /// "a", "a or b", "a, b or c".
    static func orList(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items.last!
    }

    /// A word as echoed in an error: at most 40 characters, so garbage cannot flood the answer.
    static func printable(_ word: String) -> String {
        word.count > 40 ? String(word.prefix(37)) + "..." : word
    }

    /// The full `help` listing.
    static var helpText: String {
        var out = "Commands (any word may be shortened to a unique prefix, as in \"sh int\"; \"json\" as the last word gives JSON):\n"
        let width = specs.map { $0.name.count + ($0.arguments.isEmpty ? 0 : $0.arguments.count + 1) }.max() ?? 0
        for spec in specs {
            let left = spec.arguments.isEmpty ? spec.name : spec.name + " " + spec.arguments
            out += "  " + left + String(repeating: " ", count: width - left.count) + "  " + spec.summary + "\n"
        }
        out += "Ctrl-C or quit ends the session.\n"
        return out
    }

    static func helpText(for spec: CommandSpec) -> String {
        var out = "usage: \(spec.usage)\n  \(spec.summary)\n"
        for line in spec.details { out += "  \(line)\n" }
        return out
    }
}
