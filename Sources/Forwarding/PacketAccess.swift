/// How the pipeline reads and adjusts a packet it only knows by an opaque handle. The data
/// plane's implementation reads DPDK mbuf fields (inlined shim accessors); tests point handles
/// at plain byte buffers. The pipeline is generic over it, so each use is specialised and the
/// accessors inline: no dynamic dispatch, and no copy of packet metadata into side arrays.
public protocol PacketAccess {
    /// Start of the Ethernet frame.
    static func data(_ packet: OpaquePointer) -> UnsafeMutableRawPointer
    /// Bytes of the frame available in `data` (one segment).
    static func length(_ packet: OpaquePointer) -> Int
    /// What the NIC said about the IPv4 header checksum.
    static func checksumStatus(_ packet: OpaquePointer) -> IPv4Input.ChecksumStatus
    /// Shortens the frame (Ethernet padding beyond the IP total length is dropped on output).
    static func setLength(_ packet: OpaquePointer, _ length: Int)
}
