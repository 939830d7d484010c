import XCTest
// Every file of this target uses the shared seeded generator without importing it again.
@_exported import TestSupport

/// The Internet checksum written the slow, literal way of RFC 1071 section 4.1: big-endian
/// 16-bit words, a trailing odd byte padded with a zero on the right, carries folded back in.
/// The result is the numeric (host-order) value of the sum; it is the oracle for the fast code.
func referenceSum<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
    var sum: UInt32 = 0
    var iterator = bytes.makeIterator()
    while let high = iterator.next() {
        let low = iterator.next() ?? 0
        sum += UInt32(high) << 8 | UInt32(low)
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    }
    return UInt16(sum)
}

/// The header checksum field value (host order) for `header`, treating bytes 10-11 as zero.
func referenceIPv4Checksum(_ header: [UInt8]) -> UInt16 {
    var copy = header
    copy[10] = 0
    copy[11] = 0
    return ~referenceSum(copy)
}

/// A random but well-formed IPv4 header (version 4, IHL 5...15, any other field) with a
/// correct checksum.
func randomIPv4Header<G: RandomNumberGenerator>(using rng: inout G) -> [UInt8] {
    let ihl = Int.random(in: 5...15, using: &rng)
    var header = (0..<ihl * 4).map { _ in UInt8.random(in: 0...255, using: &rng) }
    header[0] = 0x40 | UInt8(ihl)
    setChecksum(&header, referenceIPv4Checksum(header))
    return header
}

func setChecksum(_ header: inout [UInt8], _ value: UInt16) {
    header[10] = UInt8(value >> 8)
    header[11] = UInt8(value & 0xFF)
}

func checksumField(_ header: [UInt8]) -> UInt16 { UInt16(header[10]) << 8 | UInt16(header[11]) }

/// Bytes from hex text, spaces ignored ("45 00 00 54").
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0)
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return out
}
