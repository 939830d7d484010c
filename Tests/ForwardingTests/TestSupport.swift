import XCTest
// Every file of this target uses the shared seeded generator without importing it again.
@_exported import TestSupport
import Packet
@testable import Forwarding

/// RFC 1071 written literally (big-endian words, end-around carry): the tests' own oracle,
/// independent of `InternetChecksum`. Returns the numeric value of the sum.
func referenceSum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
    var sum: UInt32 = 0
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let high = UInt32(bytes[index])
        let low = index + 1 < bytes.endIndex ? UInt32(bytes[index + 1]) : 0
        sum += high << 8 | low
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        index += 2
    }
    return UInt16(sum)
}

/// The two-port router every pipeline test runs against.
///
///     port 0  02:00:00:00:00:01  198.18.0.1/24  2001:db8::1/64
///     port 1  02:00:00:00:01:01  198.18.1.1/24  2001:db8:1::1/64
///
/// Neighbors: 198.18.0.2 and 2001:db8::2 on port 0; 198.18.1.2 and 2001:db8:1::2 on port 1.
/// Routes: 198.19.0.0/16 and 2001:db8:100::/48 via the port 1 neighbors; 198.19.128.0/17 and
/// 2001:db8:200::/48 via gateways on port 1 that have no neighbor entry; 198.18.200.0/24 and
/// 2001:db8:300::/48 straight out of port 1. Nothing else (no default route).
enum Fixture {
    static let port0MAC = MACAddress("02:00:00:00:00:01")!
    static let port1MAC = MACAddress("02:00:00:00:01:01")!
    static let neighbor0MAC = MACAddress("02:00:00:00:00:02")!    // 198.18.0.2 and 2001:db8::2
    static let neighbor1MAC = MACAddress("02:00:00:00:01:02")!    // 198.18.1.2
    static let neighbor1v6MAC = MACAddress("02:00:00:00:01:03")!  // 2001:db8:1::2
    static let mtu = 1500

    static var ports: [PortL3] {
        [PortL3(mac: port0MAC, mtu: mtu, addresses: [InterfaceAddress("198.18.0.1/24")!, InterfaceAddress("2001:db8::1/64")!]),
         PortL3(mac: port1MAC, mtu: mtu, addresses: [InterfaceAddress("198.18.1.1/24")!, InterfaceAddress("2001:db8:1::1/64")!])]
    }

    static var neighbors: [NeighborSpec] {
        [NeighborSpec(address: IPAddress("198.18.0.2")!, mac: neighbor0MAC, port: 0),
         NeighborSpec(address: IPAddress("2001:db8::2")!, mac: neighbor0MAC, port: 0),
         NeighborSpec(address: IPAddress("198.18.1.2")!, mac: neighbor1MAC, port: 1),
         NeighborSpec(address: IPAddress("2001:db8:1::2")!, mac: neighbor1v6MAC, port: 1)]
    }

    static var routes: [RouteSpec] {
        [RouteSpec(prefix: IPPrefix("198.19.0.0/16")!, target: .via(IPAddress("198.18.1.2")!)),
         RouteSpec(prefix: IPPrefix("198.19.128.0/17")!, target: .via(IPAddress("198.18.1.99")!)),
         RouteSpec(prefix: IPPrefix("198.18.200.0/24")!, target: .port(1)),
         RouteSpec(prefix: IPPrefix("2001:db8:100::/48")!, target: .via(IPAddress("2001:db8:1::2")!)),
         RouteSpec(prefix: IPPrefix("2001:db8:200::/48")!, target: .via(IPAddress("2001:db8:1::99")!)),
         RouteSpec(prefix: IPPrefix("2001:db8:300::/48")!, target: .port(1))]
    }

    static func table() -> ForwardingTable { ForwardingTable(ports: ports, routes: routes, neighbors: neighbors) }
}

