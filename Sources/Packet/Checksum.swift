/// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
public enum InternetChecksum {
    /// One's-complement sum of `count` bytes at `p`, folded to 16 bits, in network byte order
    /// as read from memory (the sum is byte-order independent, RFC 1071 section 2(B)).
    /// Summing 32-bit words into a 64-bit accumulator needs no carry handling inside the loop.
    @inlinable @inline(__always)
    public static func sum(_ p: UnsafeRawPointer, count: Int) -> UInt16 {
        var acc: UInt64 = 0
        var offset = 0
        while offset + 4 <= count {
            acc &+= UInt64(p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset += 4
        }
        if offset + 2 <= count {
            acc &+= UInt64(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            offset += 2
        }
        if offset < count {
            // A trailing odd byte is padded with zero on the right (first byte in memory).
            acc &+= UInt64(p.load(fromByteOffset: offset, as: UInt8.self))
        }
        return fold(acc)
    }

    @inlinable @inline(__always)
    public static func fold(_ value: UInt64) -> UInt16 {
        var acc = value
        acc = (acc & 0xFFFF_FFFF) &+ (acc >> 32)
        acc = (acc & 0xFFFF) &+ (acc >> 16)
        acc = (acc & 0xFFFF) &+ (acc >> 16)
        acc = (acc & 0xFFFF) &+ (acc >> 16)
        return UInt16(truncatingIfNeeded: acc)
    }

    /// True when a header including its checksum field sums to 0xFFFF (all ones).
    /// The common 20-byte IPv4 header (no options) is summed with five straight loads into a
    /// 64-bit accumulator, then folded without a loop: 64 to 32 bits with an end-around carry
    /// (an add and an add-with-carry), then 32 to 16 bits by adding the word to itself rotated
    /// by 16, whose high half is the one's-complement sum of the two halves, carry included.
    /// The result is 0xFFFF exactly when the header is valid (an all-zero header folds to 0).
    /// This is shorter than a multiply-based remainder or a chain of masked folds (perf showed
    /// the remainder's multiply among the hottest instructions of the pipeline).
    @inlinable @inline(__always)
    public static func isValid(_ p: UnsafeRawPointer, count: Int) -> Bool {
        if count == 20 {
            let acc = UInt64(p.loadUnaligned(as: UInt32.self))
                &+ UInt64(p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                &+ UInt64(p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                &+ UInt64(p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                &+ UInt64(p.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            return fold32(fold64(acc)) == 0xFFFF
        }
        return sum(p, count: count) == 0xFFFF
    }

    /// 64 to 32 bits, congruent modulo 0xFFFF_FFFF (so modulo 0xFFFF too), zero only for zero.
    @inlinable @inline(__always)
    static func fold64(_ value: UInt64) -> UInt32 {
        let (sum, carry) = UInt32(truncatingIfNeeded: value).addingReportingOverflow(UInt32(truncatingIfNeeded: value >> 32))
        return sum &+ (carry ? 1 : 0)
    }

    /// 32 to 16 bits with the end-around carry (as Linux's csum_fold, without the complement).
    @inlinable @inline(__always)
    static func fold32(_ value: UInt32) -> UInt16 {
        UInt16(truncatingIfNeeded: (value &+ ((value << 16) | (value >> 16))) >> 16)
    }

    /// The checksum field value for a header whose checksum field is currently zero.
    @inlinable @inline(__always)
    public static func compute(_ p: UnsafeRawPointer, count: Int) -> UInt16 {
        ~sum(p, count: count)
    }

    /// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from m to m'.
    /// All values are in the same byte order (any order works, as for the full sum).
    /// Eqn. 3 never produces the 0xFFFF (-0) that eqn. 2 can, section 3 of the RFC.
    @inlinable @inline(__always)
    public static func update(_ checksum: UInt16, old: UInt16, new: UInt16) -> UInt16 {
        let acc = UInt64(~checksum) &+ UInt64(~old) &+ UInt64(new)
        return ~fold(acc)
    }
}
