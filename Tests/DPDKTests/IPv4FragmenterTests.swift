import DPDK
@testable import Dataplane
import Forwarding
import Packet
import XCTest

/// The worker's fragmenter and ICMP responder on real mbufs from pools small enough to run
/// dry: frames as the worker sends them, and an empty pool that costs no mbuf (every one taken
/// is given back) and is reported, never a crash or a partial set of fragments.
final class IPv4FragmenterTests: XCTestCase {
    static let portMAC = MACAddress("02:00:00:00:00:00")!
    static let hostMAC = MACAddress("02:00:00:00:01:02")!
    static let egressMAC = MACAddress("02:00:00:00:00:01")!
    static let nextHopMAC = MACAddress("02:00:00:00:02:02")!
    static var adjacency: Adjacency {
        Adjacency(action: .forward, port: 1, mtu: 576, rewrite: Ethernet.AddressRewrite(destination: nextHopMAC, source: egressMAC))
    }

    override func setUp() {
        super.setUp()
        XCTAssertTrue(TestEAL.ready, "EAL did not initialise")
    }

    /// A pool without a per-lcore cache, so `available` is exact.
    func pool(_ count: Int) throws -> MbufPool {
        try MbufPool(name: "test-frag-\(UInt32.random(in: 0...UInt32.max))", count: count, cacheSize: 0, dataRoom: 2176, socket: -1)
    }

    /// An Ethernet + IPv4 frame of `ipLength` bytes (UDP-like data), TTL 64, in a fresh mbuf.
    func frame(in pool: MbufPool, ipLength: Int, flags: UInt16 = 0, ttl: UInt8 = 64) throws -> (MbufPointer, [UInt8]) {
        var bytes = [UInt8](repeating: 0, count: 14 + ipLength)
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress!
            Self.portMAC.store(to: p)
            Self.hostMAC.store(to: p + 6)
            p.storeBytes(of: Ethernet.typeIPv4.bigEndian, toByteOffset: 12, as: UInt16.self)
            let ip = p + 14
            ip.storeBytes(of: UInt8(0x45), as: UInt8.self)
            ip.storeBytes(of: UInt16(ipLength).bigEndian, toByteOffset: 2, as: UInt16.self)
            ip.storeBytes(of: UInt16(0x4242).bigEndian, toByteOffset: 4, as: UInt16.self)
            ip.storeBytes(of: flags.bigEndian, toByteOffset: 6, as: UInt16.self)
            ip.storeBytes(of: ttl, toByteOffset: 8, as: UInt8.self)
            ip.storeBytes(of: UInt8(17), toByteOffset: 9, as: UInt8.self)
            ip.storeBytes(of: UInt32(0xC612_0002).bigEndian, toByteOffset: 12, as: UInt32.self)   // 198.18.0.2
            ip.storeBytes(of: UInt32(0xC612_0409).bigEndian, toByteOffset: 16, as: UInt32.self)   // 198.18.4.9
            for i in 20..<ipLength { ip.storeBytes(of: UInt8(truncatingIfNeeded: i * 13), toByteOffset: i, as: UInt8.self) }
            ip.storeBytes(of: InternetChecksum.compute(ip, count: 20), toByteOffset: 10, as: UInt16.self)
        }
        let m = try XCTUnwrap(Mbuf.allocate(from: pool.pointer))
        bytes.withUnsafeBytes { Mbuf.data(m).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        Mbuf.setLength(m, UInt16(bytes.count))
        return (m, bytes)
    }