/// Builds an Ethernet + IPv4 frame. Every field has a sane default (a UDP packet from a host on
/// port 0 to the neighbor on port 1); tests change only what they are about.
struct IPv4Frame {
    var destinationMAC = Fixture.port0MAC
    var sourceMAC = Fixture.neighbor0MAC
    var etherType = Ethernet.typeIPv4
    var version: UInt8 = 4
    /// Header length in 32-bit words; the header built is max(5, ihl) words long (options NOP).
    var ihl: UInt8 = 5
    var ttl: UInt8 = 64
    var proto: UInt8 = 17
    var source = "198.18.0.2"
    var destination = "198.18.1.2"
    /// Bytes after the IP header.
    var payloadLength = 8
    /// Total length field; nil means the true length.
    var totalLength: Int?
    /// Add this to the correct checksum (0 keeps it correct).
    var checksumError: UInt16 = 0
    /// Pad with zeros or cut the frame to exactly this many bytes.
    var frameLength: Int?

    var headerLength: Int { max(5, Int(ihl)) * 4 }
    var ipLength: Int { headerLength + payloadLength }

    var bytes: [UInt8] {
        var frame = destinationMAC.bytes + sourceMAC.bytes + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
        var header = [UInt8](repeating: 1, count: headerLength)  // options are NOPs
        let length = totalLength ?? ipLength
        header[0] = version << 4 | (ihl & 0x0F)
        header[1] = 0
        header[2] = UInt8(truncatingIfNeeded: length >> 8); header[3] = UInt8(truncatingIfNeeded: length)
        header[4] = 0x12; header[5] = 0x34
        header[6] = 0x40; header[7] = 0
        header[8] = ttl
        header[9] = proto
        header[10] = 0; header[11] = 0
        let s = IPv4Address(source)!.value, d = IPv4Address(destination)!.value
        for i in 0..<4 {
            header[12 + i] = UInt8(truncatingIfNeeded: s >> UInt32(24 - 8 * i))
            header[16 + i] = UInt8(truncatingIfNeeded: d >> UInt32(24 - 8 * i))
        }
        let checksum = ~referenceSum(header[...]) &+ checksumError
        header[10] = UInt8(checksum >> 8); header[11] = UInt8(checksum & 0xFF)
        frame += header
        frame += (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        if let frameLength { frame = fitted(frame, frameLength) }
        return frame
    }
}

/// Builds an Ethernet + IPv6 frame; defaults are a UDP packet from 2001:db8::2 (port 0 side)
/// to 2001:db8:1::2 (the neighbor on port 1).
struct IPv6Frame {
    var destinationMAC = Fixture.port0MAC
    var sourceMAC = Fixture.neighbor0MAC
    var etherType = Ethernet.typeIPv6
    var version: UInt8 = 6
    var hopLimit: UInt8 = 64
    var nextHeader: UInt8 = 17
    var source = "2001:db8::2"
    var destination = "2001:db8:1::2"
    var payloadLength = 8
    /// Payload length field; nil means the true length.
    var payloadLengthField: Int?
    var frameLength: Int?

    var ipLength: Int { 40 + payloadLength }

    var bytes: [UInt8] {
        var frame = destinationMAC.bytes + sourceMAC.bytes + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
        let length = payloadLengthField ?? payloadLength
        frame += [version << 4, 0x0A, 0xBC, 0xDE,  // traffic class 0, flow label 0xabcde
                  UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length), nextHeader, hopLimit]
        frame += IPv6Address(source)!.bytes + IPv6Address(destination)!.bytes
        frame += (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 5 &+ 1) }
        if let frameLength { frame = fitted(frame, frameLength) }
        return frame
    }
}

private func fitted(_ frame: [UInt8], _ length: Int) -> [UInt8] {
    frame.count >= length ? Array(frame[..<length]) : frame + [UInt8](repeating: 0, count: length - frame.count)
}

func ipv4(_ configure: (inout IPv4Frame) -> Void = { _ in }) -> [UInt8] {
    var f = IPv4Frame(); configure(&f); return f.bytes
}

