import XCTest
import Packet

final class ChecksumTests: XCTestCase {
    /// `InternetChecksum.sum` over a byte array, returned as the numeric value the wire bytes
    /// spell (the function itself answers in memory order).
    private func wireSum(_ bytes: [UInt8], offset: Int = 0) -> UInt16 {
        var buffer = [UInt8](repeating: 0xA5, count: bytes.count + offset + 1)
        buffer.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        return buffer.withUnsafeBytes { UInt16(bigEndian: InternetChecksum.sum($0.baseAddress! + offset, count: bytes.count)) }
    }

    private func isValid(_ header: [UInt8]) -> Bool {
        header.withUnsafeBytes { InternetChecksum.isValid($0.baseAddress!, count: header.count) }
    }

    /// The numeric example of RFC 1071 section 3.
    func testRFC1071Example() {
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        XCTAssertEqual(wireSum(bytes), 0xDDF2)
        XCTAssertEqual(referenceSum(bytes), 0xDDF2, "the test's own oracle agrees with the RFC")
        // In memory order: storing the result gives the bytes dd f2, whatever the host order.
        let stored = bytes.withUnsafeBytes { p -> [UInt8] in
            let sum = InternetChecksum.sum(p.baseAddress!, count: 8)
            return withUnsafeBytes(of: sum) { Array($0) }
        }
        XCTAssertEqual(stored, [0xDD, 0xF2])
        let checksum = bytes.withUnsafeBytes { InternetChecksum.compute($0.baseAddress!, count: 8) }
        XCTAssertEqual(withUnsafeBytes(of: checksum) { Array($0) }, [0x22, 0x0D])
    }

    /// An ICMP echo request header from 198.18.0.10 to 198.18.1.10 whose checksum, 0x9b3c, was
    /// worked out by hand and with an independent tool.
    func testRealIPv4Header() {
        let header = hexBytes("45 00 00 54 12 34 40 00 40 01 9b 3c c6 12 00 0a c6 12 01 0a")
        XCTAssertTrue(isValid(header))
        XCTAssertEqual(wireSum(header), 0xFFFF)
        var zeroed = header
        setChecksum(&zeroed, 0)
        let computed = zeroed.withUnsafeBytes { InternetChecksum.compute($0.baseAddress!, count: 20) }
        XCTAssertEqual(UInt16(bigEndian: computed), 0x9B3C)
        XCTAssertEqual(referenceIPv4Checksum(header), 0x9B3C)
    }

    /// A one's-complement sum detects every single-bit error.
    func testEverySingleBitErrorIsDetected() {
        let header = hexBytes("45 00 00 54 12 34 40 00 40 01 9b 3c c6 12 00 0a c6 12 01 0a")
        for bit in 0..<(header.count * 8) {
            var damaged = header
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            XCTAssertFalse(isValid(damaged), "bit \(bit)")
        }
    }

