import NIOCore

// The console's own copy of its configuration, so the module does not depend on Config (and
// so on YAML). The executable fills it from SwiftfwdConfig.console and .metrics.

public struct ConsoleSettings: Sendable {
    /// An IP literal: "127.0.0.1", "::1", "0.0.0.0".
    public var host: String
    /// 0 lets the kernel choose (tests); the bound port is logged and in `ConsoleServer.localAddress`.
    public var port: Int
    /// nil: no password is asked.
    public var password: String?
    public var maxSessions: Int
    /// Seconds without input before a session is closed; 0 never closes one.
    public var idleTimeout: Int
    /// Longest input line in bytes; longer lines are refused with an error.
    public var maxLineBytes: Int
    /// Seconds a session may leave output unread (its socket buffer full) before it is closed.
    public var outputStallTimeout: Int
    /// Wrong passwords before the session is closed.
    public var maxPasswordAttempts: Int
    /// Pause before answering a wrong password, to slow guessing.
    public var passwordFailureDelay: TimeAmount
    /// Shown by `show version` and the greeting.
    public var productName: String

    public init(host: String = "127.0.0.1", port: Int = 5002, password: String? = nil, maxSessions: Int = 8, idleTimeout: Int = 600,
                maxLineBytes: Int = 4096, outputStallTimeout: Int = 30, maxPasswordAttempts: Int = 3,
                passwordFailureDelay: TimeAmount = .seconds(1), productName: String = "swiftfwd") {
        self.host = host
        self.port = port
        self.password = password
        self.maxSessions = maxSessions
        self.idleTimeout = idleTimeout
        self.maxLineBytes = maxLineBytes
        self.outputStallTimeout = outputStallTimeout
        self.maxPasswordAttempts = maxPasswordAttempts
        self.passwordFailureDelay = passwordFailureDelay
        self.productName = productName
    }
}

public struct MetricsSettings: Sendable {
    public var host: String
    public var port: Int
    /// Connections open at once; more are closed at once (a scraper needs one).
    public var maxConnections: Int

    public init(host: String, port: Int, maxConnections: Int = 16) {
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
    }
}