func ipv6(_ configure: (inout IPv6Frame) -> Void = { _ in }) -> [UInt8] {
    var f = IPv6Frame(); configure(&f); return f.bytes
}

/// A frame with the given EtherType and payload, addressed to port 0.
func ethernet(type: UInt16, payloadLength: Int = 46, destination: MACAddress = Fixture.port0MAC) -> [UInt8] {
    destination.bytes + Fixture.neighbor0MAC.bytes + [UInt8(type >> 8), UInt8(type & 0xFF)] + [UInt8](repeating: 0, count: payloadLength)
}

/// The pipeline's answer for one packet.
enum Verdict: Equatable, CustomStringConvertible {
    case transmit(UInt16)
    case drop(DropReason)

    var description: String {
        switch self {
        case .transmit(let port): return "transmit(port \(port))"
        case .drop(let reason): return "drop(\(reason.name))"
        }
    }
}

struct Outcome {
    var verdict: Verdict
    /// `lengths[i]` after the run.
    var length: Int
    /// The frame's bytes after the run (as many as went in).
    var frame: [UInt8]
}

/// A test packet: the handle the pipeline gets points at one of these.
struct TestPacket {
    var data: UnsafeMutableRawPointer
    var length: Int
    var checksum: IPv4Input.ChecksumStatus
}

/// The pipeline's packet accessors over `TestPacket`s, as `MbufAccess` is over mbufs.
enum TestPacketAccess: PacketAccess {
    static func packet(_ p: OpaquePointer) -> UnsafeMutablePointer<TestPacket> { UnsafeMutablePointer(p) }
    static func data(_ p: OpaquePointer) -> UnsafeMutableRawPointer { packet(p).pointee.data }
    static func length(_ p: OpaquePointer) -> Int { packet(p).pointee.length }
    static func checksumStatus(_ p: OpaquePointer) -> IPv4Input.ChecksumStatus { packet(p).pointee.checksum }
    static func setLength(_ p: OpaquePointer, _ length: Int) { packet(p).pointee.length = length }
}

/// Runs frames through a `BurstPipeline` against `Fixture.table()` (or another table), with the
/// table's reference LPM as the lookup. Frames sit at varied alignments, as mbuf data may.
/// The pipeline's per-port lists and drop list are turned back into one verdict per input
/// packet (`outPort`, `dropReason`), and each port's list is checked to keep arrival order.
final class PipelineHarness {
    let table: ForwardingTable
    let reference: ReferenceRouteTable
    var pipeline = BurstPipeline(ports: 4)
    /// Per input slot after a run: the egress port, or `BurstPipeline.dropPort`.
    var outPort = [UInt16](repeating: PipelineHarness.untouched, count: BurstPipeline.capacity)
    var dropReason = [DropReason](repeating: PipelineHarness.untouchedReason, count: BurstPipeline.capacity)
    /// Marks a slot no output mentioned, so an unwritten verdict is visible.
    static let untouched: UInt16 = 0xBEEF
    static let untouchedReason = DropReason.txQueueFull

    init(table: ForwardingTable = Fixture.table()) {
        self.table = table
        reference = table.referenceTable
    }

    deinit { pipeline.deallocate() }

    func run(_ frames: [[UInt8]], checksum: [IPv4Input.ChecksumStatus]? = nil,
             portMAC: MACAddress = Fixture.port0MAC) -> [Outcome] {
        run(frames, checksum: checksum, portMAC: portMAC, lookup: reference)
    }