    /// A trailing odd byte counts as the high byte of a word padded with zero (RFC 1071 4.1).
    func testOddLengths() {
        XCTAssertEqual(wireSum([0xAB]), 0xAB00)
        XCTAssertEqual(wireSum([0x00, 0x01, 0xF2]), 0xF201)
        XCTAssertEqual(wireSum([0x00, 0x01, 0xF2, 0x03, 0xF4]), 0xE605)  // 0x0001 + 0xf203 + 0xf400, one carry folded in
        XCTAssertEqual(wireSum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6]), referenceSum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6]))
        XCTAssertEqual(wireSum([]), 0)
    }

    /// Every length from 0 to 300 (all 4-byte, 2-byte and odd tails), at every alignment.
    func testAllLengthsAndAlignmentsAgreeWithReference() {
        var rng = SeededGenerator(seed: 1071)
        for length in 0...300 {
            for offset in 0..<8 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                XCTAssertEqual(wireSum(bytes, offset: offset), referenceSum(bytes), "length \(length) offset \(offset)")
            }
        }
    }

    /// Long runs of 0xFF drive the accumulator through every carry the folding must absorb.
    func testCarryHeavyBuffers() {
        for length in [65_535, 65_536, 65_537, 131_071, 1_000_003] {
            let bytes = [UInt8](repeating: 0xFF, count: length)
            XCTAssertEqual(wireSum(bytes), referenceSum(bytes), "length \(length)")
        }
        var rng = SeededGenerator(seed: 99)
        let mixed = (0..<200_001).map { _ in UInt8.random(in: 0xF0...0xFF, using: &rng) }
        XCTAssertEqual(wireSum(mixed), referenceSum(mixed))
    }

    func testFold() {
        XCTAssertEqual(InternetChecksum.fold(0), 0)
        XCTAssertEqual(InternetChecksum.fold(0xFFFF), 0xFFFF)
        XCTAssertEqual(InternetChecksum.fold(0x1_0000), 1)
        XCTAssertEqual(InternetChecksum.fold(0x2_DDF0), 0xDDF2)
        XCTAssertEqual(InternetChecksum.fold(0xFFFF_FFFF), 0xFFFF)
        XCTAssertEqual(InternetChecksum.fold(.max), 0xFFFF)
        XCTAssertEqual(InternetChecksum.fold(0x0001_0000_0000_0000), 1)
        // Congruence modulo 0xFFFF, never 0 for a nonzero value.
        var rng = SeededGenerator(seed: 16)
        for _ in 0..<10_000 {
            let value = rng.next() >> UInt64.random(in: 0...63, using: &rng)
            let folded = InternetChecksum.fold(value)
            XCTAssertEqual(UInt64(folded) % 0xFFFF, value % 0xFFFF, "\(value)")
            if value != 0 { XCTAssertNotEqual(folded, 0, "\(value)") }
        }
    }

    /// `isValid` has its own unrolled path for 20-byte headers: it must agree with the reference
    /// for valid and damaged headers of that length and others, at every alignment.
    func testIsValidAgreesWithReference() {
        var rng = SeededGenerator(seed: 20)
        for length in [20, 24, 40, 60, 19, 21] {
            for offset in 0..<8 {
                for round in 0..<200 {
                    var header = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    if round % 2 == 0 {
                        // Make it valid: set bytes 10-11 so that the whole sums to 0xFFFF.
                        header[10] = 0; header[11] = 0
                        let checksum = ~referenceSum(header)
                        header[10] = UInt8(checksum >> 8); header[11] = UInt8(checksum & 0xFF)
                    }
                    var buffer = [UInt8](repeating: 0x5A, count: length + offset)
                    buffer.replaceSubrange(offset..<offset + length, with: header)
                    let valid = buffer.withUnsafeBytes { InternetChecksum.isValid($0.baseAddress! + offset, count: length) }
                    XCTAssertEqual(valid, referenceSum(header) == 0xFFFF, "length \(length) offset \(offset)")
                    if round % 2 == 0 && length % 2 == 0 { XCTAssertTrue(valid, "length \(length) offset \(offset)") }
                }
            }
        }
    }

    func testComputeThenIsValid() {
        var rng = SeededGenerator(seed: 791)
        for _ in 0..<2000 {
            var header = randomIPv4Header(using: &rng)
            XCTAssertTrue(isValid(header))
            setChecksum(&header, 0)
            let computed = header.withUnsafeBytes { InternetChecksum.compute($0.baseAddress!, count: header.count) }
            header.withUnsafeMutableBytes { $0.storeBytes(of: computed, toByteOffset: 10, as: UInt16.self) }
            XCTAssertTrue(isValid(header))
            XCTAssertEqual(checksumField(header), referenceIPv4Checksum(header))
        }
    }
}

final class IncrementalChecksumTests: XCTestCase {
    /// Applies eqn. 3 to a header in memory for a change of the 16-bit word at `offset`, the
    /// way the fast path does (values as loaded from memory).
    private func patched(_ header: [UInt8], wordAt offset: Int, to newValue: UInt16) -> [UInt8] {
        var h = header
        h.withUnsafeMutableBytes { p in
            let old = p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
            let new = newValue.bigEndian
            p.storeBytes(of: new, toByteOffset: offset, as: UInt16.self)
            let checksum = p.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
            p.storeBytes(of: InternetChecksum.update(checksum, old: old, new: new), toByteOffset: 10, as: UInt16.self)
        }
        return h
    }

