import Packet

/// Splitting an IPv4 packet that is larger than the egress MTU and may be fragmented (DF clear)
/// into fragments, as RFC 791 (sections 2.3 and 3.2, "An Example Fragmentation Procedure") and
/// RFC 1812 5.2.6 describe. Pure byte work, no I/O: the worker allocates the buffers, writes
/// the Ethernet header and queues the fragments (Dataplane/IPv4Fragmenter.swift).
///
/// The plan is computed once from the header and the MTU, and fragment `i` is derived from it
/// on demand, so planning allocates nothing.
public enum IPv4Fragmentation {
    /// The flags and fragment offset field (RFC 791 3.1): reserved bit, DF, MF, offset in
    /// 8-byte units.
    @inlinable public static var reservedFlag: UInt16 { 0x8000 }
    @inlinable public static var dontFragment: UInt16 { 0x4000 }
    @inlinable public static var moreFragments: UInt16 { 0x2000 }
    @inlinable public static var offsetMask: UInt16 { 0x1FFF }
    @inlinable public static var flagsOffset: Int { 6 }

    /// One fragment: which part of the original's data it carries and what its header says.
    public struct Fragment: Equatable, Sendable {
        /// Byte offset of the fragment's data within the original packet's data (after its
        /// header). A multiple of 8 for every fragment.
        public var dataOffset: Int
        public var dataLength: Int
        /// The original's header length for the first fragment; 20 plus the options whose copy
        /// bit is set, padded to 4 bytes, for the others.
        public var headerLength: Int
        /// The flags and fragment offset field to write: reserved bit as received, DF clear, MF
        /// on all but the last fragment (and on the last too when the original had it), offset
        /// of the original plus `dataOffset / 8`.
        public var flagsAndOffset: UInt16

        public var totalLength: Int { headerLength + dataLength }
        public var isFirst: Bool { dataOffset == 0 }
    }

    public struct Plan: Equatable, Sendable {
        /// The original's header length (IHL * 4) and the later fragments' header length.
        public let headerLength: Int
        public let laterHeaderLength: Int
        /// Bytes of data after the original's header.
        public let dataLength: Int
        /// Data bytes in the first fragment and in each later one but the last: the most that
        /// fits in the MTU after the header, rounded down to 8 (offsets count 8-byte units).
        public let firstData: Int
        public let laterData: Int
        public let count: Int
        /// The original's own offset (8-byte units), MF and reserved bit: a packet that is
        /// already a fragment is split into fragments of the same datagram.
        let originalOffset: Int
        let originalMore: Bool
        let reserved: UInt16

        public func fragment(_ i: Int) -> Fragment {
            let offset = i == 0 ? 0 : firstData + (i - 1) * laterData
            let length = min(i == 0 ? firstData : laterData, dataLength - offset)
            let more = i < count - 1 || originalMore
            let field = reserved | (more ? IPv4Fragmentation.moreFragments : 0) | UInt16(originalOffset + offset / 8)
            return Fragment(dataOffset: offset, dataLength: length, headerLength: i == 0 ? headerLength : laterHeaderLength,
                            flagsAndOffset: field)
        }
    }

    /// The fragments of the IPv4 packet at `h` (a header validated by stage 2: IHL >= 5, total
    /// length within the frame) for an egress `mtu`; nil when it must not or cannot be split:
    /// DF is set (the sender gets "fragmentation needed" instead), the MTU leaves fewer than 8
    /// data bytes after a header, or the last fragment's offset would not fit the 13-bit field
    /// (a datagram reassembling beyond 65535 bytes; only a forged packet can be one).
    /// A packet that fits is one "fragment": itself, header fields unchanged.
    public static func plan(_ h: UnsafeRawPointer, mtu: Int) -> Plan? {
        let field = UInt16(bigEndian: h.loadUnaligned(fromByteOffset: flagsOffset, as: UInt16.self))
        if field & dontFragment != 0 { return nil }
        let headerLength = Int(IPv4Header.versionAndIHL(h) & 0x0F) * 4
        let totalLength = IPv4Header.totalLength(h)
        guard headerLength >= IPv4Header.minimumLength, totalLength >= headerLength else { return nil }
        let dataLength = totalLength - headerLength
        let laterHeaderLength = IPv4Header.minimumLength + (copyOptions(h, headerLength: headerLength, to: nil) + 3) / 4 * 4
        let firstData = totalLength <= mtu ? dataLength : (mtu - headerLength) / 8 * 8
        let laterData = (mtu - laterHeaderLength) / 8 * 8
        guard totalLength <= mtu || (firstData >= 8 && laterData >= 8) else { return nil }
        let count = dataLength <= firstData ? 1 : 1 + (dataLength - firstData + laterData - 1) / laterData
        let originalOffset = Int(field & offsetMask)
        let plan = Plan(headerLength: headerLength, laterHeaderLength: laterHeaderLength, dataLength: dataLength,
                        firstData: firstData, laterData: laterData, count: count, originalOffset: originalOffset,
                        originalMore: field & moreFragments != 0, reserved: field & reservedFlag)
        // Offsets only grow: checking the last one covers them all.
        guard originalOffset + plan.fragment(count - 1).dataOffset / 8 <= Int(offsetMask) else { return nil }
        return plan
    }

