import Foundation
import Packet

// Readers for the management sections, console and metrics. Both listen on loopback unless the
// file says otherwise twice (a non-loopback address and allow_remote: true), because the
// console can change routes and both show the forwarder's traffic to whoever connects.

extension ConsoleConfig {
    static let keys = ["enabled", "listen", "allow_remote", "password", "password_file", "max_sessions", "idle_timeout"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of console settings")
        if let v = m.optional("enabled") { enabled = try v.bool() }
        if let v = m.optional("listen") { listen = try v.listenAddress() }
        if let v = m.optional("allow_remote") { allowRemote = try v.bool() }
        if let v = m.optional("max_sessions") { maxSessions = try v.int(1...256) }
        if let v = m.optional("idle_timeout") { idleTimeout = try v.int(0...86400) }
        switch (m.optional("password"), m.optional("password_file")) {
        case (.some, .some(let file)):
            throw file.error("give either console.password or console.password_file, not both")
        case (let text?, nil):
            password = try text.string(what: "a password")
        case (nil, let file?):
            let (path, secret) = try file.passwordFile()
            passwordFile = path
            password = secret
        case (nil, nil):
            break
        }
        if let listenValue = m.optional("listen"), enabled, !listen.isLoopback, !allowRemote {
            throw listenValue.error("\(listen) is not a loopback address, and the console gives control of the forwarder to anyone who reaches it; set console.allow_remote: true to listen there (and set a password), or listen on 127.0.0.1")
        }
    }
}

extension MetricsConfig {
    static let keys = ["listen", "allow_remote"]

    init(from value: ConfigValue?) throws {
        self.init()
        guard let value else { return }
        let m = try value.mapping(keys: Self.keys, what: "a mapping of metrics settings")
        if let v = m.optional("allow_remote") { allowRemote = try v.bool() }
        if let v = m.optional("listen") {
            let address = try v.listenAddress()
            if !address.isLoopback, !allowRemote {
                throw v.error("\(address) is not a loopback address, and the metrics show the forwarder's traffic to anyone who reaches them; set metrics.allow_remote: true to listen there, or listen on 127.0.0.1")
            }
            listen = address
        }
    }
}

extension ConfigValidation {
    /// Two servers cannot bind the same port on overlapping addresses (0.0.0.0 overlaps every
    /// IPv4 address); refusing it here beats a bind error after DPDK has started.
    static func checkManagement(console: ConsoleConfig, metrics: MetricsConfig, sources: SourceMap) throws {
        guard console.enabled, let m = metrics.listen, m.port == console.listen.port else { return }
        let c = console.listen
        let sameFamily = m.host.familyName == c.host.familyName
        if m.host == c.host || (sameFamily && (m.isUnspecified || c.isUnspecified)) {
            throw sources.error(at: "metrics.listen", "\(m) overlaps console.listen (\(c)), and the two need different ports")
        }
    }
}

extension ConfigValue {
    static let listenExample = "an address and port such as 127.0.0.1:5002 or [::1]:5002"

    /// `HOST:PORT` with an IP literal host; IPv6 in brackets, as in URLs (RFC 3986 3.2.2),
    /// because its colons would otherwise swallow the port.
    func listenAddress() throws -> ListenAddress {
        let text = try string(what: Self.listenExample)
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw error("expected \(Self.listenExample), found \(found)")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw error("expected \(Self.listenExample), found \(found), which has no port")
            }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            if hostText.contains(":") {
                throw error("expected \(Self.listenExample), found \(found); write an IPv6 address in brackets, as in [::1]:5002")
            }
        }
        guard let host = IPAddress(String(hostText)) else {
            throw error("expected \(Self.listenExample), found \(found), whose host is not an IP address (names such as localhost are not looked up; use 127.0.0.1)")
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port) else {
            throw error("expected \(Self.listenExample) with a port between 1 and 65535, found \(found)")
        }
        if case .v4(let a) = host, a.value >> 28 == 0xE {
            throw error("\(host) is a multicast address; a server listens on a unicast address such as 127.0.0.1")
        }
        if case .v6(let a) = host, a.high >> 56 == 0xFF {
            throw error("\(host) is a multicast address; a server listens on a unicast address such as [::1]")
        }
        return ListenAddress(host: host, port: port)
    }

    /// Reads a password file: its path is resolved against the configuration file's folder, and
    /// one trailing line break (as editors and `echo` leave) is not part of the password.
    func passwordFile() throws -> (path: String, password: String) {
        let given = try string(what: "the path of a file holding the console password")
        var path = given
        if !given.hasPrefix("/") {
            let folder = (sources.file as NSString).deletingLastPathComponent
            path = folder.isEmpty ? given : folder + "/" + given
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (check its permissions)" : "does not exist"
            throw error("the password file \(path) \(reason)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw error("the password file \(path) is not UTF-8 text")
        }
        // "\r\n" is one Character in Swift, so one removeLast takes either ending.
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw error("the password file \(path) is empty; put the password on its first line") }
        guard !text.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else {
            throw error("the password file \(path) holds more than one line; put only the password in it")
        }
        return (path, text)
    }
}
