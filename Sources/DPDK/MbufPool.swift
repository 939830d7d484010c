import CDPDK

/// The packet buffer pool shared by every port and worker.
public struct MbufPool: @unchecked Sendable {
    public let pointer: OpaquePointer
    public let size: Int

    public init(name: String, count: Int, cacheSize: Int, dataRoom: Int, socket: Int32) throws {
        guard let pool = rte_pktmbuf_pool_create(name, UInt32(count), UInt32(cacheSize), 0, UInt16(dataRoom), socket) else {
            throw DPDKError.fromErrno("rte_pktmbuf_pool_create (\(count) mbufs of \(dataRoom) bytes)")
        }
        pointer = pool
        size = count
    }

    /// Mbufs in the pool, including those parked in per-lcore caches.
    public var available: Int { Int(rte_mempool_avail_count(pointer)) }
    public var inUse: Int { Int(rte_mempool_in_use_count(pointer)) }

    public func free() { rte_mempool_free(pointer) }

    public static var headroom: Int { Int(CDPDK_MBUF_HEADROOM) }
}
