import CDPDK

/// An mbuf as seen from Swift: `struct rte_mbuf` is over-aligned, so it arrives as an opaque
/// pointer and every field is read through an inlined shim accessor.
public typealias MbufPointer = OpaquePointer

public enum Mbuf {
    @inlinable @inline(__always)
    public static func data(_ m: MbufPointer) -> UnsafeMutableRawPointer { cdpdk_mbuf_data(m) }

    @inlinable @inline(__always)
    public static func dataLength(_ m: MbufPointer) -> UInt16 { cdpdk_mbuf_data_len(m) }

    @inlinable @inline(__always)
    public static func segmentCount(_ m: MbufPointer) -> UInt16 { cdpdk_mbuf_nb_segs(m) }

    @inlinable @inline(__always)
    public static func setLength(_ m: MbufPointer, _ length: UInt16) { cdpdk_mbuf_set_len(m, length) }

    /// The NIC's verdict on the IPv4 header checksum: 0 unknown, 1 good, 2 bad, 3 none.
    @inlinable @inline(__always)
    public static func ipChecksumFlags(_ m: MbufPointer) -> UInt64 { cdpdk_mbuf_rx_ip_cksum(m) }
    @inlinable public static var checksumGood: UInt64 { CDPDK_RX_IP_CKSUM_GOOD }
    @inlinable public static var checksumBad: UInt64 { CDPDK_RX_IP_CKSUM_BAD }

    @inlinable @inline(__always)
    public static func free(_ m: MbufPointer) { cdpdk_mbuf_free(m) }

    /// The NIC's RSS hash, or nil when the port computed none for this packet.
    @inlinable @inline(__always)
    public static func rssHash(_ m: MbufPointer) -> UInt32? {
        cdpdk_mbuf_has_rss_hash(m) != 0 ? cdpdk_mbuf_rss_hash(m) : nil
    }

    /// The port the packet arrived on (set by rx_burst).
    @inlinable @inline(__always)
    public static func port(_ m: MbufPointer) -> UInt16 { cdpdk_mbuf_port(m) }

    @inlinable @inline(__always)
    public static func setPort(_ m: MbufPointer, _ port: UInt16) { cdpdk_mbuf_set_port(m, port) }

    /// A fresh mbuf (length 0) from `pool`, or nil when the pool is empty.
    @inlinable @inline(__always)
    public static func allocate(from pool: OpaquePointer) -> MbufPointer? { cdpdk_mbuf_alloc(pool) }

    /// Bytes the first segment can hold after its data offset.
    @inlinable @inline(__always)
    public static func tailroom(_ m: MbufPointer) -> Int { Int(cdpdk_mbuf_tailroom(m)) }

    /// Frees `count` mbufs in one call (returns them to the pool in bulk).
    @inlinable @inline(__always)
    public static func free(_ mbufs: UnsafeMutablePointer<MbufPointer?>, count: Int) {
        rte_pktmbuf_free_bulk(mbufs, UInt32(count))
    }

    @inlinable @inline(__always)
    public static func prefetch(_ p: UnsafeRawPointer) { cdpdk_prefetch0(p) }
}

/// Burst receive and transmit on one (port, queue). Inlined: these are the per-burst calls.
public enum Burst {
    @inlinable @inline(__always)
    public static func receive(port: UInt16, queue: UInt16, into mbufs: UnsafeMutablePointer<MbufPointer?>, capacity: UInt16) -> Int {
        Int(cdpdk_rx_burst(port, queue, mbufs, capacity))
    }

    /// Returns how many were queued; the caller owns (and must free) the rest.
    @inlinable @inline(__always)
    public static func transmit(port: UInt16, queue: UInt16, _ mbufs: UnsafeMutablePointer<MbufPointer?>, count: UInt16) -> Int {
        Int(cdpdk_tx_burst(port, queue, mbufs, count))
    }
}
