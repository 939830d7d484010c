import Config
import Foundation

/// Checks, before EAL starts, that every lcore can run where the config puts it. EAL's own
/// refusal ("core 5 unavailable" and its whole usage text) does not say which key to change.
public struct CPUUnavailable: Error, CustomStringConvertible {
    public let description: String
}

public enum CPUCheck {
    /// The CPUs this process may run on, from /proc/self/status ("Cpus_allowed_list: 0-1,4");
    /// nil when it cannot be read.
    public static func allowedCPUs() -> Set<Int>? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return parseList(String(line.dropFirst("Cpus_allowed_list:".count)))
    }

    /// "0-3,8,10-11" as a set; nil for anything else.
    public static func parseList(_ text: String) -> Set<Int>? {
        var cpus = Set<Int>()
        for part in text.trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1:
                guard let cpu = bounds[0] else { return nil }
                cpus.insert(cpu)
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
                cpus.formUnion(low...high)
            default:
                return nil
            }
        }
        return cpus
    }

    /// The first lcore whose CPU (its `threading.lcore_cpus` entry) this process may not use.
    public static func check(_ config: SwiftfwdConfig, allowed: Set<Int>? = allowedCPUs()) throws {
        guard let allowed, !config.threading.lcoreCPUs.isEmpty else { return }
        for lcore in config.allCores {
            let cpu = config.threading.lcoreCPUs[lcore] ?? lcore
            if !allowed.contains(cpu) {
                let list = allowed.sorted().map(String.init).joined(separator: ", ")
                throw CPUUnavailable(description: "threading.lcore_cpus puts lcore \(lcore) on CPU \(cpu), which this process cannot run on (it may use CPUs \(list)); map it to one of those")
            }
        }
    }
}
