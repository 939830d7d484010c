import Config
import Foundation

/// Turns the `eal` and `ports` config into EAL's command line.
public enum EALArguments {
    /// True for a PCI address ("0000:03:00.0" or "03:00.0"): those are allow-listed with -a;
    /// anything else is a virtual device given with --vdev.
    public static func isPCIAddress(_ device: String) -> Bool {
        let name = device.split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
        return name.range(of: #"^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$"#, options: .regularExpression) != nil
    }

    /// 2 MiB hugepages free for a new process, read from sysfs: free minus reserved (pages
    /// another process has mapped but not yet touched count as free there, yet are promised);
    /// 0 when there are none, hugetlbfs is not mounted or sysfs cannot be read.
    public static func freeHugepageMB() -> Int {
        func read(_ name: String) -> Int? {
            (try? String(contentsOfFile: "/sys/kernel/mm/hugepages/hugepages-2048kB/\(name)", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let free = read("free_hugepages") else { return 0 }
        let reserved = read("resv_hugepages") ?? 0
        let mounted = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8))?.contains("hugetlbfs") ?? false
        return mounted ? max(0, free - reserved) * 2 : 0
    }

    /// Whether to use hugepages, and why, for the startup log.
    public static func useHugepages(_ eal: EALConfig) -> (Bool, String) {
        let free = freeHugepageMB()
        switch eal.hugepages {
        case .on: return (true, "hugepages: required by config (\(free) MiB free)")
        case .off: return (false, "hugepages: off by config, using --no-huge")
        case .auto:
            if free >= eal.memoryMB { return (true, "hugepages: \(free) MiB free, using \(eal.memoryMB) MiB") }
            return (false, "hugepages: \(free) MiB free < memory_mb \(eal.memoryMB), using --no-huge anonymous memory")
        }
    }

    public static func build(_ config: SwiftfwdConfig, hugepages: Bool) -> [String] {
        var args = lcoreArguments(config) + ["--main-lcore", String(config.eal.mainCore),
                    "--file-prefix", config.eal.filePrefix,
                    "-m", String(config.eal.memoryMB),
                    "--force-max-simd-bitwidth=\(config.eal.maxSIMDBitwidth)"]
        // --huge-unlink: hugepage files are removed once mapped, so pages return to the system
        // when the process exits, however it exits.
        args.append(hugepages ? "--huge-unlink" : "--no-huge")
        let pci = config.ports.map(\.device).filter(isPCIAddress)
        // Without an allow-list EAL would grab every PCI device bound to a DPDK driver.
        if pci.isEmpty { args.append("--no-pci") } else { for device in pci { args += ["-a", device] } }
        for device in config.ports.map(\.device) where !isPCIAddress(device) { args += ["--vdev", device] }
        // The twins: one net_tap per port, after the ports so their port ids follow.
        if config.kernel.enabled {
            for (index, port) in config.ports.enumerated() { args += ["--vdev", KernelPath.vdev(index: index, port: port)] }
        }
        return args + config.eal.extraArgs
    }

    /// `-l 0,1,2`: lcore n on CPU n. With `threading.lcore_cpus`, `--lcores 0@0,1@1,2@1`
    /// instead, which lets two lcores share a CPU (two polling threads on one CPU take turns
    /// in scheduler time slices: for functional tests on small machines, never for speed).
    public static func lcoreArguments(_ config: SwiftfwdConfig) -> [String] {
        let cores = config.allCores
        let cpus = config.threading.lcoreCPUs
        if cpus.isEmpty { return ["-l", cores.map(String.init).joined(separator: ",")] }
        return ["--lcores", cores.map { "\($0)@\(cpus[$0] ?? $0)" }.joined(separator: ",")]
    }
}
