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
    @inlinable @inline(__always)
    public static func classify(_ frame: UnsafeRawPointer, length: Int, portMAC: UInt64) -> Verdict {
        guard length >= Ethernet.headerLength else { return .drop(.ethTooShort) }
        let destination = Ethernet.destination(frame)
        if destination != portMAC {
            return .drop(destination & 0x0100_0000_0000 != 0 ? .ethMulticast : .ethNotForUs)
        }
        switch Ethernet.etherType(frame) {
        case Ethernet.typeIPv4: return .ipv4
        case Ethernet.typeIPv6: return .ipv6
        default: return .drop(.unsupportedEthertype)
        }
    }
}
