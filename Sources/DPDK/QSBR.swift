import CDPDK
import Glibc

/// DPDK's quiescent-state-based RCU (rte_rcu_qsbr). Workers report a quiescent state after
/// every poll loop; the control thread's `synchronize` returns once every online worker has
/// done so since the call began, so memory they might have read before can be reused.
public struct QSBR: @unchecked Sendable {
    public let pointer: OpaquePointer

    public init(maxThreads: Int) throws {
        let size = rte_rcu_qsbr_get_memsize(UInt32(maxThreads))
        guard size > 0, let raw = rte_zmalloc("swiftfwd_qsbr", Int(size), 64) else {
            throw DPDKError("allocating the RCU state for \(maxThreads) workers", code: 12)
        }
        pointer = OpaquePointer(raw)
        try check(rte_rcu_qsbr_init(pointer, UInt32(maxThreads)), "rte_rcu_qsbr_init")
    }

    public func register(thread: UInt32) throws {
        try check(rte_rcu_qsbr_thread_register(pointer, thread), "rte_rcu_qsbr_thread_register \(thread)")
    }

    @inlinable @inline(__always)
    public func online(thread: UInt32) { rte_rcu_qsbr_thread_online(pointer, thread) }

    @inlinable @inline(__always)
    public func offline(thread: UInt32) { rte_rcu_qsbr_thread_offline(pointer, thread) }

    @inlinable @inline(__always)
    public func quiescent(thread: UInt32) { rte_rcu_qsbr_quiescent(pointer, thread) }

    /// Blocks (spinning) until every online reader has passed a quiescent state.
    public func synchronize() { rte_rcu_qsbr_synchronize(pointer, CDPDK_QSBR_THRID_INVALID) }

    /// Waits as `synchronize` does, but after about a thousand spins sleeps 20 us between
    /// checks. A worker normally passes a quiescent point within microseconds; one that the
    /// kernel has taken off its core (a shared or overloaded machine) can take a scheduler time
    /// slice or more, and spinning meanwhile would take the control core from the console and
    /// everything else on it.
    public func synchronizeYielding() {
        let token = rte_rcu_qsbr_start(pointer)
        var spins = 0
        while rte_rcu_qsbr_check(pointer, token, false) == 0 {
            if spins < 1000 {
                spins += 1
                rte_pause()
            } else {
                usleep(20)
            }
        }
    }

    public func free() { rte_free(UnsafeMutableRawPointer(pointer)) }
}
