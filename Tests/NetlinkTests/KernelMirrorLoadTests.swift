import Foundation
import XCTest
import Packet
@testable import Netlink

/// 100,000 routes (50,000 IPv4 /32 and 50,000 IPv6 /64) added with `ip -batch` while the
/// mirror listens, then removed: none may be lost, whether they arrive as events or through a
/// resync. Prints the times. Root only, in a namespace of its own; about 25 s in a debug build.
///
/// SWF_NETLINK_LOAD_ROUTES=1000000 runs a bigger load (IPv4 /32s up to 100,000 in
/// 198.18.64.0-198.19.255.255, the rest IPv6 /64s in 2001:db8:100::/40).
final class KernelMirrorLoadTests: XCTestCase {
    func testHundredThousandRoutes() throws {
        let total = ProcessInfo.processInfo.environment["SWF_NETLINK_LOAD_ROUTES"].flatMap { Int($0) } ?? 100_000
        let namespace = try TestNamespace(suffix: "load")
        defer { namespace.remove() }
        let v0 = namespace.ifindex["v0"]!
        let (client, mirror) = try namespace.inside {
            (try NetlinkClient(), try KernelMirror(configuration: .init(interfaces: .names(["v0"]))))
        }
        try client.addAddress(v4("198.18.5.1"), prefixLength: 24, ifindex: v0)
        try client.addAddress(v6("2001:db8:5::1"), prefixLength: 64, ifindex: v0, skipDAD: true)
        _ = try mirror.start()

        // 198.18.64.0 up to 198.19.255.255: 114,688 host routes clear of the link subnets.
        let ipv4Count = min(total / 2, 100_000)
        let ipv6Count = total - ipv4Count
        let ipv4 = (0..<ipv4Count).map { "\(IPv4Address(0xC612_4000 + UInt32($0)))/32" }
        let ipv6 = (0..<ipv6Count).map { "2001:db8:\(String(0x100 + $0 >> 16, radix: 16)):\(String($0 & 0xFFFF, radix: 16))::/64" }
        let isTest: (IPPrefix) -> Bool = {
            switch $0 {
            case .v4(let p): return p.length == 32 && p.address.value >= 0xC612_4000 && p.address.value <= 0xC613_FFFF
            case .v6(let p): return p.length == 64 && IPv6Prefix("2001:db8:100::/40")!.contains(p.address)
            }
        }

        for step in ["add", "del"] {
            var batch = ipv4.map { "route \(step) \($0) via 198.18.5.2\n" }
            batch += ipv6.map { "route \(step) \($0) via 2001:db8:5::2\n" }
            let before = mirror.statistics
            let result = try run(batch.joined(), in: namespace, mirror: mirror) { change in
                switch (step, change) {
                case ("add", .routeAdded(let r)), ("del", .routeDeleted(let r)): return isTest(r.prefix)
                default: return false
                }
            }
            XCTAssertEqual(result.seen, total, "\(step): every route reported once")
            let mirrored = mirror.routes.filter { isTest($0.prefix) }.count
            XCTAssertEqual(mirrored, step == "add" ? total : 0)
            let overruns = mirror.statistics.overruns - before.overruns
            let resyncs = mirror.statistics.resyncs - before.resyncs
            print(String(format: "netlink load: %@ %d routes: ip -batch %.2f s, all %d changes out of the mirror %.2f s after the start, max lag receipt->batch %.1f ms, %d overruns, %d resyncs",
                         step, total, result.commandSeconds, result.seen, result.mirrorSeconds,
                         Double(result.maxLagNanoseconds) / 1e6, overruns, resyncs))
            if step == "add" {
                // A full dump of the loaded table, timed.
                let resync = try mirror.resync()
                XCTAssertEqual(resync.changes.count, 0, "a dump of an unchanged table changes nothing")
                print(String(format: "netlink load: full dump of %d routes (both families, all tables) %.2f s",
                             mirror.statistics.lastDumpRoutes, Double(mirror.statistics.lastDumpNanoseconds) / 1e9))
            }
        }
    }

    private struct LoadResult {
        var seen = 0
        var commandSeconds = 0.0
        var mirrorSeconds = 0.0
        var maxLagNanoseconds: UInt64 = 0
    }

    /// Runs `ip -batch` on another thread while this one polls the mirror, counting the changes
    /// `counts` accepts, until the command is done and the mirror is quiet.
    private func run(_ batch: String, in namespace: TestNamespace, mirror: KernelMirror,
                     counts: (MirrorChange) -> Bool) throws -> LoadResult {
        var result = LoadResult()
        let commandDone = DispatchSemaphore(value: 0)
        let commandError = ErrorBox()
        let began = monotonicNanoseconds()
        let commandSeconds = ErrorBox()
        Thread {
            do { try namespace.ip(["-batch", "-"], input: batch) } catch { commandError.error = error }
            commandSeconds.seconds = Double(monotonicNanoseconds() - began) / 1e9
            commandDone.signal()
        }.start()

        var finished = false
        var lastChange = began
        // Generous: the kernel itself needs ~50 s for a million IPv6 routes on a busy machine.
        let deadline = began + 600_000_000_000
        while monotonicNanoseconds() < deadline {
            let batch = mirror.poll(timeoutMilliseconds: 50, maxMessages: 8192)
            XCTAssertNil(batch.failure)
            let polled = monotonicNanoseconds()
            for timed in batch.changes where counts(timed.change) {
                result.seen += 1
                result.maxLagNanoseconds = max(result.maxLagNanoseconds, polled - timed.receivedAt)
                lastChange = polled
            }
            if !finished, commandDone.wait(timeout: .now()) == .success { finished = true }
            // Done: the command has ended and a poll of 50 ms found nothing more.
            if finished && batch.changes.isEmpty && batch.resyncs == 0 { break }
        }
        if let error = commandError.error { throw error }
        result.commandSeconds = commandSeconds.seconds
        result.mirrorSeconds = Double(lastChange - began) / 1e9
        return result
    }
}

private final class ErrorBox: @unchecked Sendable {
    var error: Error?
    var seconds = 0.0
}
