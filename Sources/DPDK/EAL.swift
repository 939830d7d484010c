import CDPDK
import Glibc

/// DPDK's Environment Abstraction Layer: initialised once per process, before anything else.
public enum EAL {
    /// Initialises EAL with the given arguments (without the program name). EAL keeps pointers
    /// into argv for its lifetime, so the C strings are deliberately never freed.
    public static func initialize(programName: String, arguments: [String]) throws {
        let all = [programName] + arguments
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: all.count + 1)
        for (i, argument) in all.enumerated() { argv[i] = strdup(argument) }
        argv[all.count] = nil
        let result = rte_eal_init(Int32(all.count), argv)
        if result < 0 { throw DPDKError.fromErrno("rte_eal_init") }
    }

    public static func cleanup() { _ = rte_eal_cleanup() }

    public static var version: String { String(cString: rte_version()) }

    /// Timestamp counter frequency, for turning cycle counts into time.
    public static var tscHz: UInt64 { rte_get_tsc_hz() }

    public static var mainLcore: UInt32 { rte_get_main_lcore() }

    public static func socketOfLcore(_ lcore: UInt32) -> Int32 { Int32(bitPattern: rte_lcore_to_socket_id(lcore)) }
}

/// The timestamp counter (rdtsc), inlined into callers.
@inlinable @inline(__always)
public func readTSC() -> UInt64 { cdpdk_rdtsc() }

/// Runs `function(argument)` on EAL worker lcores, one thread pinned per lcore.
public enum Lcore {
    public typealias Entry = @convention(c) (UnsafeMutableRawPointer?) -> Int32

    public static func launch(_ entry: Entry, argument: UnsafeMutableRawPointer, on lcore: UInt32) throws {
        try check(rte_eal_remote_launch(entry, argument, lcore), "rte_eal_remote_launch on lcore \(lcore)")
    }

    /// Waits for one worker lcore to return; gives its return value.
    @discardableResult
    public static func wait(_ lcore: UInt32) -> Int32 { rte_eal_wait_lcore(lcore) }

    public static func isEnabled(_ lcore: UInt32) -> Bool { rte_lcore_is_enabled(lcore) != 0 }
}
