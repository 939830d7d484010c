import Foundation
import Yams

/// Reads a configuration file into a checked `SwiftfwdConfig`, or refuses it with one
/// ConfigError. Sections are read in dependency order (eal before ports, ports before what
/// names them), whatever their order in the file, so each check has what it needs.
public enum ConfigLoader {
    static let topLevelKeys = ["eal", "mempool", "fib", "ports", "queue_map", "routes", "routes_file", "neighbors", "log", "console", "metrics", "icmp_errors", "kernel", "threading"]

    public static func load(path: String) throws -> SwiftfwdConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (check its permissions)" : "does not exist"
            throw ConfigError(file: path, line: 0, column: 0, keyPath: "", message: "the configuration file \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, column: 0, keyPath: "", message: "the configuration file is not UTF-8 text")
        }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml: String, file: String) throws -> SwiftfwdConfig {
        let sources = SourceMap(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: file, line: 1, column: 1, keyPath: "",
                                  message: "the file holds no settings; expected a mapping with at least a ports list")
            }
            root = node
        } catch let error as YamlError {
            throw YAMLSyntax.configError(error, yaml: yaml, file: file)
        }
        let top = try ConfigValue(node: root, path: "", position: SourcePosition(root.mark), sources: sources)
            .mapping(keys: topLevelKeys, what: "a mapping of sections (eal, ports, routes, ...)")

        let eal = try EALConfig(from: top.optional("eal"))
        try ConfigValidation.checkCores(eal, workersGiven: sources.contains("eal.worker_cores"), sources: sources)
        let threading = try ThreadingConfig(from: top.optional("threading"), eal: eal, sources: sources)
        // The cores that poll RX queues, which queue_map names.
        let polling = threading.mode == .pipeline ? threading.rxCores : eal.workerCores
        let mempool = try MempoolConfig(from: top.optional("mempool"))
        let fib = try FIBConfig(from: top.optional("fib"))
        let log = try LogConfig(from: top.optional("log"))
        let console = try ConsoleConfig(from: top.optional("console"))
        let metrics = try MetricsConfig(from: top.optional("metrics"))
        try ConfigValidation.checkManagement(console: console, metrics: metrics, sources: sources)
        let icmpErrors = try ICMPErrorsConfig(from: top.optional("icmp_errors"))
        let kernel = try KernelConfig(from: top.optional("kernel"))

        let portsValue = try top.required("ports", expecting: "a list of 1 to 32 ports")
        let portValues = try portsValue.list(what: "a list of 1 to 32 ports")
        guard (1...32).contains(portValues.count) else {
            throw portsValue.error("expected a list of 1 to 32 ports, found \(portValues.isEmpty ? "an empty list" : "\(portValues.count) ports")")
        }
        let ports = try portValues.map { try PortConfig(from: $0, workerCount: eal.workerCores.count) }
        try ConfigValidation.checkPorts(ports, eal: eal, mempool: mempool, sources: sources)
        try ConfigValidation.checkMempool(mempool, ports: ports, sources: sources)

        let queueMap: [QueueAssignment]
        if let v = top.optional("queue_map") {
            queueMap = try v.list(what: "a list of {core, port, queue} entries").map { try QueueAssignment(from: $0, ports: ports) }
            try ConfigValidation.checkQueueMap(queueMap, ports: ports, pollingCores: polling, pipeline: threading.mode == .pipeline, sources: sources)
        } else {
            queueMap = QueueSpread.deal(ports: ports, workerCores: polling)
        }

        var routes = try top.optional("routes").map {
            try $0.list(what: "a list of routes").map { try StaticRoute(from: $0, ports: ports) }
        } ?? []
        try ConfigValidation.checkRoutes(routes, ports: ports, sources: sources)
        if let value = top.optional("routes_file") {
            let name = try value.string(what: "the path of a routes file")
            // Relative to the configuration file, so a config and its table move together.
            let base = (file as NSString).deletingLastPathComponent
            let path = name.hasPrefix("/") || base.isEmpty ? name : base + "/" + name
            routes += try RoutesFile.load(path: path, ports: ports, alreadyGiven: routes, mentionedAt: value)
        }

        let neighbors = try top.optional("neighbors").map {
            try $0.list(what: "a list of neighbors").map { try StaticNeighbor(from: $0, ports: ports) }
        } ?? []
        try ConfigValidation.checkNeighbors(neighbors, ports: ports, routes: routes, sources: sources)

        return SwiftfwdConfig(eal: eal, mempool: mempool, fib: fib, ports: ports, queueMap: queueMap, routes: routes,
                              neighbors: neighbors, log: log, console: console, metrics: metrics,
                              icmpErrors: icmpErrors, kernel: kernel, threading: threading, sourceFile: file)
    }
}