    private func word(_ h: [UInt8], _ offset: Int) -> UInt16 { UInt16(h[offset]) << 8 | UInt16(h[offset + 1]) }

    /// RFC 1624 section 4: the other words sum to 0xCD7A and m = 0x5555 changes to 0x3285, so
    /// the new checksum is 0x0000. Eqn. 2 gives 0xFFFF (-0) there; eqn. 3 must give 0x0000.
    func testRFC1624Section4Example() {
        // m is the TTL/protocol word (0x55 0x55); source 198.18.0.1, destination 198.18.252.63
        // chosen so that the words other than m and the checksum sum to 0xCD7A.
        let header = hexBytes("45 00 00 14 00 00 00 00 55 55 dd 2f c6 12 00 01 c6 12 fc 3f")
        var others = header
        others[8] = 0; others[9] = 0; others[10] = 0; others[11] = 0
        XCTAssertEqual(referenceSum(others), 0xCD7A, "the header reproduces the RFC's numbers")
        XCTAssertEqual(checksumField(header), 0xDD2F)
        XCTAssertEqual(referenceIPv4Checksum(header), 0xDD2F)

        // Eqn. 2 (HC' = HC - ~m - m', one's-complement subtraction) really yields -0 here.
        func add(_ a: UInt16, _ b: UInt16) -> UInt16 { let s = UInt32(a) + UInt32(b); return UInt16((s & 0xFFFF) + (s >> 16)) }
        XCTAssertEqual(add(add(0xDD2F, ~(~UInt16(0x5555))), ~UInt16(0x3285)), 0xFFFF)

        // Eqn. 3 on numeric values and on byte-swapped (little-endian memory) values.
        XCTAssertEqual(InternetChecksum.update(0xDD2F, old: 0x5555, new: 0x3285), 0x0000)
        XCTAssertEqual(InternetChecksum.update(0x2FDD, old: 0x5555, new: 0x8532), 0x0000)

        let after = patched(header, wordAt: 8, to: 0x3285)
        XCTAssertEqual(referenceIPv4Checksum(after), 0x0000, "full recomputation")
        XCTAssertEqual(checksumField(after), 0x0000, "eqn. 3 matches it, and is not -0")
        XCTAssertTrue(after.withUnsafeBytes { InternetChecksum.isValid($0.baseAddress!, count: 20) })

        // And back again.
        let back = patched(after, wordAt: 8, to: 0x5555)
        XCTAssertEqual(back, header)
    }

    /// Thousands of random headers and random 16-bit field changes: the incremental result must
    /// equal a full recomputation, bit for bit.
    func testRandomUpdatesEqualFullRecomputation() {
        var rng = SeededGenerator(seed: 1624)
        let edgeValues: [UInt16] = [0x0000, 0xFFFF, 0x0001, 0xFFFE, 0x8000, 0x7FFF, 0x00FF, 0xFF00]
        var zeroResults = 0
        for iteration in 0..<20_000 {
            var header = randomIPv4Header(using: &rng)
            // Now and then start from a checksum of 0x0000, the value -0 would masquerade as.
            if iteration % 7 == 0 {
                header[4] = 0; header[5] = 0
                var s = header; setChecksum(&s, 0); s[4] = 0; s[5] = 0
                let id = ~referenceSum(s)   // makes the full checksum 0x0000
                header[4] = UInt8(id >> 8); header[5] = UInt8(id & 0xFF)
                setChecksum(&header, referenceIPv4Checksum(header))
            }
            var offset: Int
            repeat { offset = 2 * Int.random(in: 0..<(header.count / 2), using: &rng) } while offset == 10
            var newValue = Bool.random(using: &rng) ? edgeValues.randomElement(using: &rng)! : UInt16.random(in: 0...0xFFFF, using: &rng)
            if iteration % 5 == 0 {
                // The value that makes the full checksum 0x0000: where eqn. 2 would give -0.
                var others = header
                others[10] = 0; others[11] = 0; others[offset] = 0; others[offset + 1] = 0
                newValue = ~referenceSum(others)
            }
            let after = patched(header, wordAt: offset, to: newValue)
            let full = referenceIPv4Checksum(after)
            XCTAssertEqual(checksumField(after), full,
                           "header \(header) word \(offset) \(String(word(header, offset), radix: 16)) -> \(String(newValue, radix: 16))")
            if full == 0 {
                zeroResults += 1
                XCTAssertNotEqual(checksumField(after), 0xFFFF)
            }
        }
        XCTAssertGreaterThan(zeroResults, 0, "the cases where eqn. 2 would fail were exercised")
    }

