import Console
import Dataplane
import Dispatch
import Forwarding
import Foundation
import Packet

/// Changes in bulk: pipelined console lines and `route load FILE`, each batch published to the
/// workers as one update with one RCU grace period (ForwardingPlane.apply).
extension ForwarderConsoleBackend: BatchingConsoleBackend {
    /// Changes per update when a file is loaded. Large enough that the grace period and the
    /// adjacency copy are a small part of each update; small enough that the plane's lock is
    /// held for tens of milliseconds at a time, so queries (`show route`) and other sessions'
    /// changes wait little, and a refusal is undone cheaply.
    static let loadBatch = 16_384

    func apply(_ changes: [ConsoleChange]) -> [ConsoleError?] {
        guard let plane = forwarder.plane else {
            return Array(repeating: ConsoleError("the forwarding tables are not set up"), count: changes.count)
        }
        var results = [ConsoleError?](repeating: nil, count: changes.count)
        var tableChanges: [TableChange] = []
        var positions: [Int] = []
        tableChanges.reserveCapacity(changes.count)
        for (index, change) in changes.enumerated() {
            do {
                tableChanges.append(try tableChange(change))
                positions.append(index)
            } catch let error as ConsoleError {
                results[index] = error
            } catch {
                results[index] = ConsoleError("\(error)")
            }
        }
        for refusal in plane.apply(tableChanges).refused {
            results[positions[refusal.index]] = ConsoleError(refusal.message)
        }
        return results
    }

    func tableChange(_ change: ConsoleChange) throws -> TableChange {
        switch change {
        case .addRouteVia(let prefix, let gateway): return .addRoute(prefix, .via(gateway))
        case .addRouteDev(let prefix, let port): return .addRoute(prefix, .port(try portIndex(port)))
        case .deleteRoute(let prefix): return .deleteRoute(prefix)
        case .addNeighbor(let address, let mac, let port): return .addNeighbor(address, mac, port: try portIndex(port), source: "console")
        case .deleteNeighbor(let address): return .deleteNeighbor(address)
        }
    }

    func loadRoutes(path: String) throws -> RouteLoadReport {
        guard let plane = forwarder.plane else { throw ConsoleError("the forwarding tables are not set up") }
        let started = DispatchTime.now().uptimeNanoseconds
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (check its permissions)" : "does not exist"
            throw ConsoleError("the file \(path) \(reason)")
        }
        let parsed = RouteChangeFile.parse([UInt8](data), ports: config.ports.map(\.name))
        if parsed.errorCount > 0 {
            var message = "\(path) has \(parsed.errorCount) line\(parsed.errorCount == 1 ? "" : "s") that \(parsed.errorCount == 1 ? "is not a route change" : "are not route changes"); nothing was applied"
            for error in parsed.errors { message += "\n  \(error)" }
            if parsed.errorCount > parsed.errors.count { message += "\n  ... and \(parsed.errorCount - parsed.errors.count) more" }
            throw ConsoleError(message)
        }
        let readDone = DispatchTime.now().uptimeNanoseconds
        let before = plane.statistics
        var refusals: [String] = []
        var refused = 0
        var start = 0
        while start < parsed.changes.count {
            let end = min(parsed.changes.count, start + Self.loadBatch)
            let result = plane.apply(parsed.changes[start..<end])
            refused += result.refused.count
            for refusal in result.refused where refusals.count < 10 {
                refusals.append("line \(parsed.lines[start + refusal.index]): \(refusal.message)")
            }
            start = end
        }
        let finished = DispatchTime.now().uptimeNanoseconds
        let counts = plane.withTable { $0.routeCount }
        let room = plane.room
        return RouteLoadReport(path: path, changes: parsed.changes.count, applied: parsed.changes.count - refused, refused: refused,
                               refusals: refusals, updates: plane.statistics.publishes - before.publishes,
                               parseSeconds: Double(readDone - started) / 1e9, applySeconds: Double(finished - readDone) / 1e9,
                               ipv4Routes: counts.ipv4, ipv6Routes: counts.ipv6,
                               tbl8: (room.ipv4Reserved, room.ipv4Groups, room.ipv6Reserved, room.ipv6Groups),
                               cpuSeconds: Double(plane.statistics.cpuNanos - before.cpuNanos) / 1e9)
    }
}
