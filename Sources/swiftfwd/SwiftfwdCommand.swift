import ArgumentParser
import Config
import Dataplane

@main
struct SwiftfwdCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "swiftfwd",
        abstract: "A DPDK userspace IPv4/IPv6 forwarder.",
        discussion: """
        Examples:
          swiftfwd run --config config/demo.yaml
          swiftfwd run --config bench.yaml --duration 10 --stats-json stats.json
          swiftfwd check config/example.yaml

        Exit status: 0 on success, 1 on a runtime failure or an mbuf leak, 2 on a bad config.
        The configuration keys are documented in docs/config.md.
        """,
        version: version,
        subcommands: [Run.self, Check.self]
    )
}

/// Loads a config or reports it in one sentence and exits 2 (nothing has started yet).
func loadConfigOrExit(_ path: String) throws -> SwiftfwdConfig {
    do {
        return try ConfigLoader.load(path: path)
    } catch let error as ConfigError {
        printError("\(error)")
        throw ExitCode(2)
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        string.withCString { _ = fputs($0, Glibc.stderr) }
    }
}

import Glibc
