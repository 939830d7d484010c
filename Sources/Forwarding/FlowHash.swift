import Packet

/// The software flow hash a receive core uses in pipeline mode to choose each packet's worker
/// when the NIC gave no RSS hash (virtual devices, NICs without RSS), and that stage 4 uses to
/// choose a multipath route's member (`IPForward.member`; the same on every worker and device).
///
/// Every packet of a flow must reach the same worker, or two workers could send a flow's
/// packets out of order. So the hash reads only fields that are the same in every packet of the
/// flow: the IPv4 or IPv6 source and destination addresses, the protocol, and for TCP, UDP and
/// SCTP the two ports. IPv4 fragments hash by addresses and protocol only (a later fragment has
/// no ports), as NICs do for RSS; so a flow whose packets are sometimes fragmented may take two
/// workers, one for its fragments. Frames that are not IP (or too short to tell) hash to 0:
/// they are all dropped by the worker, so where they go does not matter.
///
/// Byte order is whatever the loads give: the value only has to be the same for equal fields
/// on this machine, not portable.
public enum FlowHash {
    /// Protocols whose first four bytes after the IP header are the source and destination ports.
    @inlinable @inline(__always)
    static func hasPorts(_ proto: UInt8) -> Bool { proto == 6 || proto == 17 || proto == 132 }

    @inlinable @inline(__always)
    public static func of(_ frame: UnsafeRawPointer, length: Int) -> UInt32 {
        guard length >= Ethernet.headerLength else { return 0 }
        let ip = frame + Ethernet.headerLength
        let available = length &- Ethernet.headerLength
        switch Ethernet.etherType(frame) {
        case Ethernet.typeIPv4:
            guard available >= 20 else { return 0 }
            let headerLength = Int(ip.load(as: UInt8.self) & 0x0F) &* 4
            let proto = ip.load(fromByteOffset: 9, as: UInt8.self)
            // Flags and fragment offset: MF set or an offset means a fragment.
            let fragment = UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x3FFF != 0
            var ports: UInt64 = 0
            if !fragment && hasPorts(proto) && headerLength >= 20 && available >= headerLength &+ 4 {
                ports = UInt64(ip.loadUnaligned(fromByteOffset: headerLength, as: UInt32.self))
            }
            let addresses = ip.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
            return finish(mix(addresses, ports | UInt64(proto) << 32))
        case Ethernet.typeIPv6:
            guard available >= 40 else { return 0 }
            let next = ip.load(fromByteOffset: 6, as: UInt8.self)
            var ports: UInt64 = 0
            // Ports only right after the fixed header; with extension headers, addresses only.
            if hasPorts(next) && available >= 44 {
                ports = UInt64(ip.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
            }
            var h = mix(ip.loadUnaligned(fromByteOffset: 8, as: UInt64.self), ip.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            h = mix(h, ip.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            h = mix(h, ip.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
            return finish(mix(h, ports | UInt64(next) << 32))
        default:
            return 0
        }
    }

    /// Folds `value` into `state` (multiply-xorshift; constants from SplitMix64).
    @inlinable @inline(__always)
    static func mix(_ state: UInt64, _ value: UInt64) -> UInt64 {
        var h = (state ^ (state >> 32)) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ value) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 31)
    }

    @inlinable @inline(__always)
    static func finish(_ h: UInt64) -> UInt32 {
        let z = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: z >> 32)
    }

    /// Maps a 32-bit hash onto 0..<count without a division (multiply and keep the high half):
    /// uses the hash's high bits, so an RSS hash whose low bits chose the RX queue still spreads
    /// over the workers.
    @inlinable @inline(__always)
    public static func pick(_ hash: UInt32, among count: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(hash) &* UInt64(truncatingIfNeeded: count)) >> 32)
    }
}
