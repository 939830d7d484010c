import Packet

/// Stages 1 and 2 in one step for the usual frame: IPv4 unicast to the port's MAC, no options,
/// a valid header. It makes the same checks as `EthernetInput.classify` followed by
/// `IPv4Input.validate`, but with fewer instructions, because it never has to say why a frame
/// fails: any frame it does not accept goes through those ordered checks, which name the reason.
///
/// - The destination MAC is one 8-byte load, shifted left by 16 to drop the two bytes after it
///   (a shift needs no 48-bit mask constant in a register).
/// - EtherType 0x0800 and version/IHL 0x45 are one 4-byte load at offset 12, shifted left by 8:
///   bytes 08 00 45 in memory order, compared at once.
/// - The checksum is checked in software unless the NIC said it is good.
/// - Total length from 20 to the bytes present after the Ethernet header.
/// - Source and destination first octets unicast: 1-223 but not 127 (0/8, 127/8 and 224/4 or
///   240/4, which holds limited broadcast: the martian and multicast cases of the ordered
///   checks), one table load each (`unicastFirstOctet`).
public enum IPv4FastPath {
    /// What a usual frame to one port holds, built once per burst.
    public struct Expected {
        /// The port's MAC as the high 48 bits of a little-endian 8-byte load of the frame.
        public let destination: UInt64
        /// A table from `makeUnicastFirstOctetTable`.
        public let unicastFirstOctet: UnsafePointer<UInt8>

        /// `portMAC` as `MACAddress.value` (48-bit wire-order value).
        @inlinable @inline(__always)
        public init(portMAC: UInt64, unicastFirstOctet: UnsafePointer<UInt8>) {
            destination = EthernetInput.memoryOrder(portMAC) << 16
            self.unicastFirstOctet = unicastFirstOctet
        }
    }

    /// A new 256-byte table, 1 for each first octet the fast path accepts as source or
    /// destination (1-223 but 127), 0 for the rest; the caller owns it. Each pipeline holds its
    /// own: a global table would be a lazy global, and its accessor a swift_once call per burst.
    public static func makeUnicastFirstOctetTable() -> UnsafeMutablePointer<UInt8> {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for octet in 0..<256 { table[octet] = (1...223).contains(octet) && octet != 127 ? 1 : 0 }
        return table
    }

    /// The IP total length of an accepted frame, or 0 when the frame needs the ordered checks.
    @inlinable @inline(__always)
    public static func acceptedLength(_ frame: UnsafeRawPointer, length: Int, expected: Expected,
                                      checksum: IPv4Input.ChecksumStatus) -> Int {
        guard length >= Ethernet.headerLength &+ IPv4Header.minimumLength else { return 0 }
        let destination = frame.loadUnaligned(as: UInt64.self).littleEndian << 16
        let typeAndVersion = frame.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian << 8
        guard destination == expected.destination && typeAndVersion == 0x45_0008_00 else { return 0 }
        let h = frame + Ethernet.headerLength
        guard checksum == .good || (checksum == .unknown && InternetChecksum.isValid(h, count: 20)) else { return 0 }
        let totalLength = IPv4Header.totalLength(h)
        let source = Int(h.load(fromByteOffset: IPv4Header.sourceOffset, as: UInt8.self))
        let target = Int(h.load(fromByteOffset: IPv4Header.destinationOffset, as: UInt8.self))
        let unicast = expected.unicastFirstOctet[source] & expected.unicastFirstOctet[target]
        let ok = totalLength >= IPv4Header.minimumLength && totalLength &+ Ethernet.headerLength <= length && unicast != 0
        return ok ? totalLength : 0
    }
}
