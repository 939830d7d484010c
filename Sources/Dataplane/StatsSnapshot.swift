import Config
import DPDK
import Forwarding
import Foundation

/// A port's counters: ours (summed over workers) and the driver's.
public struct PortStats: Sendable {
    public var name: String
    public var rxPackets: UInt64 = 0
    public var rxBytes: UInt64 = 0
    public var txPackets: UInt64 = 0
    public var txBytes: UInt64 = 0
    public var hardware = HardwareStats()
}

/// What a data-plane core does: a worker forwards (and in run-to-completion mode also polls the
/// RX queues); a receive core (pipeline mode) polls RX queues and hands packets to workers.
public enum CoreRole: String, Sendable {
    case worker
    case receive = "rx"
}

public struct WorkerStats: Sendable {
    public var core: UInt32
    public var queues: String
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var busyCycles: UInt64
    public var idleCycles: UInt64
    public var busyPolls: UInt64
    public var drops: [UInt64]
    public var icmpErrorsSent: UInt64 = 0
    public var icmpErrorsRateLimited: UInt64 = 0
    /// ICMP errors that were due but found the mbuf pool empty.
    public var icmpErrorsNoMbuf: UInt64 = 0
    /// IPv4 packets split into fragments, and the fragments they became (queued for transmit:
    /// they are in `txPackets` once sent, so rx + fragments - fragmented + ICMP errors sent =
    /// tx + drops, the errors being in `txPackets` too).
    public var ipv4Fragmented: UInt64 = 0
    public var ipv4Fragments: UInt64 = 0
    /// A receive core's rx/tx are packets received and handed to workers; its drops are
    /// ring_full. A pipeline worker's rx is what it took from its rings.
    public var role: CoreRole = .worker
    /// Pipeline mode: the rings the core writes (receive core) or reads (worker).
    public var rings: [String] = []

    /// Cycles spent per received packet while busy: the figure to compare with l3fwd.
    public var cyclesPerPacket: Double { rxPackets == 0 ? 0 : Double(busyCycles) / Double(rxPackets) }
}

/// One ring of pipeline mode, from a receive core to a worker. `enqueued` and `dropped` come
/// from the receive core's counters, `dequeued` from the worker's, `count` from the ring itself.
public struct RingStats: Sendable {
    public var name: String
    public var rxCore: UInt32
    public var workerCore: UInt32
    public var size: Int
    public var count: Int
    public var enqueued: UInt64
    public var dequeued: UInt64
    public var dropped: UInt64
}

/// The kernel control plane's counters: per punt class (PuntClass order) what the workers
/// punted and what the policer dropped; punts a full ring refused; per port what went to and
/// came from the twin. Nil in a snapshot when `kernel.enabled` is false.
public struct PuntStats: Sendable {
    public struct Twin: Sendable {
        public var port: String
        public var interface: String
        public var toKernel: UInt64 = 0
        public var toKernelDropped: UInt64 = 0
        public var fromKernel: UInt64 = 0
        public var fromKernelDropped: UInt64 = 0
    }
    public var punted = [UInt64](repeating: 0, count: PuntClass.allCases.count)
    public var policed = [UInt64](repeating: 0, count: PuntClass.allCases.count)
    public var ringFull: UInt64 = 0
    /// Packets from the kernel the workers queued for transmit.
    public var injected: UInt64 = 0
    public var twins: [Twin] = []
    public var sync = SyncStats()
}

/// Everything the control plane shows, copied out of the workers' counters at one moment.
/// The console and the shutdown report read this; nothing reads worker memory directly.
public struct StatsSnapshot: Sendable {
    public var ports: [PortStats]
    public var workers: [WorkerStats]
    public var mempoolSize: Int
    public var mempoolAvailable: Int
    public var tscHz: UInt64
    public var mode: ThreadingMode = .runToCompletion
    public var rings: [RingStats] = []
    public var punt: PuntStats?

    public func drops(_ reason: DropReason) -> UInt64 {
        workers.reduce(0) { $0 + $1.drops[Int(reason.rawValue)] }
    }

    public var totalDrops: UInt64 { DropReason.allCases.reduce(0) { $0 + drops($1) } }
    public var icmpErrorsSent: UInt64 { workers.reduce(0) { $0 + $1.icmpErrorsSent } }
    public var icmpErrorsRateLimited: UInt64 { workers.reduce(0) { $0 + $1.icmpErrorsRateLimited } }
    public var icmpErrorsNoMbuf: UInt64 { workers.reduce(0) { $0 + $1.icmpErrorsNoMbuf } }
    public var ipv4Fragmented: UInt64 { workers.reduce(0) { $0 + $1.ipv4Fragmented } }
    public var ipv4Fragments: UInt64 { workers.reduce(0) { $0 + $1.ipv4Fragments } }

