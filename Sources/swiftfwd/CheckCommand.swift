import ArgumentParser
import Config

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration file without touching DPDK.",
        discussion: "Prints a summary and exits 0, or prints FILE:LINE:COLUMN: key.path: what is expected, and exits 2.")

    @Argument(help: "The YAML configuration file.")
    var file: String

    func run() throws {
        let config = try loadConfigOrExit(file)
        print("\(file): ok: \(config.ports.count) port(s), \(config.eal.workerCores.count) worker(s)\(config.threading.mode == .pipeline ? " fed by \(config.threading.rxCores.count) receive core(s) (pipeline)" : ""), \(config.routes.count) static route(s), \(config.neighbors.count) neighbor(s)")
    }
}
