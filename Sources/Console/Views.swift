import Foundation
import Packet

// What each command prints, as text for a person and as JSON with the same data. Text uses
// "\n"; the session turns it into the CR LF that telnet's NVT requires. JSON keys are
// snake_case and counts are plain numbers (never human units), so scripts need not parse text.

enum Views {
    // MARK: show version

    static func version(_ v: VersionInfo, now: Date, json: Bool) -> String {
        let uptime = max(0, now.timeIntervalSince(v.startedAt))
        if json {
            return JSON.text([
                "version": v.version, "dpdk_version": v.dpdkVersion, "started_at": iso8601(v.startedAt),
                "uptime_seconds": Int(uptime), "main_core": v.mainCore, "worker_cores": v.workerCores,
                "rx_cores": v.rxCores,
            ] as [String: Any])
        }
        var block = KeyValueBlock()
        block.add("swiftfwd", v.version)
        block.add("DPDK", v.dpdkVersion)
        block.add("started", "\(utcText(v.startedAt)), up \(Units.duration(uptime))")
        let rx = v.rxCores.isEmpty ? "" : ", rx " + v.rxCores.map(String.init).joined(separator: " ")
        block.add("cores", "main \(v.mainCore), workers " + v.workerCores.map(String.init).joined(separator: " ") + rx)
        return block.render()
    }

    // MARK: show interfaces

    static func interfaces(_ view: CounterView, only name: String?, json: Bool) -> String {
        let ports = view.now.interfaces.filter { name == nil || $0.name == name }
        if json {
            return JSON.text(["interfaces": ports.map { interfaceJSON($0, view) }, "interval_seconds": intervalJSON(view)] as [String: Any])
        }
        guard !ports.isEmpty else { return "no interfaces\n" }
        return ports.map { interfaceText($0, view) }.joined(separator: "\n")
    }

    static func interfaceText(_ port: InterfaceInfo, _ view: CounterView) -> String {
        let c = view.counters(of: port)
        let r = view.rates(of: port)
        var out = "\(port.name): link \(port.linkUp ? "up" : "down"), \(Units.linkSpeed(mbps: port.speedMbps)), mtu \(port.mtu), mac \(port.mac)\n"
        var block = KeyValueBlock()
        block.add("device", "\(port.device) (driver \(port.driver))")
        block.add("addresses", port.addresses.isEmpty ? "none" : port.addresses.map(\.description).joined(separator: ", "))
        block.add("rx queues", "\(port.rxQueues), RSS " + (port.rssHash.isEmpty ? "off" : "on " + port.rssHash.joined(separator: " ")))
        out += block.render(indent: "  ")
        var table = TextTable([("", .left), ("packets", .right), ("bytes", .right), ("packet rate", .right), ("bit rate", .right)])
        table.add(["rx", "\(c.rxPackets)", Units.bytes(c.rxBytes), Units.packetRate(r.rxPacketsPerSecond), Units.bitRate(r.rxBitsPerSecond)])
        table.add(["tx", "\(c.txPackets)", Units.bytes(c.txBytes), Units.packetRate(r.txPacketsPerSecond), Units.bitRate(r.txBitsPerSecond)])
        table.add(["hw rx", "\(c.hwRxPackets)", Units.bytes(c.hwRxBytes), "", ""])
        table.add(["hw tx", "\(c.hwTxPackets)", Units.bytes(c.hwTxBytes), "", ""])
        out += table.render(indent: "  ")
        out += "  errors  imissed \(c.imissed)  ierrors \(c.ierrors)  rx_nombuf \(c.rxNoMbuf)  oerrors \(c.oerrors)\n"
        return out
    }

