import CDPDK

/// Loads and stores for memory that two threads touch through raw pointers: the workers' stop
/// flag and the counters a worker writes and the control thread snapshots (GUIDE rule 5).
public enum SharedMemory {
    @inlinable @inline(__always)
    public static func loadRelaxed(_ p: UnsafePointer<UInt64>) -> UInt64 { cdpdk_load_relaxed_u64(p) }

    @inlinable @inline(__always)
    public static func storeRelaxed(_ p: UnsafeMutablePointer<UInt64>, _ value: UInt64) { cdpdk_store_relaxed_u64(p, value) }

    @inlinable @inline(__always)
    public static func loadAcquire(_ p: UnsafePointer<UInt32>) -> UInt32 { cdpdk_load_acquire_u32(p) }

    @inlinable @inline(__always)
    public static func storeRelease(_ p: UnsafeMutablePointer<UInt32>, _ value: UInt32) { cdpdk_store_release_u32(p, value) }
}