    func testFragmentsAreCompleteFramesAndThePoolComesBackFull() throws {
        let pool = try pool(8)
        defer { pool.free() }
        let fragmenter = IPv4Fragmenter(pool: pool.pointer)
        defer { fragmenter.deallocate() }
        let (packet, original) = try frame(in: pool, ipLength: 2000)

        let outcome = fragmenter.fragment(packet, adjacency: Self.adjacency)
        // 1980 data bytes at MTU 576: 552 + 552 + 552 + 324.
        guard case .fragmented(let count, let bytes) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(count, 4)
        XCTAssertEqual(pool.available, 8 - 1 - 4)
        var data: [UInt8] = []
        var total: UInt64 = 0
        for i in 0..<count {
            let m = try XCTUnwrap(fragmenter.fragments[i])
            let f = Array(UnsafeRawBufferPointer(start: Mbuf.data(m), count: Int(Mbuf.dataLength(m))))
            total += UInt64(f.count)
            XCTAssertEqual(Array(f[0..<6]), [2, 0, 0, 0, 2, 2], "next hop's MAC")
            XCTAssertEqual(Array(f[6..<12]), [2, 0, 0, 0, 0, 1], "egress port's MAC")
            XCTAssertEqual(Array(f[12..<14]), [0x08, 0x00])
            XCTAssertLessThanOrEqual(f.count - 14, 576)
            let ip = Array(f[14...])
            XCTAssertEqual(Int(ip[2]) << 8 | Int(ip[3]), ip.count, "total length is the frame's")
            XCTAssertEqual(ip[8], 63, "TTL one less")
            XCTAssertEqual(Array(ip[4..<6]), [0x42, 0x42], "identification kept")
            let field = Int(ip[6]) << 8 | Int(ip[7])
            XCTAssertEqual(field & 0x1FFF, data.count / 8)
            XCTAssertEqual(field & 0x2000 != 0, i < count - 1)
            XCTAssertEqual(ip.withUnsafeBytes { InternetChecksum.sum($0.baseAddress!, count: 20) }, 0xFFFF, "header checksum")
            data += ip[20...]
        }
        XCTAssertEqual(total, bytes)
        XCTAssertEqual(data, Array(original[34...]), "the fragments' data is the original's")
        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: Mbuf.data(packet), count: original.count)), original, "the packet is untouched")

        Mbuf.free(fragmenter.fragments, count: count)
        Mbuf.free(packet)
        XCTAssertEqual(pool.available, 8)
    }

    func testAnEmptyPoolGivesBackWhatWasTakenAndSendsNothing() throws {
        // The packet plus 3 free mbufs: one short of its 4 fragments.
        let pool = try pool(4)
        defer { pool.free() }
        let fragmenter = IPv4Fragmenter(pool: pool.pointer)
        defer { fragmenter.deallocate() }
        let (packet, original) = try frame(in: pool, ipLength: 2000)
        XCTAssertEqual(fragmenter.fragment(packet, adjacency: Self.adjacency), .noMbuf)
        XCTAssertEqual(pool.available, 3, "the 3 fragments allocated were freed again")
        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: Mbuf.data(packet), count: original.count)), original)
        Mbuf.free(packet)
        XCTAssertEqual(pool.available, 4)
    }

    func testPacketsThatAreNotFragmented() throws {
        let pool = try pool(8)
        defer { pool.free() }
        let fragmenter = IPv4Fragmenter(pool: pool.pointer)
        defer { fragmenter.deallocate() }
        let (df, _) = try frame(in: pool, ipLength: 2000, flags: 0x4000)
        XCTAssertEqual(fragmenter.fragment(df, adjacency: Self.adjacency), .notFragmentable, "DF set")
        var noNeighbor = Self.adjacency
        noNeighbor.action = .noNeighbor
        let (plain, _) = try frame(in: pool, ipLength: 2000)
        XCTAssertEqual(fragmenter.fragment(plain, adjacency: noNeighbor), .notFragmentable, "no forwarding adjacency")
        XCTAssertEqual(pool.available, 6, "nothing allocated")
        Mbuf.free(df)
        Mbuf.free(plain)
    }

    /// An ICMP error that is due but finds the pool empty is reported as such (the worker
    /// counts it as icmp_errors no_mbuf), and is sent once an mbuf is free again.
    func testICMPErrorWithoutAnMbuf() throws {
        let pool = try pool(2)
        defer { pool.free() }
        let (packet, _) = try frame(in: pool, ipLength: 100, ttl: 1)
        let other = try XCTUnwrap(Mbuf.allocate(from: pool.pointer))
        XCTAssertEqual(pool.available, 0)
        let name = "test_icmp_\(UInt32.random(in: 0...UInt32.max))"
        let ipv4 = try IPv4FIB(name: name, socket: 0, maxRoutes: 16, tbl8Groups: 16, defaultNextHop: 0)
        defer { ipv4.free() }
        let ipv6 = try IPv6FIB(name: name + "6", socket: 0, maxRoutes: 16, tbl8Groups: 16, defaultNextHop: 0)
        defer { ipv6.free() }
        let adjacencies = UnsafeMutablePointer<Adjacency>.allocate(capacity: 1)
        adjacencies.initialize(to: Adjacency(action: .noRoute))
        defer { adjacencies.deallocate() }
        var slot = PlaneSlot(ipv4: ipv4, ipv6: ipv6, adjacencies: adjacencies, adjacencyCount: 1)
        var responder = ICMPResponder(enabled: true, rate: 1000, burst: 10, pool: pool.pointer,
                                      ports: [PortIdentity(mac: Self.portMAC, ipv4: IPv4Address("198.18.0.1")!, ipv6: nil)], tscHz: 1_000_000)
        defer { responder.deallocate() }
        let outcome = responder.respond(to: packet, reason: .ipv4TTLExpired, port: 0, now: 1_000_000, slot: &slot)
        guard case .noMbuf = outcome else { return XCTFail("expected noMbuf, got \(outcome)") }
        Mbuf.free(other)
        let again = responder.respond(to: packet, reason: .ipv4TTLExpired, port: 0, now: 1_000_000, slot: &slot)
        guard case .send(let reply) = again else { return XCTFail("expected an error, got \(again)") }
        XCTAssertEqual(Mbuf.data(reply).load(fromByteOffset: 14 + 20, as: UInt8.self), 11, "time exceeded")
        Mbuf.free(reply)
        Mbuf.free(packet)
        XCTAssertEqual(pool.available, 2)
    }
}
