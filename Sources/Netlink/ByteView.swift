/// A window on received bytes in which every read is checked against the window's end. Netlink
/// integers are in host byte order (the kernel writes native structs); addresses inside
/// attributes are in network order and are read by the decoders from `bytes(at:count:)`.
///
/// The view does not own its memory: it is valid only while the receive buffer it points into
/// is, i.e. while one datagram is being decoded.
struct ByteView {
    let base: UnsafeRawBufferPointer

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var count: Int { base.count }

    /// Reason used in errors: what was being read and what was there.
    struct OutOfBounds: Error {
        var offset: Int
        var length: Int
        var available: Int
        var reason: String { "needed \(length) bytes at offset \(offset) but only \(available) are there" }
    }

    @inline(__always) private func check(_ offset: Int, _ length: Int) throws(OutOfBounds) {
        guard offset >= 0, length >= 0, offset <= base.count - length else {
            throw OutOfBounds(offset: offset, length: length, available: base.count)
        }
    }

    func u8(at offset: Int) throws(OutOfBounds) -> UInt8 {
        try check(offset, 1)
        return base[offset]
    }

    func u16(at offset: Int) throws(OutOfBounds) -> UInt16 {
        try check(offset, 2)
        return base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
    }

    func u32(at offset: Int) throws(OutOfBounds) -> UInt32 {
        try check(offset, 4)
        return base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    }

    func i32(at offset: Int) throws(OutOfBounds) -> Int32 {
        try check(offset, 4)
        return base.loadUnaligned(fromByteOffset: offset, as: Int32.self)
    }

    /// A sub-window; the range must lie inside this one.
    func slice(at offset: Int, count: Int) throws(OutOfBounds) -> ByteView {
        try check(offset, count)
        return ByteView(UnsafeRawBufferPointer(rebasing: base[offset..<(offset + count)]))
    }

    /// Everything from `offset` to the end (empty when offset == count).
    func suffix(from offset: Int) throws(OutOfBounds) -> ByteView {
        try slice(at: offset, count: base.count - offset)
    }
}
