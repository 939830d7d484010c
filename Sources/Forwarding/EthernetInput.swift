import Packet

/// Stage 1: accept frames addressed to the port and sort them by EtherType.
public enum EthernetInput {
    public enum Verdict: Equatable {
        case ipv4
        case ipv6
        case drop(DropReason)
    }

    /// Frames for another host (promiscuous mode, flooding switches) and group-addressed frames
    /// are dropped here: broadcast or multicast is never forwarded as IP unicast.
    /// `portMAC` is the 48-bit wire-order value (`MACAddress.value`).
    @inlinable @inline(__always)
    public static func classify(_ frame: UnsafeRawPointer, length: Int, portMAC: UInt64) -> Verdict {
        guard length >= Ethernet.headerLength else { return .drop(.ethTooShort) }
        // One 8-byte load covers the destination MAC (and two bytes of the source, masked off),
        // compared with the port's MAC laid out as it is in memory.
        let destination = frame.loadUnaligned(as: UInt64.self).littleEndian & 0xFFFF_FFFF_FFFF
        if destination != memoryOrder(portMAC) {
            // The I/G bit is the lowest bit of the first octet on the wire.
            return .drop(destination & 1 != 0 ? .ethMulticast : .ethNotForUs)
        }
        switch Ethernet.etherType(frame) {
        case Ethernet.typeIPv4: return .ipv4
        case Ethernet.typeIPv6: return .ipv6
        default: return .drop(.unsupportedEthertype)
        }
    }

    /// A wire-order 48-bit MAC as the low 48 bits of a little-endian load of its 6 bytes.
    @inlinable @inline(__always)
    public static func memoryOrder(_ mac: UInt64) -> UInt64 {
        (mac << 16).byteSwapped
    }
}