    static func interfaceJSON(_ port: InterfaceInfo, _ view: CounterView) -> [String: Any] {
        let c = view.counters(of: port)
        let r = view.rates(of: port)
        return [
            "name": port.name, "device": port.device, "driver": port.driver, "mac": port.mac.description, "mtu": port.mtu,
            "link_up": port.linkUp, "speed_mbps": port.speedMbps, "addresses": port.addresses.map(\.description),
            "rx_queues": port.rxQueues, "rss_hash": port.rssHash,
            "counters": [
                "rx_packets": c.rxPackets, "rx_bytes": c.rxBytes, "tx_packets": c.txPackets, "tx_bytes": c.txBytes,
                "hw_rx_packets": c.hwRxPackets, "hw_rx_bytes": c.hwRxBytes, "hw_tx_packets": c.hwTxPackets, "hw_tx_bytes": c.hwTxBytes,
                "imissed": c.imissed, "ierrors": c.ierrors, "oerrors": c.oerrors, "rx_nombuf": c.rxNoMbuf,
            ] as [String: Any],
            "rates": [
                "rx_pps": JSON.number(r.rxPacketsPerSecond), "rx_bps": JSON.number(r.rxBitsPerSecond),
                "tx_pps": JSON.number(r.txPacketsPerSecond), "tx_bps": JSON.number(r.txBitsPerSecond),
            ],
        ]
    }

    static func intervalJSON(_ view: CounterView) -> Any {
        view.interval.map { JSON.number($0) as Any } ?? NSNull()
    }

    static func xstats(port: String, _ stats: [(name: String, value: UInt64)], json: Bool) -> String {
        if json {
            var values: [String: Any] = [:]
            for s in stats { values[s.name] = s.value }
            return JSON.text(["port": port, "xstats": values] as [String: Any])
        }
        guard !stats.isEmpty else { return "\(port): the driver reports no extended statistics\n" }
        var table = TextTable([("xstat", .left), ("value", .right)])
        for s in stats { table.add([s.name, "\(s.value)"]) }
        return "\(port) extended statistics (totals from the driver):\n" + table.render(indent: "  ")
    }

    // MARK: show workers

    static func threadingJSON(_ t: ThreadingInfo) -> [String: Any] {
        t.isPipeline ? ["mode": t.mode, "ring_size": t.ringSize, "ring_burst": t.ringBurst] : ["mode": t.mode]
    }

    static func threadingText(_ t: ThreadingInfo) -> String {
        t.isPipeline ? "threading: pipeline (receive cores hand packets to workers over rings of \(t.ringSize), in bursts of up to \(t.ringBurst))\n"
            : "threading: \(t.mode)\n"
    }

    static func workers(_ view: CounterView, json: Bool) -> String {
        let threading = view.now.threading
        if json {
            let list: [[String: Any]] = view.now.workers.map { w in
                let c = view.counters(of: w)
                let r = view.rates(of: w)
                return [
                    "core": w.core, "role": w.role, "queues": w.queues, "rings": w.rings,
                    "rx_packets": c.rxPackets, "tx_packets": c.txPackets, "drops": c.drops,
                    "ipv4_fragmented": c.ipv4Fragmented, "ipv4_fragments": c.ipv4Fragments,
                    "busy_cycles": c.busyCycles, "idle_cycles": c.idleCycles, "busy_percent": JSON.number(r.busyFraction * 100, digits: 1),
                    "cycles_per_packet": r.cyclesPerPacket.map { JSON.number($0, digits: 1) as Any } ?? NSNull(),
                    "mpps": JSON.number(r.mpps),
                ]
            }
            return JSON.text(["workers": list, "threading": threadingJSON(threading), "interval_seconds": intervalJSON(view),
                              "tsc_hz": view.now.tscHz] as [String: Any])
        }
        guard !view.now.workers.isEmpty else { return threadingText(threading) + "no workers\n" }
        // Pipeline mode adds who does what and the rings between them; run-to-completion has
        // only workers, each with its queues.
        let pipeline = threading.isPipeline
        var columns: [(String, TextTable.Alignment)] = [("core", .right)]
        if pipeline { columns.append(("role", .left)) }
        columns.append(("queues", .left))
        if pipeline { columns.append(("rings", .left)) }
        columns += [("rx packets", .right), ("tx packets", .right), ("drops", .right)]
        // Fragmentation is rare: its columns appear only once some core has fragmented.
        let fragmenting = view.now.workers.contains { view.counters(of: $0).ipv4Fragmented > 0 }
        if fragmenting { columns += [("fragmented", .right), ("fragments", .right)] }
        columns += [("busy", .right), ("cycles/packet", .right), ("Mpps", .right)]
        var table = TextTable(columns)
        for w in view.now.workers {
            let c = view.counters(of: w)
            let r = view.rates(of: w)
            var row = ["\(w.core)"]
            if pipeline { row.append(w.role) }
            row.append(w.queues.isEmpty ? "-" : w.queues.joined(separator: " "))
            if pipeline { row.append(w.rings.isEmpty ? "-" : w.rings.joined(separator: " ")) }
            row += ["\(c.rxPackets)", "\(c.txPackets)", "\(c.drops)"]
            if fragmenting { row += ["\(c.ipv4Fragmented)", "\(c.ipv4Fragments)"] }
            row += [Units.percent(r.busyFraction), r.cyclesPerPacket.map { String(format: "%.1f", $0) } ?? "-", String(format: "%.2f", r.mpps)]
            table.add(row)
        }
        var note = ""
        if pipeline {
            note = "(an rx core's rx is what it received, tx what it handed to workers, drops ring_full; a worker's rx is what it took from its rings)\n"
        }
        return threadingText(threading) + table.render() + intervalNote(view) + note
    }

