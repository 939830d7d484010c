import CDPDK

/// A DPDK rte_ring of mbuf pointers with exactly one producer and one consumer: in pipeline
/// mode one receive core enqueues and one worker dequeues (docs/architecture.md says why one
/// ring per pair). Both ends are lock-free and never wait: a burst call moves what fits or
/// what is there and returns at once.
public struct PacketRing: @unchecked Sendable {
    public let pointer: OpaquePointer

    /// `size` packets fit (RING_F_EXACT_SZ: rte_ring would otherwise keep one slot free).
    public init(name: String, size: Int, socket: Int32) throws {
        let flags = UInt32(RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ)
        guard let ring = rte_ring_create(name, UInt32(size), socket, flags) else {
            throw DPDKError.fromErrno("rte_ring_create \(name) (\(size) slots)")
        }
        pointer = ring
    }

    /// Packets in the ring now; a moment's view when read by another thread (the control
    /// thread's `show rings`), exact on the consumer.
    public var count: Int { Int(rte_ring_count(pointer)) }

    public var capacity: Int { PacketRing.capacity(pointer) }

    @inlinable @inline(__always)
    public static func capacity(_ ring: OpaquePointer) -> Int { Int(rte_ring_get_capacity(ring)) }

    public func free() { rte_ring_free(pointer) }

    /// Enqueues up to `count` packets from `mbufs` (producer only); returns how many went in.
    /// The caller still owns the rest.
    @inlinable @inline(__always)
    public static func enqueue(_ ring: OpaquePointer, _ mbufs: UnsafeMutablePointer<MbufPointer?>, count: Int) -> Int {
        Int(cdpdk_ring_sp_enqueue_burst(ring, mbufs, UInt32(truncatingIfNeeded: count)))
    }

    /// Dequeues up to `capacity` packets into `mbufs` (consumer only); returns how many.
    @inlinable @inline(__always)
    public static func dequeue(_ ring: OpaquePointer, into mbufs: UnsafeMutablePointer<MbufPointer?>, capacity: Int) -> Int {
        Int(cdpdk_ring_sc_dequeue_burst(ring, mbufs, UInt32(truncatingIfNeeded: capacity)))
    }
}