    /// Changes chosen so that the full computation gives exactly 0x0000: eqn. 3 must agree and
    /// must never produce 0xFFFF.
    func testChangesThatMakeTheChecksumZero() {
        var rng = SeededGenerator(seed: 0xFFFF)
        for _ in 0..<5000 {
            let header = randomIPv4Header(using: &rng)
            var offset: Int
            repeat { offset = 2 * Int.random(in: 0..<(header.count / 2), using: &rng) } while offset == 10
            var others = header
            others[10] = 0; others[11] = 0; others[offset] = 0; others[offset + 1] = 0
            let newValue = ~referenceSum(others)
            let after = patched(header, wordAt: offset, to: newValue)
            XCTAssertEqual(referenceIPv4Checksum(after), 0x0000)
            XCTAssertEqual(checksumField(after), 0x0000, "offset \(offset) value \(String(newValue, radix: 16))")
        }
    }

    /// A field that does not change leaves the checksum as it is, including 0x0000.
    func testUnchangedFieldKeepsChecksum() {
        for checksum: UInt16 in [0x0000, 0x0001, 0x1234, 0xFFFE] {
            for value: UInt16 in [0x0000, 0x0001, 0x8000, 0xFFFF] {
                XCTAssertEqual(InternetChecksum.update(checksum, old: value, new: value), checksum,
                               "checksum \(checksum) value \(value)")
            }
        }
    }

    /// For every TTL from 2 to 255, on random headers at random alignments, the decrement keeps
    /// the header valid, changes nothing but the TTL and the checksum, and gives exactly the
    /// checksum a full recomputation would.
    func testDecrementTTLKeepsChecksumValid() {
        var rng = SeededGenerator(seed: 1812)
        for ttl in 2...255 {
            for round in 0..<40 {
                var header = randomIPv4Header(using: &rng)
                header[8] = UInt8(ttl)
                if round == 0 {
                    // Force the result checksum to 0x0000 through the identification field.
                    var s = header; s[8] = UInt8(ttl - 1); s[4] = 0; s[5] = 0; setChecksum(&s, 0)
                    let id = ~referenceSum(s)
                    header[4] = UInt8(id >> 8); header[5] = UInt8(id & 0xFF)
                }
                setChecksum(&header, referenceIPv4Checksum(header))

                let offset = Int.random(in: 0..<8, using: &rng)
                var buffer = [UInt8](repeating: 0, count: header.count + offset)
                buffer.replaceSubrange(offset..<offset + header.count, with: header)
                buffer.withUnsafeMutableBytes { IPv4Header.decrementTTL($0.baseAddress! + offset) }
                let after = Array(buffer[offset...])

                XCTAssertEqual(after[8], UInt8(ttl - 1))
                XCTAssertTrue(after.withUnsafeBytes { InternetChecksum.isValid($0.baseAddress!, count: after.count) }, "ttl \(ttl)")
                XCTAssertEqual(checksumField(after), referenceIPv4Checksum(after), "ttl \(ttl)")
                if round == 0 { XCTAssertEqual(checksumField(after), 0x0000, "ttl \(ttl)") }
                for i in 0..<header.count where i != 8 && i != 10 && i != 11 {
                    XCTAssertEqual(after[i], header[i], "byte \(i)")
                }
            }
        }
    }
}
