import Foundation
import Logging

/// Plain log lines on stderr, "swiftfwd: message", with the level named when it is not info:
/// an operator reads these at startup, and scripts wait for "swiftfwd: forwarding".
struct SwiftfwdLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let prefix = level == .info || level == .notice ? "swiftfwd: " : "swiftfwd: \(level): "
        FileHandle.standardError.write(Data((prefix + message.description + "\n").utf8))
    }
}
