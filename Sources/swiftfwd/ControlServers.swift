import Config
import Console
import Dataplane
import Logging
import NIOCore
import NIOPosix

/// The telnet console and the metrics endpoint, on one event-loop thread of their own. That
/// thread is created after EAL, by the main thread, so it inherits the main core's affinity and
/// never runs on a worker core; it also inherits the blocked SIGINT/SIGTERM. (The servers log
/// their own warning when told to listen beyond loopback.)
final class ControlServers {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var console: ConsoleServer?
    var metrics: MetricsServer?

    init(config: SwiftfwdConfig, backend: ForwarderConsoleBackend, logger: Logger) throws {
        if config.console.enabled {
            let settings = ConsoleSettings(host: config.console.listen.host.description, port: config.console.listen.port,
                                           password: config.console.password, maxSessions: config.console.maxSessions,
                                           idleTimeout: config.console.idleTimeout)
            let server = ConsoleServer(settings: settings, backend: backend, logger: logger)
            try server.start(group: group)
            console = server
        }
        if let listen = config.metrics.listen {
            let server = MetricsServer(settings: MetricsSettings(host: listen.host.description, port: listen.port),
                                       backend: backend, logger: logger)
            try server.start(group: group)
            metrics = server
        }
    }

    func stop() {
        console?.stop()
        metrics?.stop()
        try? group.syncShutdownGracefully()
    }
}