    // MARK: show rings

    static func rings(_ view: CounterView, json: Bool) -> String {
        let threading = view.now.threading
        let rings = view.now.rings.map { view.counters(of: $0) }
        if json {
            let list: [[String: Any]] = rings.map { r in
                ["name": r.name, "rx_core": r.rxCore, "worker_core": r.workerCore, "size": r.size, "count": r.count,
                 "enqueued": r.enqueued, "dequeued": r.dequeued, "dropped": r.dropped]
            }
            return JSON.text(["rings": list, "threading": threadingJSON(threading)] as [String: Any])
        }
        guard !rings.isEmpty else {
            return threadingText(threading) + (threading.isPipeline ? "no rings\n" : "no rings: only pipeline mode has rings (threading.mode: pipeline)\n")
        }
        var table = TextTable([("ring", .left), ("from", .right), ("to", .right), ("size", .right), ("in ring", .right),
                               ("enqueued", .right), ("dequeued", .right), ("dropped", .right)])
        for r in rings {
            table.add([r.name, "rx \(r.rxCore)", "worker \(r.workerCore)", "\(r.size)", "\(r.count)", "\(r.enqueued)", "\(r.dequeued)", "\(r.dropped)"])
        }
        return threadingText(threading) + table.render() + "(dropped: the ring was full, counted as ring_full; in ring: now)\n"
    }

    static func intervalNote(_ view: CounterView) -> String {
        guard let dt = view.interval else { return "(rates need a second sample; try again in a second)\n" }
        return String(format: "(busy, cycles/packet and Mpps over the last %.1f s)\n", dt)
    }

    // MARK: show errors

    static func errors(_ view: CounterView, all: Bool, json: Bool) -> String {
        let cores = view.now.workers.map(\.core)
        let drops = view.drops.filter { all || $0.perWorker.contains { $0 != 0 } }
        if json {
            let list: [[String: Any]] = drops.map { d in
                var perCore: [String: Any] = [:]
                for (i, core) in cores.enumerated() { perCore["\(core)"] = i < d.perWorker.count ? d.perWorker[i] : 0 }
                return ["name": d.name, "explanation": d.explanation, "per_core": perCore, "total": d.perWorker.reduce(0, &+)]
            }
            return JSON.text(["drops": list, "cores": cores, "total": drops.reduce(UInt64(0)) { $0 &+ $1.perWorker.reduce(0, &+) }] as [String: Any])
        }
        guard !drops.isEmpty else { return "no drops counted (\"show errors all\" lists every reason)\n" }
        var columns: [(String, TextTable.Alignment)] = [("reason", .left)]
        columns += cores.map { ("core \($0)", .right) }
        columns += [("total", .right), ("meaning", .left)]
        var table = TextTable(columns)
        for d in drops {
            let counts = cores.indices.map { i in i < d.perWorker.count ? "\(d.perWorker[i])" : "0" }
            table.add([d.name] + counts + ["\(d.perWorker.reduce(0, &+))", d.explanation])
        }
        return table.render()
    }

