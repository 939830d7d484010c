import DPDK
import Forwarding
import Packet

/// One route lookup outside the burst pipeline, for the few drops that need to know where the
/// packet would have gone: an ICMP "too big" error needs the egress MTU, fragmentation the
/// whole adjacency. The drop list keeps only the reason, and these are rare, so looking the
/// destination up again in the same table copy the burst used is cheaper than carrying the
/// adjacency for every drop. Scratch for one address, allocated once per worker.
struct EgressLookup {
    let ipv4: UnsafeMutablePointer<UInt32>
    let ipv6: UnsafeMutablePointer<UInt8>
    let result: UnsafeMutablePointer<UInt64>

    init() {
        ipv4 = .allocate(capacity: 1)
        ipv6 = .allocate(capacity: 16)
        result = .allocate(capacity: 1)
    }

    func deallocate() {
        ipv4.deallocate()
        ipv6.deallocate()
        result.deallocate()
    }

    /// The adjacency the destination of the IP header at `header` (after an Ethernet header)
    /// leads to in `slot`; for a multipath route, the member the packet's flow takes, as stage 4
    /// chose it (so a fragment leaves by the member's port and MAC, and a too-big error names
    /// the member's MTU).
    func adjacency(_ header: UnsafeRawPointer, isIPv4: Bool, slot: UnsafePointer<PlaneSlot>) -> Adjacency {
        let found = route(header, isIPv4: isIPv4, slot: slot)
        guard found.buckets != 0 else { return found }
        let ipLength = isIPv4 ? IPv4Header.totalLength(header) : IPv6Header.length &+ IPv6Header.payloadLength(header)
        return IPForward.member(action: found.action, buckets: found.buckets, frame: header - Ethernet.headerLength,
                                ipLength: ipLength, adjacencies: slot.pointee.adjacencies,
                                adjacencyCount: slot.pointee.adjacencyCount)
    }

    private func route(_ header: UnsafeRawPointer, isIPv4: Bool, slot: UnsafePointer<PlaneSlot>) -> Adjacency {
        if isIPv4 {
            ipv4.pointee = IPv4Header.destination(header)
            slot.pointee.ipv4.lookup(ipv4, result, count: 1)
        } else {
            UnsafeMutableRawPointer(ipv6).copyMemory(from: header + IPv6Header.destinationOffset, byteCount: 16)
            slot.pointee.ipv6.lookup(ipv6, result, count: 1)
        }
        let index = result.pointee < UInt64(slot.pointee.adjacencyCount) ? Int(result.pointee) : 0
        return slot.pointee.adjacencies[index]
    }
}
