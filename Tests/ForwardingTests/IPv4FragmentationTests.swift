import XCTest
import Packet
@testable import Forwarding

/// The IPv4 fragmentation planner and writer (RFC 791 2.3, 3.2; RFC 1812 5.2.6), on byte
/// buffers: sizes, offsets and flags, packets that are already fragments, which options the
/// later fragments carry, checksums, and that the fragments reassemble to the original.
final class IPv4FragmentationTests: XCTestCase {
    struct Parsed {
        var ihl: Int, tos: UInt8, totalLength: Int, ident: UInt16, flags: UInt16, ttl: UInt8, proto: UInt8
        var source: [UInt8], destination: [UInt8], options: [UInt8], data: [UInt8]
        var headerChecksumValid: Bool
        var more: Bool { flags & 0x2000 != 0 }
        var dontFragment: Bool { flags & 0x4000 != 0 }
        var offsetBytes: Int { Int(flags & 0x1FFF) * 8 }
    }

    /// An IPv4 packet (no Ethernet header) with `dataLength` bytes of patterned data.
    func packet(dataLength: Int, options: [UInt8] = [], flags: UInt16 = 0, ttl: UInt8 = 64, ident: UInt16 = 0xBEEF,
                seed: UInt8 = 0) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        var p = [UInt8](repeating: 0, count: headerLength + dataLength)
        p[0] = 0x40 | UInt8(headerLength / 4)
        p[1] = 0x28
        p[2] = UInt8((headerLength + dataLength) >> 8); p[3] = UInt8((headerLength + dataLength) & 0xFF)
        p[4] = UInt8(ident >> 8); p[5] = UInt8(ident & 0xFF)
        p[6] = UInt8(flags >> 8); p[7] = UInt8(flags & 0xFF)
        p[8] = ttl; p[9] = 17
        p[12...15] = [198, 18, 0, 2]; p[16...19] = [198, 19, 7, 9]
        p.replaceSubrange(20..<headerLength, with: options)
        for i in 0..<dataLength { p[headerLength + i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 8 &+ Int(seed)) }
        let sum = ~referenceSum(p[0..<headerLength])
        p[10] = UInt8(sum >> 8); p[11] = UInt8(sum & 0xFF)
        return p
    }

    func plan(_ p: [UInt8], mtu: Int) -> IPv4Fragmentation.Plan? {
        p.withUnsafeBytes { IPv4Fragmentation.plan($0.baseAddress!, mtu: mtu) }
    }

    /// Every fragment of `p` for `mtu`, written as the worker writes them.
    func fragments(_ p: [UInt8], mtu: Int) -> [[UInt8]]? {
        guard let plan = plan(p, mtu: mtu) else { return nil }
        return (0..<plan.count).map { i in
            let f = plan.fragment(i)
            var out = [UInt8](repeating: 0xAA, count: f.totalLength)
            p.withUnsafeBytes { h in out.withUnsafeMutableBytes { IPv4Fragmentation.write(f, of: h.baseAddress!, to: $0.baseAddress!) } }
            return out
        }
    }

    func parse(_ p: [UInt8]) -> Parsed {
        let ihl = Int(p[0] & 0x0F)
        let total = Int(p[2]) << 8 | Int(p[3])
        return Parsed(ihl: ihl, tos: p[1], totalLength: total, ident: UInt16(p[4]) << 8 | UInt16(p[5]),
                      flags: UInt16(p[6]) << 8 | UInt16(p[7]), ttl: p[8], proto: p[9],
                      source: Array(p[12..<16]), destination: Array(p[16..<20]), options: Array(p[20..<ihl * 4]),
                      data: Array(p[ihl * 4..<total]), headerChecksumValid: referenceSum(p[0..<ihl * 4]) == 0xFFFF)
    }

    /// The checks every split must pass: each fragment within the MTU and valid, fields kept,
    /// TTL one less, offsets contiguous in 8-byte units, MF on all but the last (and on the last
    /// as the original had it), and the data put back together is the original's.
    func checkSplit(_ p: [UInt8], mtu: Int, file: StaticString = #filePath, line: UInt = #line) -> [Parsed] {
        guard let frags = fragments(p, mtu: mtu) else { XCTFail("no plan", file: file, line: line); return [] }
        let original = parse(p)
        var reassembled = [UInt8]()
        var parsed: [Parsed] = []
        for (i, bytes) in frags.enumerated() {
            let f = parse(bytes)
            parsed.append(f)
            let last = i == frags.count - 1
            XCTAssertEqual(bytes.count, f.totalLength, "fragment \(i): buffer and total length", file: file, line: line)
            XCTAssertLessThanOrEqual(f.totalLength, mtu, "fragment \(i) over the MTU", file: file, line: line)
            XCTAssertTrue(f.headerChecksumValid, "fragment \(i): header checksum", file: file, line: line)
            XCTAssertEqual(f.ttl, original.ttl - 1, file: file, line: line)
            XCTAssertEqual([f.tos, f.proto], [original.tos, original.proto], file: file, line: line)
            XCTAssertEqual(f.ident, original.ident, "identification kept", file: file, line: line)
            XCTAssertEqual(f.source + f.destination, original.source + original.destination, file: file, line: line)
            XCTAssertFalse(f.dontFragment, file: file, line: line)
            XCTAssertEqual(f.flags & 0x8000, original.flags & 0x8000, "reserved bit as received", file: file, line: line)
            XCTAssertEqual(f.more, !last || original.more, "fragment \(i) of \(frags.count): MF", file: file, line: line)
            XCTAssertEqual(f.offsetBytes, original.offsetBytes + reassembled.count, "fragment \(i): offset", file: file, line: line)
            if !last { XCTAssertEqual(f.data.count % 8, 0, "fragment \(i): data a multiple of 8", file: file, line: line) }
            XCTAssertGreaterThan(f.data.count, 0, file: file, line: line)
            if i == 0 { XCTAssertEqual(f.options, original.options, "the first fragment keeps every option", file: file, line: line) }
            reassembled += f.data
        }
        XCTAssertEqual(reassembled, original.data, "the fragments' data put together is the original's", file: file, line: line)
        return parsed
    }

    func testSizesOffsetsAndFlags() throws {
        // 4000 bytes at MTU 1500: 1480 + 1480 + 1020 data bytes, offsets 0, 185, 370.
        let p = packet(dataLength: 3980)
        let f = checkSplit(p, mtu: 1500)
        XCTAssertEqual(f.map(\.totalLength), [1500, 1500, 1040])
        XCTAssertEqual(f.map { Int($0.flags & 0x1FFF) }, [0, 185, 370])
        XCTAssertEqual(f.map(\.more), [true, true, false])

        // MTU 1280 from 1500: 1256 data bytes (1260 rounded down to 8), then the rest.
        let g = checkSplit(packet(dataLength: 1480), mtu: 1280)
        XCTAssertEqual(g.map(\.totalLength), [1276, 244])
        XCTAssertEqual(g.map { Int($0.flags & 0x1FFF) }, [0, 157])

        // The IPv4 minimum MTU: 48 data bytes per fragment.
        let h = checkSplit(packet(dataLength: 100), mtu: 68)
        XCTAssertEqual(h.map(\.data.count), [48, 48, 4])

        // One byte over: two fragments, the second carrying what the first could not.
        let k = checkSplit(packet(dataLength: 557), mtu: 576)
        XCTAssertEqual(k.map(\.data.count), [552, 5])
        for mtu in [68, 69, 75, 76, 296, 576, 1006, 1280, 1492, 1500, 9000] {
            for data in [mtu - 19, mtu - 20 + 8, 2 * mtu, 1480, 8980, 9580] where data + 20 > mtu {
                let frags = checkSplit(packet(dataLength: data), mtu: mtu)
                let per = (mtu - 20) / 8 * 8
                XCTAssertEqual(frags.count, (data + per - 1) / per, "mtu \(mtu), \(data) data bytes")
            }
        }
    }

    func testAPacketThatFitsIsOneFragmentWithItsFields() throws {
        let p = packet(dataLength: 1480, flags: 0x2000 | 40)
        let plan = try XCTUnwrap(self.plan(p, mtu: 1500))
        XCTAssertEqual(plan.count, 1)
        let f = checkSplit(p, mtu: 1500)
        XCTAssertEqual(f[0].flags, 0x2000 | 40)
        XCTAssertEqual(f[0].totalLength, 1500)
    }

    func testAFragmentIsSplitIntoFragmentsOfTheSameDatagram() throws {
        // A middle fragment (MF set, offset 100 units): every piece keeps MF, offsets continue.
        let middle = packet(dataLength: 2000, flags: 0x2000 | 100)
        let m = checkSplit(middle, mtu: 1000)
        XCTAssertEqual(m.map { Int($0.flags & 0x1FFF) }, [100, 222, 344])
        XCTAssertEqual(m.map(\.more), [true, true, true])
        // The last fragment (MF clear, offset 100): only the last piece has MF clear.
        let last = checkSplit(packet(dataLength: 2000, flags: 100), mtu: 1000)
        XCTAssertEqual(last.map(\.more), [true, true, false])
        XCTAssertEqual(last.map { Int($0.flags & 0x1FFF) }, [100, 222, 344])
        // The reserved bit is passed on as received.
        let evil = checkSplit(packet(dataLength: 2000, flags: 0x8000), mtu: 1000)
        XCTAssertTrue(evil.allSatisfy { $0.flags & 0x8000 != 0 })
    }

    func testOnlyOptionsWithTheCopyBitGoIntoLaterFragments() throws {
        // NOP; record route (7, not copied); router alert (148 = 0x94, copied); loose source
        // route (131 = 0x83, copied); end of list. 20 bytes: IHL 10.
        let recordRoute: [UInt8] = [7, 7, 4, 0, 0, 0, 0]
        let routerAlert: [UInt8] = [0x94, 4, 0, 0]
        let looseRoute: [UInt8] = [0x83, 7, 4, 198, 18, 9, 1]
        let options = [1] + recordRoute + routerAlert + looseRoute + [0]
        let p = packet(dataLength: 3000, options: options)
        let f = checkSplit(p, mtu: 1000)
        XCTAssertEqual(f[0].ihl, 10)
        XCTAssertEqual(f[0].options, options)
        XCTAssertEqual(f[0].data.count, 960, "1000 - 40 header bytes, a multiple of 8")
        for later in f.dropFirst() {
            XCTAssertEqual(later.ihl, 8, "20 + 11 copied option bytes padded to 12")
            XCTAssertEqual(later.options, routerAlert + looseRoute + [0], "copied options, padded with end of list")
            XCTAssertLessThanOrEqual(later.data.count, 968)
        }
        XCTAssertEqual(f.map(\.data.count), [960, 968, 968, 104])

        // No copied option at all: the later fragments have a plain 20-byte header.
        let plain = checkSplit(packet(dataLength: 3000, options: [1, 1, 1, 0] + recordRoute + [0]), mtu: 1000)
        XCTAssertEqual(plain.dropFirst().map(\.ihl), [5, 5, 5])
        XCTAssertEqual(plain[0].ihl, 8)
    }

    func testAMalformedOptionEndsTheWalk() throws {
        // Router alert, then an option claiming length 1 (invalid), then a copied option that
        // cannot be trusted: only the router alert is copied.
        let options: [UInt8] = [0x94, 4, 0, 0, 0x83, 1, 0x83, 3, 0, 0, 0, 0]
        let f = checkSplit(packet(dataLength: 2000, options: options), mtu: 600)
        XCTAssertEqual(f[1].options, [0x94, 4, 0, 0])
        // A length that runs past the header: nothing from it.
        let over: [UInt8] = [0x83, 40, 4, 0]
        let g = checkSplit(packet(dataLength: 2000, options: over), mtu: 600)
        XCTAssertEqual(g[1].ihl, 5)
    }

    func testPacketsThatMustNotOrCannotBeSplit() {
        XCTAssertNil(plan(packet(dataLength: 3000, flags: 0x4000), mtu: 1500), "DF set: fragmentation needed, not fragments")
        XCTAssertNil(plan(packet(dataLength: 3000), mtu: 27), "fewer than 8 data bytes fit after the header")
        XCTAssertNil(plan(packet(dataLength: 3000, options: [0x94, 4, 0, 0] + [UInt8](repeating: 1, count: 32)), mtu: 68 - 8),
                     "56-byte header: 4 data bytes fit")
        // The last piece (3 * 552 bytes = 207 units in) would start past the 13-bit field's
        // reach (8191 units): 8128 + 207 does not fit, 7984 + 207 does.
        XCTAssertNil(plan(packet(dataLength: 2000, flags: 8128), mtu: 576))
        XCTAssertNotNil(plan(packet(dataLength: 2000, flags: 7984), mtu: 576))
    }

    func testRandomSplitsKeepEveryRule() {
        var rng = SeededGenerator(seed: 791)
        let copied: [[UInt8]] = [[0x94, 4, 0, 0], [0x83, 7, 4, 198, 18, 1, 1], [0x89, 3, 4], [0x82, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
        let notCopied: [[UInt8]] = [[1], [7, 7, 4, 0, 0, 0, 0], [68, 8, 5, 0, 0, 0, 0, 0]]
        for _ in 0..<400 {
            var options: [UInt8] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let pick = Bool.random(using: &rng) ? copied.randomElement(using: &rng)! : notCopied.randomElement(using: &rng)!
                if options.count + pick.count <= 40 { options += pick }
            }
            while options.count % 4 != 0 { options.append(0) }
            let mtu = Int.random(in: 68...9000, using: &rng)
            let data = Int.random(in: max(1, mtu - 20 - options.count + 1)...(mtu * 3 + 100), using: &rng)
            guard data + 20 + options.count <= 65535 else { continue }
            let flags = Bool.random(using: &rng) ? 0 : UInt16.random(in: 0...200, using: &rng) | (Bool.random(using: &rng) ? 0x2000 : 0)
            let p = packet(dataLength: data, options: options, flags: flags, seed: UInt8.random(in: 0...255, using: &rng))
            let f = checkSplit(p, mtu: mtu)
            // Later headers hold exactly the copied options, in order.
            var expected: [UInt8] = []
            var i = 0
            while i < options.count {
                if options[i] == 0 { break }
                if options[i] == 1 { i += 1; continue }
                let length = Int(options[i + 1])
                if options[i] & 0x80 != 0 { expected += options[i..<i + length] }
                i += length
            }
            while expected.count % 4 != 0 { expected.append(0) }
            for later in f.dropFirst() { XCTAssertEqual(later.options, expected, "options \(options)") }
        }
    }
}