    func run<Lookup: RouteLookup>(_ frames: [[UInt8]], checksum: [IPv4Input.ChecksumStatus]? = nil,
                                  portMAC: MACAddress = Fixture.port0MAC, lookup: Lookup) -> [Outcome] {
        precondition(frames.count <= BurstPipeline.capacity)
        outPort = [UInt16](repeating: Self.untouched, count: BurstPipeline.capacity)
        dropReason = [DropReason](repeating: Self.untouchedReason, count: BurstPipeline.capacity)

        var allocations: [UnsafeMutableRawPointer] = []
        let packets = UnsafeMutablePointer<TestPacket>.allocate(capacity: max(1, frames.count))
        let handles = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: BurstPipeline.capacity)
        defer { allocations.forEach { $0.deallocate() }; packets.deallocate(); handles.deallocate() }
        for (i, frame) in frames.enumerated() {
            let base = UnsafeMutableRawPointer.allocate(byteCount: frame.count + 8, alignment: 64)
            allocations.append(base)
            let start = base + i % 4
            frame.withUnsafeBytes { if let source = $0.baseAddress { start.copyMemory(from: source, byteCount: frame.count) } }
            (packets + i).initialize(to: TestPacket(data: start, length: frame.count, checksum: checksum?[i] ?? .unknown))
            handles[i] = OpaquePointer(packets + i)
        }

        table.adjacencies.withUnsafeBufferPointer { adjacencies in
            pipeline.run(TestPacketAccess.self, packets: handles, count: frames.count, portMAC: portMAC.value,
                         lookup: lookup, adjacencies: adjacencies.baseAddress!, adjacencyCount: adjacencies.count)
        }

        func slot(_ handle: OpaquePointer?) -> Int { UnsafeMutablePointer<TestPacket>(handle!) - packets }
        var seen = 0
        for t in 0..<pipeline.touchedCount {
            let port = pipeline.touchedPorts[t]
            var previous = -1
            var bytes = 0
            for k in 0..<pipeline.transmitCount[port] {
                let i = slot(pipeline.transmit[port * BurstPipeline.capacity + k])
                XCTAssertGreaterThan(i, previous, "port \(port) keeps arrival order")
                previous = i
                outPort[i] = UInt16(port)
                bytes += packets[i].length
                seen += 1
            }
            XCTAssertEqual(pipeline.transmitBytes[port], UInt64(bytes), "transmit bytes of port \(port)")
        }
        for d in 0..<pipeline.dropCount {
            let i = slot(pipeline.dropped[d])
            outPort[i] = BurstPipeline.dropPort
            dropReason[i] = pipeline.dropReasons[d]
            seen += 1
        }
        XCTAssertEqual(seen, frames.count, "every packet is either sent or dropped, once")
        XCTAssertEqual(pipeline.receivedBytes, UInt64(frames.reduce(0) { $0 + $1.count }))
        pipeline.resetOutputs()

        return frames.indices.map { i in
            let port = outPort[i]
            let verdict: Verdict = port == BurstPipeline.dropPort ? .drop(dropReason[i]) : .transmit(port)
            let bytes = Array(UnsafeRawBufferPointer(start: packets[i].data, count: frames[i].count))
            return Outcome(verdict: verdict, length: packets[i].length, frame: bytes)
        }
    }

    func run(_ frame: [UInt8], checksum: IPv4Input.ChecksumStatus = .unknown, portMAC: MACAddress = Fixture.port0MAC) -> Outcome {
        run([frame], checksum: [checksum], portMAC: portMAC)[0]
    }

    func verdict(_ frame: [UInt8], checksum: IPv4Input.ChecksumStatus = .unknown, portMAC: MACAddress = Fixture.port0MAC) -> Verdict {
        run(frame, checksum: checksum, portMAC: portMAC).verdict
    }
}

/// Asserts that a frame is dropped (outPort is `BurstPipeline.dropPort`) for `reason`.
func assertDropped(_ frame: [UInt8], _ reason: DropReason, checksum: IPv4Input.ChecksumStatus = .unknown,
                   portMAC: MACAddress = Fixture.port0MAC, harness: PipelineHarness = PipelineHarness(),
                   _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    let outcome = harness.run(frame, checksum: checksum, portMAC: portMAC)
    XCTAssertEqual(harness.outPort[0], BurstPipeline.dropPort, "outPort " + message, file: file, line: line)
    XCTAssertEqual(outcome.verdict, .drop(reason), message, file: file, line: line)
}
