import DPDK

/// Packets waiting to leave one port from one worker. Sent when a burst's worth is queued and
/// on the drain timer (~100 us), so a lone packet is never held for long (GUIDE rule 3).
/// A packet the port cannot take is freed and counted as `tx_queue_full`, never retried.
public struct TxBuffer {
    @inlinable public static var capacity: Int { 32 }
    public let mbufs: UnsafeMutablePointer<MbufPointer?>
    public var count = 0
    /// Bytes of the queued packets, so TX byte counters need not touch mbufs after sending
    /// (the driver owns them then); the rare unsent ones are subtracted before they are freed.
    public var bytes: UInt64 = 0

    public init() {
        mbufs = .allocate(capacity: TxBuffer.capacity)
        mbufs.initialize(repeating: nil, count: TxBuffer.capacity)
    }

    public func deallocate() {
        mbufs.deallocate()
    }
}
