import Yams

/// Turns Yams' multi-line parser errors into one ConfigError sentence at libyaml's line and
/// column, keeping libyaml's wording of the problem (it is precise) and adding a hint for
/// the two mistakes people actually make: tabs and repeated keys.
enum YAMLSyntax {
    static func configError(_ error: YamlError, yaml: String, file: String) -> ConfigError {
        func located(_ mark: Mark, _ message: String) -> ConfigError {
            ConfigError(file: file, line: mark.line, column: mark.column, keyPath: "", message: message)
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            if character(at: mark, in: yaml) == "\t" {
                return located(mark, "YAML syntax error: found a tab, but YAML indentation must use spaces")
            }
            if problem == "but found another document" {
                return located(mark, "YAML syntax error: found a second document, but the configuration must be a single YAML document")
            }
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) that started at line \(context.mark.line), column \(context.mark.column))" }
            return located(mark, message)
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = context.mark
            if let again = repetition(of: key, after: first, in: yaml) {
                return ConfigError(file: file, line: again.line, column: again.column, keyPath: "",
                                   message: "YAML error: key \"\(key)\" is given again in the same mapping (first at line \(first.line)), and each key can be given once")
            }
            return located(first, "YAML error: key \"\(key)\" is given more than once in this mapping, and each key can be given once")
        case let .reader(problem, offset, _, _):
            let (line, column) = offset.map { lineAndColumn(ofCharacterOffset: $0, in: yaml) } ?? (0, 0)
            return ConfigError(file: file, line: line, column: column, keyPath: "", message: "the file cannot be read as YAML: \(problem)")
        default:
            return ConfigError(file: file, line: 0, column: 0, keyPath: "", message: "YAML error: \(error)")
        }
    }

    /// The character libyaml points at (its columns count Unicode scalars from 1).
    private static func character(at mark: Mark, in yaml: String) -> Character? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let scalars = Array(lines[mark.line - 1].unicodeScalars)
        guard mark.column >= 1, mark.column <= scalars.count else { return nil }
        return Character(scalars[mark.column - 1])
    }

    /// Where a duplicated key appears again. Yams reports only the first occurrence, but the
    /// repetition is usually the line just added, so look for the same key at the same
    /// indentation further down the same block mapping.
    private static func repetition(of key: String, after first: Mark, in yaml: String) -> SourcePosition? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let indent = first.column - 1
        guard first.line >= 1, first.line < lines.count else { return nil }
        for index in first.line..<lines.count {
            let line = lines[index]
            let leading = line.prefix { $0 == " " }.count
            let rest = String(String.UnicodeScalarView(line[leading...]))
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            if leading < indent { return nil }
            guard leading == indent, rest.hasPrefix(key) else { continue }
            let after = rest.dropFirst(key.count).drop { $0 == " " }
            if after.hasPrefix(":") { return SourcePosition(line: index + 1, column: indent + 1) }
        }
        return nil
    }

    private static func lineAndColumn(ofCharacterOffset offset: Int, in yaml: String) -> (Int, Int) {
        var line = 1, column = 1
        for c in yaml.prefix(offset) {
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
