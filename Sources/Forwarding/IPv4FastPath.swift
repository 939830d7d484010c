import Packet

/// Stages 1 and 2 in one step for the usual frame: IPv4 unicast to the port's MAC, no options,
/// a valid header. It makes the same checks as `EthernetInput.classify` followed by
/// `IPv4Input.validate`, but with fewer instructions, because it never has to say why a frame
/// fails: any frame it does not accept goes through those ordered checks, which name the reason.
///
/// - The destination MAC is one 8-byte load, masked.
/// - EtherType 0x0800 and version/IHL 0x45 are one 4-byte load at offset 12: bytes 08 00 45 in
///   memory order, compared at once.
/// - The checksum is checked in software unless the NIC said it is good.
/// - Total length from 20 to the bytes present after the Ethernet header.
/// - Source and destination first octets unicast: 1-223 but not 127. (0/8, 127/8 and 224/4 or
///   240/4, which holds limited broadcast: the martian and multicast cases of the ordered checks.)
public enum IPv4FastPath {
    /// The IP total length of an accepted frame, or 0 when the frame needs the ordered checks.
    /// `portMAC` is the port's MAC as `EthernetInput.memoryOrder` gives it.
    @inlinable @inline(__always)
    public static func acceptedLength(_ frame: UnsafeRawPointer, length: Int, portMAC: UInt64,
                                      checksum: IPv4Input.ChecksumStatus) -> Int {
        guard length >= Ethernet.headerLength &+ IPv4Header.minimumLength else { return 0 }
        let destination = frame.loadUnaligned(as: UInt64.self).littleEndian & 0xFFFF_FFFF_FFFF
        let typeAndVersion = frame.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian & 0x00FF_FFFF
        guard destination == portMAC && typeAndVersion == 0x45_0008 else { return 0 }
        let h = frame + Ethernet.headerLength
        guard checksum == .good || (checksum == .unknown && InternetChecksum.isValid(h, count: 20)) else { return 0 }
        let totalLength = IPv4Header.totalLength(h)
        let source = UInt32(h.load(fromByteOffset: IPv4Header.sourceOffset, as: UInt8.self))
        let target = UInt32(h.load(fromByteOffset: IPv4Header.destinationOffset, as: UInt8.self))
        let ok = totalLength >= IPv4Header.minimumLength && totalLength &+ Ethernet.headerLength <= length
            && source &- 1 < 223 && source != 127 && target &- 1 < 223 && target != 127
        return ok ? totalLength : 0
    }
}
