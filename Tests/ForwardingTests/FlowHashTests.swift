import XCTest
import Packet
@testable import Forwarding

/// The pipeline's software flow hash: what it reads (so every packet of a flow goes to one
/// worker and keeps its order) and what it ignores.
final class FlowHashTests: XCTestCase {
    func hash(_ frame: [UInt8], length: Int? = nil) -> UInt32 {
        frame.withUnsafeBytes { FlowHash.of($0.baseAddress!, length: length ?? frame.count) }
    }

    /// Sets the UDP/TCP ports right after an IP header that ends at `offset`.
    func withPorts(_ frame: [UInt8], at offset: Int, source: UInt16, destination: UInt16) -> [UInt8] {
        var f = frame
        f[offset] = UInt8(source >> 8); f[offset + 1] = UInt8(source & 0xFF)
        f[offset + 2] = UInt8(destination >> 8); f[offset + 3] = UInt8(destination & 0xFF)
        return f
    }

    func v4(source: String = "198.18.0.2", destination: String = "198.18.1.2", proto: UInt8 = 17, ttl: UInt8 = 64,
            ports: (UInt16, UInt16) = (40000, 9), payload: Int = 8) -> [UInt8] {
        let frame = ipv4 { $0.source = source; $0.destination = destination; $0.proto = proto; $0.ttl = ttl; $0.payloadLength = payload }
        return withPorts(frame, at: 34, source: ports.0, destination: ports.1)
    }

    func v6(source: String = "2001:db8::2", destination: String = "2001:db8:1::2", next: UInt8 = 17, hopLimit: UInt8 = 64,
            ports: (UInt16, UInt16) = (40000, 9)) -> [UInt8] {
        let frame = ipv6 { $0.source = source; $0.destination = destination; $0.nextHeader = next; $0.hopLimit = hopLimit }
        return withPorts(frame, at: 54, source: ports.0, destination: ports.1)
    }

    func testSameFlowSameHashWhateverElseChanges() {
        // TTL, checksum, payload and its length differ between packets of one flow.
        XCTAssertEqual(hash(v4()), hash(v4(ttl: 3, payload: 400)))
        XCTAssertEqual(hash(v6()), hash(v6(hopLimit: 9)))
        var other = v4()
        other[other.count - 1] ^= 0xFF
        XCTAssertEqual(hash(v4()), hash(other))
    }

    func testFiveTupleFieldsAllCount() {
        let base = hash(v4())
        XCTAssertNotEqual(base, hash(v4(source: "198.18.0.3")))
        XCTAssertNotEqual(base, hash(v4(destination: "198.18.1.3")))
        XCTAssertNotEqual(base, hash(v4(ports: (40001, 9))))
        XCTAssertNotEqual(base, hash(v4(ports: (40000, 10))))
        XCTAssertNotEqual(base, hash(v4(proto: 6)))
        let base6 = hash(v6())
        XCTAssertNotEqual(base6, hash(v6(source: "2001:db8::3")))
        XCTAssertNotEqual(base6, hash(v6(destination: "2001:db8:1::3")))
        XCTAssertNotEqual(base6, hash(v6(ports: (40001, 9))))
        XCTAssertNotEqual(base6, hash(v6(next: 6)))
    }

    /// ICMP has no ports: its "ports" bytes (type, code, checksum) must not split a flow.
    func testProtocolsWithoutPortsHashAddressesOnly() {
        XCTAssertEqual(hash(v4(proto: 1, ports: (0x0800, 1))), hash(v4(proto: 1, ports: (0x0800, 2))))
        XCTAssertEqual(hash(v6(next: 58, ports: (0x8000, 1))), hash(v6(next: 58, ports: (0x8000, 2))))
    }

    /// A fragment's ports are absent (later fragments) so every fragment hashes alike.
    func testIPv4FragmentsIgnorePorts() {
        func fragment(_ ports: (UInt16, UInt16), offset: UInt16) -> [UInt8] {
            var f = v4(ports: ports)
            let field = 0x2000 | offset            // MF, and the fragment offset
            f[20] = UInt8(field >> 8); f[21] = UInt8(field & 0xFF)
            return f
        }
        XCTAssertEqual(hash(fragment((1, 2), offset: 0)), hash(fragment((3, 4), offset: 185)))
    }

    func testShortAndNonIPFramesHashToZero() {
        XCTAssertEqual(hash([]), 0)
        XCTAssertEqual(hash(ethernet(type: Ethernet.typeARP)), 0)
        XCTAssertEqual(hash(v4(), length: 14 + 19), 0)
        XCTAssertEqual(hash(v6(), length: 14 + 39), 0)
    }

    /// A frame cut right after the IP header is hashed without its ports, never read past the end.
    func testTruncatedTransportHeaderIsNotRead() {
        let cut = Array(v4()[..<34])
        XCTAssertEqual(hash(cut), hash(v4(proto: 17, ports: (1, 1)), length: 34))
        let cut6 = Array(v6()[..<54])
        XCTAssertEqual(hash(cut6), hash(v6(ports: (7, 7)), length: 54))
    }

    /// Many flows spread over a few workers roughly evenly: no worker gets none or most.
    func testFlowsSpreadOverWorkers() {
        for workers in [2, 3, 4, 8] {
            var counts = [Int](repeating: 0, count: workers)
            for i in 0..<4000 {
                let f = v4(source: "198.18.\(i / 250).\(i % 250 + 1)", ports: (UInt16(10000 + i % 37), 9))
                counts[FlowHash.pick(hash(f), among: workers)] += 1
            }
            let even = 4000 / workers
            for c in counts { XCTAssertTrue(c > even * 3 / 4 && c < even * 5 / 4, "\(workers) workers: \(counts)") }
        }
    }

    func testPickStaysInRange() {
        for h: UInt32 in [0, 1, 0x7FFF_FFFF, 0x8000_0000, .max] {
            for n in 1...9 { XCTAssertTrue((0..<n).contains(FlowHash.pick(h, among: n))) }
        }
        XCTAssertEqual(FlowHash.pick(.max, among: 4), 3)
        XCTAssertEqual(FlowHash.pick(0, among: 4), 0)
    }
}
