import ArgumentParser
import Config
import Dataplane
import Foundation
import Glibc
import Logging

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the forwarder.",
        discussion: "Runs until SIGINT or SIGTERM (or --duration), then drains, prints final counters and checks the mbuf pool for leaks.")

    @Option(name: .shortAndLong, help: "The YAML configuration file.")
    var config: String

    @Option(help: "Stop by itself after this many seconds (for tests and benchmarks).")
    var duration: Double?

    @Option(help: "Write the final counters as JSON to this file on exit.")
    var statsJson: String?

    func run() throws {
        let configuration = try loadConfigOrExit(config)
        LoggingSystem.bootstrap { _ in SwiftfwdLogHandler() }
        var logger = Logger(label: "swiftfwd")
        logger.logLevel = Logger.Level(rawValue: configuration.log.level) ?? .info

        // Block the stop signals before EAL starts its threads, so every thread inherits the
        // mask and only this thread receives them, through sigtimedwait below.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let forwarder = Forwarder(config: configuration, logger: logger)
        do {
            try forwarder.setUp()
            try forwarder.launchWorkers()
        } catch {
            logger.error("startup failed: \(error)")
            _ = forwarder.shutdown()
            throw ExitCode(1)
        }
        let servers: ControlServers
        do {
            servers = try ControlServers(config: configuration, backend: ForwarderConsoleBackend(forwarder: forwarder, configFile: config),
                                         logger: logger)
        } catch {
            logger.error("startup failed: cannot start the console or metrics endpoint: \(error)")
            _ = forwarder.shutdown()
            throw ExitCode(1)
        }
        let threading = configuration.threading.mode == .pipeline
            ? " in pipeline mode, fed by \(configuration.threading.rxCores.count) receive core(s)" : ""
        logger.info("forwarding on \(configuration.eal.workerCores.count) worker(s)\(threading); stop with Ctrl-C or SIGTERM")

        let started = Date()
        var reason = "duration elapsed"
        while true {
            var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            let signal = sigtimedwait(&signals, nil, &timeout)
            if signal == SIGINT || signal == SIGTERM {
                reason = signal == SIGINT ? "SIGINT" : "SIGTERM"
                break
            }
            if let duration, Date().timeIntervalSince(started) >= duration { break }
        }

        logger.info("stopping (\(reason))")
        servers.stop()
        forwarder.stopWorkers()
        if let changes = forwarder.plane?.statistics, changes.changes + changes.refused > 0 { logger.info("\(changes.summary)") }
        var snapshot = forwarder.snapshot()
        let leaked = forwarder.shutdown()
        snapshot.mempoolAvailable = snapshot.mempoolSize - leaked
        print(snapshot.text)
        if let statsJson {
            do {
                try snapshot.json(leaked: leaked).write(toFile: statsJson, atomically: true, encoding: .utf8)
            } catch {
                logger.error("cannot write --stats-json \(statsJson): \(error)")
            }
        }
        if leaked != 0 {
            logger.error("mbuf leak: \(leaked) of \(snapshot.mempoolSize) mbufs not returned to the pool")
            throw ExitCode(1)
        }
        logger.info("mbuf pool full again (\(snapshot.mempoolSize) mbufs); clean exit")
    }
}
