import Foundation
import Packet

// Table changes in bulk: lines of `route add`/`route del`/`neighbor ...` sent back to back over
// one session, and `route load FILE`. Each change to the forwarding tables costs an RCU grace
// period and a copy of the adjacency table in the data plane; given in a batch, a whole batch
// costs one. See docs/console.md ("Many changes at once").

/// A table change as typed at the console (ports by name).
public enum ConsoleChange: Sendable, Equatable {
    case addRouteVia(IPPrefix, IPAddress)
    case addRouteDev(IPPrefix, String)
    case deleteRoute(IPPrefix)
    case addNeighbor(IPAddress, MACAddress, String)
    case deleteNeighbor(IPAddress)

    /// What the console answers when the change is done ("route 198.18.4.0/24 deleted").
    public var done: String {
        switch self {
        case .addRouteVia(let prefix, let gateway): return "route \(prefix) via \(gateway) added"
        case .addRouteDev(let prefix, let port): return "route \(prefix) dev \(port) added"
        case .deleteRoute(let prefix): return "route \(prefix) deleted"
        case .addNeighbor(let address, let mac, let port): return "neighbor \(address) \(mac) dev \(port) added"
        case .deleteNeighbor(let address): return "neighbor \(address) deleted"
        }
    }

    /// The change through the backend's one-change calls (each its own update).
    func apply(to backend: any ConsoleBackend) throws {
        switch self {
        case .addRouteVia(let prefix, let gateway): try backend.addRoute(prefix, via: gateway)
        case .addRouteDev(let prefix, let port): try backend.addRoute(prefix, port: port)
        case .deleteRoute(let prefix): try backend.deleteRoute(prefix)
        case .addNeighbor(let address, let mac, let port): try backend.addNeighbor(address, mac: mac, port: port)
        case .deleteNeighbor(let address): try backend.deleteNeighbor(address)
        }
    }
}

extension Command {
    /// The table change this command makes, if it is one.
    var change: ConsoleChange? {
        switch self {
        case .addRouteVia(let prefix, let gateway): return .addRouteVia(prefix, gateway)
        case .addRouteDev(let prefix, let port): return .addRouteDev(prefix, port)
        case .deleteRoute(let prefix): return .deleteRoute(prefix)
        case .addNeighbor(let address, let mac, let port): return .addNeighbor(address, mac, port)
        case .deleteNeighbor(let address): return .deleteNeighbor(address)
        default: return nil
        }
    }
}

/// What `route load FILE` did.
public struct RouteLoadReport: Sendable {
    public var path: String
    /// Changes in the file (lines that were neither blank nor comments).
    public var changes: Int
    public var applied: Int
    public var refused: Int
    /// The first refusals, "line 17: no static route for 198.18.9.0/24".
    public var refusals: [String]
    /// Updates published to the workers (each one RCU grace period).
    public var updates: Int
    /// Reading and parsing the file, and applying it.
    public var parseSeconds: Double
    public var applySeconds: Double
    public var ipv4Routes: Int
    public var ipv6Routes: Int
    /// tbl8 groups reserved of those in the pools, per family: how close the tables are to full.
    public var tbl8: (ipv4: Int, ipv4Groups: Int, ipv6: Int, ipv6Groups: Int)?
    /// CPU time the control thread spent applying, grace periods left out.
    public var cpuSeconds: Double?

    public init(path: String, changes: Int, applied: Int, refused: Int, refusals: [String], updates: Int,
                parseSeconds: Double, applySeconds: Double, ipv4Routes: Int, ipv6Routes: Int,
                tbl8: (ipv4: Int, ipv4Groups: Int, ipv6: Int, ipv6Groups: Int)? = nil, cpuSeconds: Double? = nil) {
        self.path = path
        self.changes = changes
        self.applied = applied
        self.refused = refused
        self.refusals = refusals
        self.updates = updates
        self.parseSeconds = parseSeconds
        self.applySeconds = applySeconds
        self.ipv4Routes = ipv4Routes
        self.ipv6Routes = ipv6Routes
        self.tbl8 = tbl8
        self.cpuSeconds = cpuSeconds
    }
}

/// A backend that applies many changes as one update. The console uses it when the backend
/// has it (the forwarder's does); otherwise it makes the changes one by one.
public protocol BatchingConsoleBackend: ConsoleBackend {
    /// Applies the changes in order, as if typed one after the other, and publishes them to
    /// the workers together. Returns, for each change, nil or why it was refused; a refused
    /// change does not stop the others. Called on the control queue.
    func apply(_ changes: [ConsoleChange]) -> [ConsoleError?]
    /// `route load FILE`: reads a route-change file and applies it in batches. Throws, with
    /// nothing applied, when the file cannot be read or has lines that are not changes.
    func loadRoutes(path: String) throws -> RouteLoadReport
}

extension Views {
    static func routeLoad(_ r: RouteLoadReport, json: Bool) -> String {
        let rate = r.applySeconds > 0 ? Double(r.applied + r.refused) / r.applySeconds : 0
        if json {
            var object: [String: Any] = [
                "ok": r.refused == 0, "file": r.path, "changes": r.changes, "applied": r.applied, "refused": r.refused,
                "refusals": r.refusals, "updates": r.updates, "parse_seconds": JSON.number(r.parseSeconds),
                "apply_seconds": JSON.number(r.applySeconds), "changes_per_second": JSON.number(rate, digits: 0),
                "ipv4_routes": r.ipv4Routes, "ipv6_routes": r.ipv6Routes,
            ]
            if let cpu = r.cpuSeconds { object["cpu_seconds"] = JSON.number(cpu) }
            if let t = r.tbl8 {
                object["tbl8_groups"] = ["ipv4_reserved": t.ipv4, "ipv4_total": t.ipv4Groups, "ipv6_reserved": t.ipv6, "ipv6_total": t.ipv6Groups]
            }
            return JSON.text(object)
        }
        var out = "route load \(r.path): \(r.applied) of \(r.changes) changes applied"
        if r.refused > 0 { out += ", \(r.refused) refused" }
        out += String(format: " in %.2f s (%.0f changes/s, %d updates; file read in %.2f s)\n", r.applySeconds, rate, r.updates, r.parseSeconds)
        if let cpu = r.cpuSeconds, cpu > 0 {
            out += String(format: "control thread CPU %.2f s besides grace periods: %.0f changes per CPU second\n", cpu, Double(r.applied + r.refused) / cpu)
        }
        for refusal in r.refusals { out += "  \(refusal)\n" }
        if r.refused > r.refusals.count { out += "  ... and \(r.refused - r.refusals.count) more refused\n" }
        out += "routes now: \(r.ipv4Routes) IPv4, \(r.ipv6Routes) IPv6"
        if let t = r.tbl8 { out += "; tbl8 groups reserved: IPv4 \(t.ipv4) of \(t.ipv4Groups), IPv6 \(t.ipv6) of \(t.ipv6Groups)" }
        out += "\n"
        return out
    }
}