    /// Writes fragment `f` of the packet at `h` to `out` (which holds at least `f.totalLength`
    /// bytes): the header (the whole original header for the first fragment; the fixed 20 bytes
    /// and the copied options, padded with end-of-option-list zeros, for the others) with its
    /// total length, flags and offset, the TTL one less (as for every forwarded packet: the
    /// caller has checked it is at least 2) and a recomputed checksum; then the data. The
    /// identification, addresses, TOS and protocol are the original's.
    public static func write(_ f: Fragment, of h: UnsafeRawPointer, to out: UnsafeMutableRawPointer) {
        let originalHeaderLength = Int(IPv4Header.versionAndIHL(h) & 0x0F) * 4
        if f.isFirst {
            out.copyMemory(from: h, byteCount: originalHeaderLength)
        } else {
            out.copyMemory(from: h, byteCount: IPv4Header.minimumLength)
            let copied = copyOptions(h, headerLength: originalHeaderLength, to: out + IPv4Header.minimumLength)
            let padding = f.headerLength - IPv4Header.minimumLength - copied
            (out + IPv4Header.minimumLength + copied).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
            out.storeBytes(of: UInt8(0x40 | f.headerLength / 4), as: UInt8.self)
        }
        out.storeBytes(of: UInt16(f.totalLength).bigEndian, toByteOffset: IPv4Header.totalLengthOffset, as: UInt16.self)
        out.storeBytes(of: f.flagsAndOffset.bigEndian, toByteOffset: flagsOffset, as: UInt16.self)
        out.storeBytes(of: IPv4Header.ttl(h) &- 1, toByteOffset: IPv4Header.ttlOffset, as: UInt8.self)
        out.storeBytes(of: UInt16(0), toByteOffset: IPv4Header.checksumOffset, as: UInt16.self)
        // `compute` gives the field in memory order (the sum is byte-order independent).
        out.storeBytes(of: InternetChecksum.compute(out, count: f.headerLength), toByteOffset: IPv4Header.checksumOffset,
                       as: UInt16.self)
        (out + f.headerLength).copyMemory(from: h + originalHeaderLength + f.dataOffset, byteCount: f.dataLength)
    }

    /// Copies the options of the header at `h` whose copy bit (the type's top bit, RFC 791 3.1)
    /// is set to `out` (when not nil) and returns how many bytes they take. End of option list
    /// (type 0) ends the walk; no-operation (type 1) has no copy bit and is left out. An option
    /// whose length is below 2 or runs past the header ends the walk too, as Linux does
    /// (ip_options_fragment): what precedes it is kept, nothing after it is guessed at.
    static func copyOptions(_ h: UnsafeRawPointer, headerLength: Int, to out: UnsafeMutableRawPointer?) -> Int {
        var i = IPv4Header.minimumLength
        var copied = 0
        while i < headerLength {
            let type = h.load(fromByteOffset: i, as: UInt8.self)
            if type == 0 { break }
            if type == 1 { i += 1; continue }
            guard i + 1 < headerLength else { break }
            let length = Int(h.load(fromByteOffset: i + 1, as: UInt8.self))
            guard length >= 2, i + length <= headerLength else { break }
            if type & 0x80 != 0 {
                out?.advanced(by: copied).copyMemory(from: h + i, byteCount: length)
                copied += length
            }
            i += length
        }
        return copied
    }
}
