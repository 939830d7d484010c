import DPDK
import Forwarding
import Packet

extension Worker {
    /// For a packet dropped as mtu_exceeded: an IPv4 packet without DF is split into fragments
    /// that go to its egress port's TX buffer, and is freed (nil: no longer a drop). Otherwise
    /// the reason to count it under: still mtu_exceeded (DF set, IPv6, or no valid split; the
    /// ICMP responder decides about an error as before), or fragment_no_mbuf when the pool
    /// could not hold all its fragments (none is sent then). Off the fast path: only drops get
    /// here, so the lookup is done again rather than carried for every packet.
    func fragmentIfAllowed(_ m: MbufPointer, slot: UnsafePointer<PlaneSlot>) -> DropReason? {
        let frame = UnsafeRawPointer(Mbuf.data(m))
        guard Int(Mbuf.dataLength(m)) >= Ethernet.headerLength + IPv4Header.minimumLength,
              Ethernet.etherType(frame) == Ethernet.typeIPv4 else { return .mtuExceeded }
        let adjacency = egress.adjacency(frame + Ethernet.headerLength, isIPv4: true, slot: slot)
        switch fragmenter.fragment(m, adjacency: adjacency) {
        case .fragmented(let count, let bytes):
            counters.add(WorkerCounters.ipv4Fragmented, 1)
            counters.add(WorkerCounters.ipv4Fragments, UInt64(count))
            queueForTransmit(fragmenter.fragments, count: count, bytes: bytes, port: Int(adjacency.port))
            Mbuf.free(m)
            return nil
        case .notFragmentable:
            return .mtuExceeded
        case .noMbuf:
            return .fragmentNoMbuf
        }
    }
}
