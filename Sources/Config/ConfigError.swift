/// A refused configuration, as one sentence a person can act on: where (file, line, column and
/// key path) and what was expected. Line and column count from 1, as editors do; 0 means the
/// problem is with the file as a whole (it could not be read).
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    /// Where in the document, e.g. `ports[1].addresses[0]`; empty when the problem is not at a
    /// key (a YAML syntax error or an unreadable file).
    public var keyPath: String
    public var message: String

    public init(file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        // An empty key path is left out rather than printed as an empty field ("f:1:1: : ...").
        keyPath.isEmpty
            ? "\(file):\(line):\(column): \(message)"
            : "\(file):\(line):\(column): \(keyPath): \(message)"
    }
}