    /// The JSON written by `--stats-json`: every drop reason appears, zeros included, so a
    /// consumer can tell "no such drop" from "no such counter".
    public func json(leaked: Int?) -> String {
        var drops: [String: UInt64] = [:]
        for reason in DropReason.allCases { drops[reason.name] = self.drops(reason) }
        let object: [String: Any] = [
            "ports": ports.map { p -> [String: Any] in
                ["name": p.name, "rx_packets": p.rxPackets, "rx_bytes": p.rxBytes, "tx_packets": p.txPackets, "tx_bytes": p.txBytes,
                 "hw": ["ipackets": p.hardware.ipackets, "opackets": p.hardware.opackets, "ibytes": p.hardware.ibytes,
                        "obytes": p.hardware.obytes, "imissed": p.hardware.imissed, "ierrors": p.hardware.ierrors,
                        "oerrors": p.hardware.oerrors, "rx_nombuf": p.hardware.rxNoMbuf]]
            },
            "workers": workers.map { w -> [String: Any] in
                ["core": w.core, "role": w.role.rawValue, "queues": w.queues, "rings": w.rings,
                 "rx_packets": w.rxPackets, "tx_packets": w.txPackets,
                 "busy_cycles": w.busyCycles, "idle_cycles": w.idleCycles, "busy_polls": w.busyPolls,
                 "drops": w.drops.reduce(0, +), "ipv4_fragmented": w.ipv4Fragmented, "ipv4_fragments": w.ipv4Fragments]
            },
            "threading": mode.rawValue,
            "rings": rings.map { r -> [String: Any] in
                ["name": r.name, "rx_core": r.rxCore, "worker_core": r.workerCore, "size": r.size, "count": r.count,
                 "enqueued": r.enqueued, "dequeued": r.dequeued, "dropped": r.dropped]
            },
            "drops": drops,
            "icmp_errors": ["sent": icmpErrorsSent, "rate_limited": icmpErrorsRateLimited, "no_mbuf": icmpErrorsNoMbuf],
            "fragmentation": ["ipv4_fragmented": ipv4Fragmented, "ipv4_fragments": ipv4Fragments],
            "mempool": ["size": mempoolSize, "available": mempoolAvailable, "leaked": leaked.map { $0 as Any } ?? NSNull()],
            "tsc_hz": tscHz,
            "punt": punt.map { p -> Any in
                var classes: [String: Any] = [:]
                for c in PuntClass.allCases { classes[c.name] = ["punted": p.punted[c.rawValue], "policed": p.policed[c.rawValue]] }
                return ["classes": classes, "ring_full": p.ringFull, "injected": p.injected,
                        "kernel": p.twins.map { t -> [String: Any] in
                            ["port": t.port, "interface": t.interface, "tx": t.toKernel, "tx_dropped": t.toKernelDropped,
                             "rx": t.fromKernel, "rx_dropped": t.fromKernelDropped]
                        },
                        "sync": ["routes": p.sync.routes, "neighbors": p.sync.neighbors, "resyncs": p.sync.resyncs,
                                 "overruns": p.sync.overruns, "batches": p.sync.batches, "refused": p.sync.refused,
                                 "resolve_requests": p.sync.resolveRequests, "link_changes": p.sync.linkChanges, "last_lag_us": p.sync.lastLagMicroseconds,
                                 "queued": p.sync.queued, "max_queued": p.sync.maxQueued, "largest_batch": p.sync.largestBatch,
                                 "max_lag_us": p.sync.maxLagMicroseconds]]
            } ?? NSNull(),
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Human-readable tables for the shutdown report.
    public var text: String {
        var lines: [String] = []
        lines.append(row(["port", "rx packets", "rx bytes", "tx packets", "tx bytes", "hw ipackets", "hw opackets", "imissed", "ierrors", "oerrors", "rx_nombuf"]))
        for p in ports {
            lines.append(row([p.name, "\(p.rxPackets)", "\(p.rxBytes)", "\(p.txPackets)", "\(p.txBytes)", "\(p.hardware.ipackets)",
                              "\(p.hardware.opackets)", "\(p.hardware.imissed)", "\(p.hardware.ierrors)", "\(p.hardware.oerrors)", "\(p.hardware.rxNoMbuf)"]))
        }
        lines.append("")
        lines.append(row(["worker core", "queues", "rx packets", "tx packets", "drops", "busy %", "cycles/packet"]))
        for w in workers {
            let total = w.busyCycles + w.idleCycles
            let busy = total == 0 ? 0 : Double(w.busyCycles) * 100 / Double(total)
            // A receive core is marked in the first column; its queues say what it polls.
            let core = w.role == .receive ? "\(w.core) (rx)" : "\(w.core)"
            let queues = w.queues.isEmpty && !w.rings.isEmpty ? "rings" : w.queues
            lines.append(row([core, queues, "\(w.rxPackets)", "\(w.txPackets)", "\(w.drops.reduce(0, +))",
                              String(format: "%.1f", busy), String(format: "%.1f", w.cyclesPerPacket)]))
        }
        if !rings.isEmpty {
            lines.append("")
            lines.append(row(["ring", "size", "in ring", "enqueued", "dequeued", "dropped"]))
            for r in rings {
                lines.append(row([r.name, "\(r.size)", "\(r.count)", "\(r.enqueued)", "\(r.dequeued)", "\(r.dropped)"]))
            }
        }
        lines.append("")
        let width = DropReason.allCases.map(\.name.count).max() ?? 0
        lines.append("drop reason".padding(toLength: width, withPad: " ", startingAt: 0) + "      packets")
        for reason in DropReason.allCases where drops(reason) > 0 {
            let count = "\(drops(reason))"
            lines.append(reason.name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(repeating: " ", count: max(1, 13 - count.count)) + count)
        }
        if totalDrops == 0 { lines.append("(no drops)") }
        if icmpErrorsSent + icmpErrorsRateLimited + icmpErrorsNoMbuf > 0 {
            lines.append("")
            lines.append("ICMP errors sent \(icmpErrorsSent), held back by the rate limit \(icmpErrorsRateLimited), "
                         + "not sent for want of an mbuf \(icmpErrorsNoMbuf)")
        }
        if ipv4Fragmented > 0 {
            lines.append("")
            lines.append("IPv4 packets fragmented \(ipv4Fragmented), into \(ipv4Fragments) fragments")
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ cells: [String]) -> String {
        cells.enumerated().map { i, cell in
            i == 0 ? cell.padding(toLength: max(14, cell.count), withPad: " ", startingAt: 0)
                   : String(repeating: " ", count: max(0, 12 - cell.count)) + cell
        }.joined(separator: " ")
    }
}