    // MARK: show routes, show route

    /// Routes in address order, IPv4 first, shorter prefixes first at one address.
    static func sorted(_ routes: [RouteInfo]) -> [RouteInfo] {
        routes.sorted { a, b in
            switch (a.prefix, b.prefix) {
            case (.v4(let x), .v4(let y)): return x.address == y.address ? x.length < y.length : x.address < y.address
            case (.v6(let x), .v6(let y)): return x.address == y.address ? x.length < y.length : x.address < y.address
            case (.v4, .v6): return true
            case (.v6, .v4): return false
            }
        }
    }

    static func usageText(_ u: TableUsage) -> String {
        "IPv4: \(u.ipv4Routes) of \(u.ipv4Capacity) routes, IPv6: \(u.ipv6Routes) of \(u.ipv6Capacity) routes\n"
    }

    static func usageJSON(_ u: TableUsage) -> [String: Any] {
        ["ipv4_routes": u.ipv4Routes, "ipv4_capacity": u.ipv4Capacity, "ipv6_routes": u.ipv6Routes, "ipv6_capacity": u.ipv6Capacity]
    }

    static func routeJSON(_ r: RouteInfo) -> [String: Any] {
        var object: [String: Any] = ["prefix": r.prefix.description, "kind": r.kind, "next_hop": r.nextHop,
                                     "port": r.port.map { $0 as Any } ?? NSNull(), "resolved": r.resolved]
        if !r.paths.isEmpty {
            object["next_hops"] = r.paths.map { p in
                ["next_hop": p.nextHop, "port": p.port.map { $0 as Any } ?? NSNull(), "resolved": p.resolved, "weight": p.weight] as [String: Any]
            }
        }
        return object
    }

    /// The table's rows for one route: one, or one per next hop of a multipath route (the
    /// prefix and kind on the first only).
    static func routeRows(_ r: RouteInfo) -> [[String]] {
        guard !r.paths.isEmpty else { return [[r.prefix.description, r.kind, r.nextHop, r.resolved ? "yes" : "no"]] }
        return r.paths.enumerated().map { i, p in
            [i == 0 ? r.prefix.description : "", i == 0 ? r.kind : "", p.label, p.resolved ? "yes" : "no"]
        }
    }

    /// The route table in pieces of a few hundred rows, so a full table (a million routes)
    /// is produced only as fast as the client reads it. `listing` is already filtered and sorted.
    static func routes(_ listing: RouteListing, json: Bool) -> AnyIterator<String> {
        let routes = listing.routes
        let usage = listing.usage
        let within = listing.within
        let batch = 256
        var index = 0
        var stage = 0
        if json {
            return AnyIterator {
                switch stage {
                case 0:
                    stage = 1
                    return "{\n  \"routes\": [\n"
                case 1:
                    guard index < routes.count else {
                        stage = 2
                        return "\n  ],\n  \"usage\": " + JSON.line(usageJSON(usage)).trimmingCharacters(in: .whitespacesAndNewlines) + "\n}\n"
                    }
                    let end = min(index + batch, routes.count)
                    let piece = routes[index..<end].map { "    " + JSON.line(routeJSON($0)).trimmingCharacters(in: .whitespacesAndNewlines) }
                        .joined(separator: ",\n")
                    defer { index = end }
                    return index == 0 ? piece : ",\n" + piece
                default:
                    return nil
                }
            }
        }
        // Column widths from every row first: one pass over the fields, no lines built.
        var widths = ["prefix".count, "kind".count, "next hop".count]
        for r in routes {
            widths[0] = max(widths[0], r.prefix.description.count)
            widths[1] = max(widths[1], r.kind.count)
            if r.paths.isEmpty {
                widths[2] = max(widths[2], r.nextHop.count)
            } else {
                for p in r.paths { widths[2] = max(widths[2], p.label.count) }
            }
        }
        let table = TextTable([("prefix", .left), ("kind", .left), ("next hop", .left), ("resolved", .left)])
        let columnWidths = widths + ["resolved".count]
        return AnyIterator {
            switch stage {
            case 0:
                stage = 1
                if routes.isEmpty {
                    stage = 2
                    return usageText(usage) + (within.map { "no routes inside \($0)\n" } ?? "no routes\n")
                }
                return usageText(usage) + table.line(table.headers, columnWidths) + "\n"
            case 1:
                guard index < routes.count else {
                    stage = 2
                    return nil
                }
                let end = min(index + batch, routes.count)
                var piece = ""
                for r in routes[index..<end] {
                    if r.paths.isEmpty {
                        piece += table.line([r.prefix.description, r.kind, r.nextHop, r.resolved ? "yes" : "no"], columnWidths) + "\n"
                    } else {
                        for row in routeRows(r) { piece += table.line(row, columnWidths) + "\n" }
                    }
                }
                index = end
                return piece
            default:
                return nil
            }
        }
    }

