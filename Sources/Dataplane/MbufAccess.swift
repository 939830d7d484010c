import DPDK
import Forwarding

/// The pipeline's view of a DPDK mbuf: each accessor is one inlined field read or write.
public enum MbufAccess: PacketAccess {
    @inlinable @inline(__always)
    public static func data(_ packet: OpaquePointer) -> UnsafeMutableRawPointer { Mbuf.data(packet) }

    @inlinable @inline(__always)
    public static func length(_ packet: OpaquePointer) -> Int { Int(Mbuf.dataLength(packet)) }

    /// NONE ("checksum not correct but header integrity checked") is checked in software too:
    /// we only trust a flag that says the checksum in the packet is right.
    @inlinable @inline(__always)
    public static func checksumStatus(_ packet: OpaquePointer) -> IPv4Input.ChecksumStatus {
        let flags = Mbuf.ipChecksumFlags(packet)
        if flags == Mbuf.checksumGood { return .good }
        if flags == Mbuf.checksumBad { return .bad }
        return .unknown
    }

    @inlinable @inline(__always)
    public static func setLength(_ packet: OpaquePointer, _ length: Int) {
        Mbuf.setLength(packet, UInt16(truncatingIfNeeded: length))
    }
}
