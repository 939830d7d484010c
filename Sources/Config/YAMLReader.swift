import Yams

/// A line and column in the file, counted from 1 (Yams' `Mark` cannot be built outside Yams,
/// and validation needs positions for values it did not read itself).
struct SourcePosition: Hashable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: Mark?) {
        self.init(line: mark?.line ?? 1, column: mark?.column ?? 1)
    }
}

/// Remembers where every value was read, by key path, so cross-field checks that run on the
/// typed config afterwards can still point at the right line and column.
final class SourceMap {
    let file: String
    private var positions: [String: SourcePosition] = [:]

    init(file: String) { self.file = file }

    func record(_ path: String, _ position: SourcePosition) {
        if positions[path] == nil { positions[path] = position }
    }

    /// Whether the file gave a value at `path` (rather than it taking its default).
    func contains(_ path: String) -> Bool { positions[path] != nil }

    /// The position of `path`, or of its nearest recorded ancestor when the key was absent
    /// and its value is a default (a defaulted `tx_queues` points at its port).
    func position(of path: String) -> SourcePosition {
        var p = path
        while !p.isEmpty {
            if let found = positions[p] { return found }
            p = Self.parent(of: p)
        }
        return positions[""] ?? SourcePosition(line: 1, column: 1)
    }

    func error(at path: String, _ message: String) -> ConfigError {
        let pos = position(of: path)
        return ConfigError(file: file, line: pos.line, column: pos.column, keyPath: path, message: message)
    }

    /// "ports[1].addresses[0]" -> "ports[1].addresses" -> "ports[1]" -> "ports" -> "".
    static func parent(of path: String) -> String {
        if path.hasSuffix("]"), let open = path.lastIndex(of: "[") { return String(path[..<open]) }
        if let dot = path.lastIndex(of: ".") { return String(path[..<dot]) }
        return ""
    }
}

/// One YAML value with its key path and position. Every typed accessor either returns a value
/// that is fully checked or throws a ConfigError that names this value's place in the file.
struct ConfigValue {
    let node: Node
    let path: String
    let position: SourcePosition
    let sources: SourceMap

    init(node: Node, path: String, position: SourcePosition, sources: SourceMap) {
        self.node = node
        self.path = path
        self.position = position
        self.sources = sources
        sources.record(path, position)
    }

    func error(_ message: String) -> ConfigError {
        ConfigError(file: sources.file, line: position.line, column: position.column, keyPath: path, message: message)
    }

    func element(_ index: Int, _ node: Node) -> ConfigValue {
        ConfigValue(node: node, path: "\(path)[\(index)]", position: SourcePosition(node.mark), sources: sources)
    }

    // MARK: What was found