    static func route(for address: IPAddress, _ match: RouteInfo?, json: Bool) -> String {
        if json {
            return JSON.text(["address": address.description, "route": match.map { routeJSON($0) as Any } ?? NSNull()] as [String: Any])
        }
        guard let r = match else { return "no route matches \(address) (packets to it are dropped as no_route)\n" }
        var block = KeyValueBlock()
        if !r.paths.isEmpty {
            // Which one a packet takes depends on its flow (addresses, protocol, ports).
            block.add("next hops", "\(r.paths.count), one per flow")
            for p in r.paths {
                block.add("  " + p.label, p.resolved ? "resolved" : "not resolved (its flows are dropped as no_neighbor)")
            }
            return "\(address) matches \(r.prefix) (\(r.kind))\n" + block.render(indent: "  ")
        }
        block.add("next hop", r.nextHop)
        block.add("resolved", r.resolved ? "yes" : "no (no neighbor entry yet; packets are dropped as no_neighbor)")
        return "\(address) matches \(r.prefix) (\(r.kind))\n" + block.render(indent: "  ")
    }

    // MARK: show neighbors, show memory, show config

    static func neighbors(_ list: [NeighborInfo], json: Bool) -> String {
        let sortedList = list.sorted { a, b in
            switch (a.address, b.address) {
            case (.v4(let x), .v4(let y)): return x < y
            case (.v6(let x), .v6(let y)): return x < y
            case (.v4, .v6): return true
            case (.v6, .v4): return false
            }
        }
        if json {
            return JSON.text(["neighbors": sortedList.map {
                ["address": $0.address.description, "mac": $0.mac.description, "port": $0.port, "source": $0.source]
            }])
        }
        guard !sortedList.isEmpty else { return "no neighbors\n" }
        var table = TextTable([("address", .left), ("mac", .left), ("port", .left), ("source", .left)])
        for n in sortedList { table.add([n.address.description, n.mac.description, n.port, n.source]) }
        return table.render()
    }

    static func memory(_ m: MemoryInfo, json: Bool) -> String {
        if json {
            let huge: Any = m.hugepagesTotalMB.map { total -> Any in
                ["total_mb": total, "free_mb": m.hugepagesFreeMB.map { $0 as Any } ?? NSNull()] as [String: Any]
            } ?? NSNull()
            return JSON.text([
                "mbufs": ["total": m.mbufsTotal, "in_use": m.mbufsInUse, "free": m.mbufsFree, "bytes": m.mbufBytes],
                "hugepages": huge,
                "heap": ["total_bytes": m.heapTotalBytes, "used_bytes": m.heapUsedBytes],
                "fib_bytes": m.fibBytes,
            ] as [String: Any])
        }
        func share(_ part: Int, _ whole: Int) -> String { whole > 0 ? " (" + Units.percent(Double(part) / Double(whole)) + ")" : "" }
        var block = KeyValueBlock()
        block.add("mbuf pool", "\(m.mbufsTotal) mbufs, \(m.mbufsInUse) in use\(share(m.mbufsInUse, m.mbufsTotal)), \(m.mbufsFree) free; \(Units.bytes(m.mbufBytes))")
        if let total = m.hugepagesTotalMB {
            let free = m.hugepagesFreeMB.map { ", \(Units.bytes($0 * 1_048_576)) free" } ?? ""
            block.add("hugepages", Units.bytes(total * 1_048_576) + free)
        } else {
            block.add("hugepages", "not used (EAL runs with --no-huge)")
        }
        block.add("DPDK heap", "\(Units.bytes(m.heapTotalBytes)), \(Units.bytes(m.heapUsedBytes)) used\(share(m.heapUsedBytes, m.heapTotalBytes))")
        block.add("FIB", Units.bytes(m.fibBytes))
        return block.render()
    }

