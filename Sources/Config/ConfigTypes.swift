import Packet

// The typed, validated configuration. Every value here has already been checked against
// docs/config.md, so the rest of swiftfwd can use it without re-checking. The defaults in the
// initialisers are the documented defaults and are the single place they are written down.

/// The whole configuration file, resolved: defaults applied, port names turned into indices.
public struct SwiftfwdConfig: Sendable {
    public var eal: EALConfig
    public var mempool: MempoolConfig
    public var fib: FIBConfig
    public var ports: [PortConfig]
    /// Always filled: when the file has no `queue_map`, this is the default spread.
    public var queueMap: [QueueAssignment]
    public var threading: ThreadingConfig
    public var routes: [StaticRoute]
    public var neighbors: [StaticNeighbor]
    public var log: LogConfig
    public var console: ConsoleConfig
    public var metrics: MetricsConfig
    public var icmpErrors: ICMPErrorsConfig
    public var kernel: KernelConfig
    /// The path the configuration was read from, for messages.
    public var sourceFile: String

    public init(eal: EALConfig = EALConfig(), mempool: MempoolConfig = MempoolConfig(), fib: FIBConfig = FIBConfig(),
                ports: [PortConfig], queueMap: [QueueAssignment], routes: [StaticRoute] = [],
                neighbors: [StaticNeighbor] = [], log: LogConfig = LogConfig(), console: ConsoleConfig = ConsoleConfig(),
                metrics: MetricsConfig = MetricsConfig(), icmpErrors: ICMPErrorsConfig = ICMPErrorsConfig(),
                kernel: KernelConfig = KernelConfig(), threading: ThreadingConfig = ThreadingConfig(), sourceFile: String = "") {
        self.eal = eal
        self.mempool = mempool
        self.fib = fib
        self.ports = ports
        self.queueMap = queueMap
        self.threading = threading
        self.routes = routes
        self.neighbors = neighbors
        self.log = log
        self.console = console
        self.metrics = metrics
        self.icmpErrors = icmpErrors
        self.kernel = kernel
        self.sourceFile = sourceFile
    }
}

/// `eal.hugepages`: `auto` lets startup decide from what is mounted and free.
public enum HugepageMode: Sendable, Hashable {
    case auto, on, off
}

public struct EALConfig: Sendable {
    public var mainCore: Int
    public var workerCores: [Int]
    public var memoryMB: Int
    public var hugepages: HugepageMode
    public var filePrefix: String
    public var maxSIMDBitwidth: Int
    public var extraArgs: [String]

    public init(mainCore: Int = 0, workerCores: [Int] = [1], memoryMB: Int = 4096, hugepages: HugepageMode = .auto,
                filePrefix: String = "swiftfwd", maxSIMDBitwidth: Int = 512, extraArgs: [String] = []) {
        self.mainCore = mainCore
        self.workerCores = workerCores
        self.memoryMB = memoryMB
        self.hugepages = hugepages
        self.filePrefix = filePrefix
        self.maxSIMDBitwidth = maxSIMDBitwidth
        self.extraArgs = extraArgs
    }
}

public struct MempoolConfig: Sendable {
    /// nil means `auto`: startup sizes the pool from ports, queues and descriptors.
    public var mbufs: Int?
    public var cacheSize: Int
    public var dataRoom: Int

    public init(mbufs: Int? = nil, cacheSize: Int = 256, dataRoom: Int = 2176) {
        self.mbufs = mbufs
        self.cacheSize = cacheSize
        self.dataRoom = dataRoom
    }
}

public struct FIBConfig: Sendable {
    public var ipv4MaxRoutes: Int
    public var ipv4Tbl8Groups: Int
    public var ipv6MaxRoutes: Int
    public var ipv6Tbl8Groups: Int

    public init(ipv4MaxRoutes: Int = 1_300_000, ipv4Tbl8Groups: Int = 65536,
                ipv6MaxRoutes: Int = 330_000, ipv6Tbl8Groups: Int = 524_288) {
        self.ipv4MaxRoutes = ipv4MaxRoutes
        self.ipv4Tbl8Groups = ipv4Tbl8Groups
        self.ipv6MaxRoutes = ipv6MaxRoutes
        self.ipv6Tbl8Groups = ipv6Tbl8Groups
    }
}

public struct PortConfig: Sendable {
    public var name: String
    public var device: String
    /// nil keeps the device's own MAC.
    public var mac: MACAddress?
    public var rxQueues: Int
    /// Resolved: when the file omits it, the number of worker cores.
    public var txQueues: Int
    public var rxDescriptors: Int
    public var txDescriptors: Int
    public var mtu: Int
    public var promiscuous: Bool
    public var addresses: [InterfaceAddress]
    /// The header fields RSS hashes when the port has several RX queues (or in pipeline mode).
    public var rssHash: [RSSHashField]
    /// The name of the port's twin interface in the kernel (`kernel.enabled`); nil: the
    /// port's name.
    public var kernelInterface: String?
    /// The twin's name as created.
    public var kernelName: String { kernelInterface ?? name }