    /// True for an empty value (`key:` with nothing after it) and YAML's null spellings.
    var isNull: Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// How the value is described after "found" in a message.
    var found: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            if isNull { return "nothing" }
            let text = s.string.count > 60 ? String(s.string.prefix(57)) + "..." : s.string
            let quoted = "\"" + text.replacingOccurrences(of: "\n", with: "\\n") + "\""
            return s.style == .plain && Int(s.string) != nil ? s.string : quoted
        }
    }

    /// `found` for a value that had to be a number or boolean: quotes make a YAML string, so a
    /// quoted "1500" is named as such, otherwise the refusal would look wrong.
    var foundForPlainScalar: String {
        if case .scalar(let s) = node, s.style == .singleQuoted || s.style == .doubleQuoted { return "the quoted string \(found)" }
        return found
    }

    /// The text of a plain (unquoted) scalar: numbers and booleans must be written plainly,
    /// because a quoted "1500" is a string in YAML and accepting it would hide a mistake.
    private var plainText: String? {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any, !isNull else { return nil }
        return s.string
    }

    // MARK: Containers

    /// A mapping whose keys must all be in `keys`; an empty value counts as an empty mapping,
    /// so a section whose lines are all commented out simply takes its defaults.
    func mapping(keys: [String], what: String = "a mapping") throws -> ConfigMapping {
        if isNull { return ConfigMapping(owner: self, entries: [:]) }
        guard case .mapping(let m) = node else { throw error("expected \(what), found \(found)") }
        var entries: [String: ConfigValue] = [:]
        for (keyNode, valueNode) in m {
            let keyPosition = SourcePosition(keyNode.mark)
            guard case .scalar(let k) = keyNode, !k.string.isEmpty else {
                let keyValue = ConfigValue(node: keyNode, path: path, position: keyPosition, sources: sources)
                throw keyValue.error("expected a key name, found \(keyValue.found)")
            }
            let childPath = path.isEmpty ? k.string : "\(path).\(k.string)"
            guard keys.contains(k.string) else {
                throw ConfigError(file: sources.file, line: keyPosition.line, column: keyPosition.column,
                                  keyPath: childPath, message: "unknown key" + DidYouMean.hint(for: k.string, among: keys))
            }
            // An empty value has no text of its own to point at; its key is where the reader looks.
            var valuePosition = SourcePosition(valueNode.mark)
            if case .scalar(let s) = valueNode, s.string.isEmpty, s.style == .plain || s.style == .any {
                valuePosition = keyPosition
            }
            entries[k.string] = ConfigValue(node: valueNode, path: childPath, position: valuePosition, sources: sources)
        }
        return ConfigMapping(owner: self, entries: entries)
    }

    /// The elements of a list; an empty value counts as an empty list.
    func list(what: String) throws -> [ConfigValue] {
        if isNull { return [] }
        guard case .sequence(let s) = node else { throw error("expected \(what), found \(found)") }
        return s.enumerated().map { element($0.offset, $0.element) }
    }

    // MARK: Scalars

    /// A decimal integer within `range`; `_` separators are allowed for readability (1_300_000).
    func int(_ range: ClosedRange<Int>) throws -> Int {
        let expected = "expected an integer between \(range.lowerBound) and \(range.upperBound)"
        guard let text = plainText, let value = Self.parseInteger(text) else { throw error("\(expected), found \(foundForPlainScalar)") }
        guard range.contains(value) else { throw error("\(expected), found \(text)") }
        return value
    }

    /// Only `true` and `false`: YAML 1.1's yes/no/on/off are refused, since `on` meaning true
    /// in one file and a string in another is a trap.
    func bool() throws -> Bool {
        switch plainText {
        case "true": return true
        case "false": return false
        default: throw error("expected true or false, found \(foundForPlainScalar)")
        }
    }

    /// Any non-empty scalar, quoted or not.
    func string(what: String = "a string") throws -> String {
        guard case .scalar(let s) = node, !isNull, !s.string.isEmpty else { throw error("expected \(what), found \(found)") }
        return s.string
    }

    /// One of a fixed set of words, with a suggestion for a near miss ("warn" -> "warning").
    func keyword(_ choices: [String]) throws -> String {
        if case .scalar(let s) = node, !isNull, choices.contains(s.string) { return s.string }
        let list = Self.orList(choices)
        var message = "expected \(list), found \(found)"
        if case .scalar(let s) = node, !isNull, let near = DidYouMean.suggestion(for: s.string, among: choices) {
            message += "; did you mean \"\(near)\"?"
        }
        throw error(message)
    }

    static func parseInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard let first = digits.first, first.isASCII, first.isNumber, let last = digits.last, last != "_",
              digits.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" }) else { return nil }
        guard let magnitude = Int(digits.filter { $0 != "_" }) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// "a, b or c".
    static func orList(_ words: [String]) -> String { joined(words, "or") }

    /// "a, b and c".
    static func andList(_ words: [String]) -> String { joined(words, "and") }

    private static func joined(_ words: [String], _ conjunction: String) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words.last!
    }
}

/// The checked keys of one mapping.
struct ConfigMapping {
    let owner: ConfigValue
    let entries: [String: ConfigValue]

    func optional(_ key: String) -> ConfigValue? { entries[key] }

    /// A key that must be present, with what it should hold, so the message says what to add.
    func required(_ key: String, expecting: String) throws -> ConfigValue {
        if let v = entries[key] { return v }
        let path = owner.path.isEmpty ? key : "\(owner.path).\(key)"
        throw ConfigError(file: owner.sources.file, line: owner.position.line, column: owner.position.column,
                          keyPath: path, message: "missing required key; expected \(expecting)")
    }
}