    static func config(_ text: String, json: Bool) -> String {
        let shown = redactPasswords(text)
        if json { return JSON.text(["config": shown]) }
        return shown.hasSuffix("\n") ? shown : shown + "\n"
    }

    /// Replaces the value of every `password:` key, so `show config` never reveals the console
    /// password to someone reading over an operator's shoulder or a log of the session. Covers
    /// block and flow mappings, quoted and plain values, and block scalars (`password: |`).
    static func redactPasswords(_ text: String) -> String {
        var out: [String] = []
        var blockIndent: Int?                  // inside a password's block scalar, deeper than this
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let indent = line.prefix { $0 == " " }.count
            if let key = blockIndent {
                if line.trimmingCharacters(in: .whitespaces).isEmpty || indent > key { continue }
                blockIndent = nil
            }
            let range = NSRange(line.startIndex..., in: line)
            guard let match = passwordValue.firstMatch(in: line, range: range),
                  let keyRange = Range(match.range(at: 1), in: line), let valueRange = Range(match.range(at: 2), in: line) else {
                out.append(line)
                continue
            }
            let value = line[valueRange]
            if value.hasPrefix("|") || value.hasPrefix(">") { blockIndent = indent }
            out.append(String(line[..<keyRange.upperBound]) + "\"********\"" + String(line[valueRange.upperBound...]))
        }
        return out.joined(separator: "\n")
    }

    /// `password:` (not `password_file:`) and its value: a quoted string, or a plain one up to
    /// a comment, a comma or brace of a flow mapping, or the end of the line.
    private static let passwordValue = try! NSRegularExpression(
        pattern: #"((?:^|[\s{,-])password\s*:\s*)("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,}#\s](?:[^,}#]*[^,}#\s])?)"#)

    // MARK: monitor interfaces

    static func monitorFrame(_ view: CounterView, now: Date, json: Bool) -> String {
        if json {
            return JSON.line(["time": iso8601(now), "interval_seconds": intervalJSON(view),
                              "interfaces": view.now.interfaces.map { p -> [String: Any] in
                                  let c = view.counters(of: p)
                                  let r = view.rates(of: p)
                                  return ["name": p.name, "link_up": p.linkUp, "rx_packets": c.rxPackets, "tx_packets": c.txPackets,
                                          "rx_pps": JSON.number(r.rxPacketsPerSecond), "rx_bps": JSON.number(r.rxBitsPerSecond),
                                          "tx_pps": JSON.number(r.txPacketsPerSecond), "tx_bps": JSON.number(r.txBitsPerSecond),
                                          "imissed": c.imissed]
                              }] as [String: Any])
        }
        var table = TextTable([("name", .left), ("link", .left), ("rx rate", .right), ("rx bit rate", .right), ("tx rate", .right),
                               ("tx bit rate", .right), ("rx packets", .right), ("tx packets", .right), ("imissed", .right)])
        for p in view.now.interfaces {
            let c = view.counters(of: p)
            let r = view.rates(of: p)
            table.add([p.name, p.linkUp ? "up" : "down", Units.packetRate(r.rxPacketsPerSecond), Units.bitRate(r.rxBitsPerSecond),
                       Units.packetRate(r.txPacketsPerSecond), Units.bitRate(r.txBitsPerSecond), "\(c.rxPackets)", "\(c.txPackets)",
                       "\(c.imissed)"])
        }
        // Home and clear screen (ANSI), then the table: the frame redraws in place.
        return "\u{1B}[H\u{1B}[2J" + "interfaces at \(utcText(now)), refreshed every second; press any key to stop\n\n" + table.render()
    }

    // MARK: dates

    static func iso8601(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    static func utcText(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: date)
    }
}
