import DPDK
import Forwarding
import Packet

/// A worker's IPv4 fragmenter: copies a packet that is too big for its egress port (and may be
/// fragmented) into fresh single-segment mbufs, one per fragment, each a complete frame ready to
/// send. The split itself is `IPv4Fragmentation` (pure, unit-tested); this part owns the mbufs.
///
/// Why copies and not DPDK's rte_ipv4_fragment_packet: that one makes each fragment a chain of
/// a direct mbuf (the new header) and an indirect one pointing into the original, so it needs a
/// second (indirect) pool, multi-segment TX on every port, and the original's reference count
/// to outlive the transmit. Fragmentation only ever happens to packets that were dropped as
/// mtu_exceeded before, off the fast path, so a copy of at most one MTU per fragment is cheap
/// next to the clarity of frames that are ordinary single mbufs from the worker's own pool
/// (docs/architecture.md, "IPv4 fragmentation").
public struct IPv4Fragmenter {
    let pool: OpaquePointer
    /// The fragments of one packet. All of them are allocated before any is queued, so an
    /// empty pool costs nothing but the free of what was taken: a partial set of fragments
    /// would only waste the link, the receiver could not reassemble it.
    public let fragments: UnsafeMutablePointer<MbufPointer?>

    /// The most fragments one packet can make: a 65535-byte packet with 8 data bytes in each.
    /// Frames are received into one mbuf, so no packet is larger (64 KiB of scratch per worker).
    public static var capacity: Int { 65536 / 8 }

    public enum Outcome: Equatable {
        /// The fragments are in `fragments[0..<count]`, `bytes` in all (Ethernet included). The
        /// packet is untouched: the caller frees it.
        case fragmented(count: Int, bytes: UInt64)
        /// DF set, not an IPv4 frame, not a forwarding adjacency, no valid split, or a fragment
        /// larger than an mbuf: the packet stays an mtu_exceeded drop.
        case notFragmentable
        /// The pool ran out: whatever was allocated has been freed again.
        case noMbuf
    }

    public init(pool: OpaquePointer) {
        self.pool = pool
        fragments = .allocate(capacity: IPv4Fragmenter.capacity)
    }

    public func deallocate() { fragments.deallocate() }

    /// Splits the frame in `packet` (an Ethernet + IPv4 frame that stage 2 validated and
    /// trimmed to the IP total length, TTL at least 2) for `adjacency`, its egress.
    public func fragment(_ packet: MbufPointer, adjacency: Adjacency) -> Outcome {
        guard adjacency.action == .forward else { return .notFragmentable }
        let frame = UnsafeRawPointer(Mbuf.data(packet))
        let frameLength = Int(Mbuf.dataLength(packet))
        guard frameLength >= Ethernet.headerLength + IPv4Header.minimumLength,
              Ethernet.etherType(frame) == Ethernet.typeIPv4 else { return .notFragmentable }
        let header = frame + Ethernet.headerLength
        guard IPv4Header.totalLength(header) <= frameLength - Ethernet.headerLength,
              let plan = IPv4Fragmentation.plan(header, mtu: Int(adjacency.mtu)),
              plan.count <= IPv4Fragmenter.capacity else { return .notFragmentable }

        for i in 0..<plan.count {
            guard let m = Mbuf.allocate(from: pool) else {
                Mbuf.free(fragments, count: i)
                return .noMbuf
            }
            fragments[i] = m
        }
        var bytes: UInt64 = 0
        for i in 0..<plan.count {
            let m = fragments[i].unsafelyUnwrapped
            let f = plan.fragment(i)
            let length = Ethernet.headerLength + f.totalLength
            // Every port's MTU fits the data room (config check) and f is within the MTU; should
            // that ever not hold, the packet stays a drop rather than a write past the mbuf.
            guard length <= Mbuf.tailroom(m) else {
                Mbuf.free(fragments, count: plan.count)
                return .notFragmentable
            }
            let out = Mbuf.data(m)
            out.copyMemory(from: frame, byteCount: Ethernet.headerLength)
            adjacency.rewrite.apply(to: out)
            IPv4Fragmentation.write(f, of: header, to: out + Ethernet.headerLength)
            Mbuf.setLength(m, UInt16(length))
            bytes &+= UInt64(length)
        }
        return .fragmented(count: plan.count, bytes: bytes)
    }
}