    public init(name: String, device: String, mac: MACAddress? = nil, rxQueues: Int = 1, txQueues: Int = 1,
                rxDescriptors: Int = 1024, txDescriptors: Int = 1024, mtu: Int = 1500, promiscuous: Bool = false,
                addresses: [InterfaceAddress] = [], rssHash: [RSSHashField] = RSSHashField.defaults) {
        self.name = name
        self.device = device
        self.mac = mac
        self.rxQueues = rxQueues
        self.txQueues = txQueues
        self.rxDescriptors = rxDescriptors
        self.txDescriptors = txDescriptors
        self.mtu = mtu
        self.promiscuous = promiscuous
        self.addresses = addresses
        self.rssHash = rssHash
    }
}

/// One core polls one RX queue of one port: a worker in run-to-completion mode, a receive core
/// in pipeline mode.
public struct QueueAssignment: Sendable, Hashable {
    public var core: Int
    /// Index into `SwiftfwdConfig.ports`.
    public var port: Int
    public var queue: Int

    public init(core: Int, port: Int, queue: Int) {
        self.core = core
        self.port = port
        self.queue = queue
    }
}

public enum NextHopSpec: Sendable, Hashable {
    /// A gateway address inside some port's connected subnet.
    case via(IPAddress)
    /// On-link on the port with this index.
    case dev(Int)
    /// Several gateways (`via: [a, b]`), equal cost: each flow takes one of them (ECMP).
    case multipath([IPAddress])
}

public struct StaticRoute: Sendable {
    public var prefix: IPPrefix
    public var nextHop: NextHopSpec

    public init(prefix: IPPrefix, nextHop: NextHopSpec) {
        self.prefix = prefix
        self.nextHop = nextHop
    }
}

public struct StaticNeighbor: Sendable {
    public var address: IPAddress
    public var mac: MACAddress
    /// Index into `SwiftfwdConfig.ports`.
    public var port: Int

    public init(address: IPAddress, mac: MACAddress, port: Int) {
        self.address = address
        self.mac = mac
        self.port = port
    }
}

public struct LogConfig: Sendable {
    /// One of `LogConfig.levels`; the executable maps it onto swift-log's Logger.Level.
    public var level: String

    /// swift-log's level names, in increasing severity.
    public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public init(level: String = "info") {
        self.level = level
    }
}

/// A TCP listening address, `127.0.0.1:5002` or `[::1]:5002`. The host is an IP literal, not a
/// name, so whether it is loopback is decided from the file alone.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: IPAddress
    public var port: Int

    public init(host: IPAddress, port: Int) {
        self.host = host
        self.port = port
    }

    /// 127.0.0.0/8 or ::1: reachable only from this machine.
    public var isLoopback: Bool {
        switch host {
        case .v4(let a): return a.value >> 24 == 127
        case .v6(let a): return a.high == 0 && a.low == 1
        }
    }

    /// 0.0.0.0 or ::, which listen on every address of the family.
    public var isUnspecified: Bool {
        switch host {
        case .v4(let a): return a.value == 0
        case .v6(let a): return a.high == 0 && a.low == 0
        }
    }

    public var description: String {
        switch host {
        case .v4: return "\(host):\(port)"
        case .v6: return "[\(host)]:\(port)"
        }
    }
}

/// `console`: the telnet console (docs/console.md).
public struct ConsoleConfig: Sendable {
    public var enabled: Bool
    public var listen: ListenAddress
    /// Must be true for a `listen` address that is not loopback: the console controls routes.
    public var allowRemote: Bool
    /// The password a session must give before any command: `password`, or the contents of
    /// `password_file` without its trailing line break. nil: no password asked.
    public var password: String?
    /// Where `password` was read from, when it came from a file (resolved against the
    /// configuration file's folder).
    public var passwordFile: String?
    public var maxSessions: Int
    /// Seconds without input after which a session is closed; 0 never closes one.
    public var idleTimeout: Int

    public static let defaultListen = ListenAddress(host: .v4(IPv4Address(127, 0, 0, 1)), port: 5002)

    public init(enabled: Bool = true, listen: ListenAddress = ConsoleConfig.defaultListen, allowRemote: Bool = false,
                password: String? = nil, passwordFile: String? = nil, maxSessions: Int = 8, idleTimeout: Int = 600) {
        self.enabled = enabled
        self.listen = listen
        self.allowRemote = allowRemote
        self.password = password
        self.passwordFile = passwordFile
        self.maxSessions = maxSessions
        self.idleTimeout = idleTimeout
    }
}

/// `metrics`: the Prometheus endpoint, off unless `listen` is given.
public struct MetricsConfig: Sendable {
    /// nil: no metrics endpoint.
    public var listen: ListenAddress?
    /// Must be true for a `listen` address that is not loopback.
    public var allowRemote: Bool

    public init(listen: ListenAddress? = nil, allowRemote: Bool = false) {
        self.listen = listen
        self.allowRemote = allowRemote
    }
}
