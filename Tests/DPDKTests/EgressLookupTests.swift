import DPDK
@testable import Dataplane
import Forwarding
import Packet
import XCTest

/// The lookup that fragmentation and "too big" errors make for a dropped packet: through a
/// multipath route it must give the member the packet's flow took in stage 4 (its port, MAC
/// and MTU), not the group's head.
final class EgressLookupTests: XCTestCase {
    override func setUp() {
        super.setUp()
        XCTAssertTrue(TestEAL.ready, "EAL did not initialise")
    }

    /// Ethernet + IPv4 + UDP from 198.18.0.2:`sourcePort` to 198.18.4.9:53, 1000 bytes of IP.
    private func frame(sourcePort: UInt16) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 14 + 1000)
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress!
            p.storeBytes(of: Ethernet.typeIPv4.bigEndian, toByteOffset: 12, as: UInt16.self)
            let ip = p + 14
            ip.storeBytes(of: UInt8(0x45), as: UInt8.self)
            ip.storeBytes(of: UInt16(1000).bigEndian, toByteOffset: 2, as: UInt16.self)
            ip.storeBytes(of: UInt8(64), toByteOffset: 8, as: UInt8.self)
            ip.storeBytes(of: UInt8(17), toByteOffset: 9, as: UInt8.self)
            ip.storeBytes(of: UInt32(0xC612_0002).bigEndian, toByteOffset: 12, as: UInt32.self)
            ip.storeBytes(of: UInt32(0xC612_0409).bigEndian, toByteOffset: 16, as: UInt32.self)
            ip.storeBytes(of: sourcePort.bigEndian, toByteOffset: 20, as: UInt16.self)
            ip.storeBytes(of: UInt16(53).bigEndian, toByteOffset: 22, as: UInt16.self)
        }
        return bytes
    }

    func testMultipathRouteGivesTheFlowsMember() throws {
        let name = "eg\(UInt32.random(in: 0...UInt32.max))"
        let ipv4 = try IPv4FIB(name: name, socket: 0, maxRoutes: 16, tbl8Groups: 16, defaultNextHop: 0)
        defer { ipv4.free() }
        let ipv6 = try IPv6FIB(name: name + "6", socket: 0, maxRoutes: 16, tbl8Groups: 16, defaultNextHop: 0)
        defer { ipv6.free() }
        try ipv4.add(IPv4Prefix("198.18.4.0/24")!, nextHop: 1)
        // 0: no route; 1: the group's head; 2...65: its buckets, members A and B in turn.
        let count = 2 + Adjacency.multipathBuckets
        let adjacencies = UnsafeMutablePointer<Adjacency>.allocate(capacity: count)
        defer { adjacencies.deallocate() }
        let a = Adjacency(action: .forward, port: 1, mtu: 1500,
                          rewrite: Ethernet.AddressRewrite(destination: MACAddress("02:00:00:00:0a:0a")!, source: MACAddress("02:00:00:00:00:01")!))
        let b = Adjacency(action: .forward, port: 2, mtu: 576,
                          rewrite: Ethernet.AddressRewrite(destination: MACAddress("02:00:00:00:0b:0b")!, source: MACAddress("02:00:00:00:00:02")!))
        adjacencies.initialize(to: Adjacency(action: .noRoute))
        (adjacencies + 1).initialize(to: Adjacency(action: .multipath, port: 1, mtu: 576, buckets: 2))
        for k in 0..<Adjacency.multipathBuckets { (adjacencies + 2 + k).initialize(to: k % 2 == 0 ? a : b) }
        var slot = PlaneSlot(ipv4: ipv4, ipv6: ipv6, adjacencies: adjacencies, adjacencyCount: count)
        let lookup = EgressLookup()
        defer { lookup.deallocate() }

        var ports = Set<UInt16>()
        for sourcePort in UInt16(1000)..<1064 {
            let bytes = frame(sourcePort: sourcePort)
            let (found, again, chosen) = bytes.withUnsafeBytes { raw -> (Adjacency, Adjacency, Adjacency) in
                let header = raw.baseAddress! + 14
                let first = lookup.adjacency(header, isIPv4: true, slot: &slot)
                let second = lookup.adjacency(header, isIPv4: true, slot: &slot)
                let stage4 = IPForward.member(action: .multipath, buckets: 2, frame: raw.baseAddress!, ipLength: 1000,
                                              adjacencies: adjacencies, adjacencyCount: count)
                return (first, second, stage4)
            }
            XCTAssertEqual(found.action, .forward, "port \(sourcePort): a member, not the head")
            XCTAssertEqual(found, chosen, "port \(sourcePort): the member stage 4 chose")
            XCTAssertEqual(found, again, "port \(sourcePort): the same member every time")
            ports.insert(found.port)
        }
        XCTAssertEqual(ports, [1, 2], "64 flows use both members")
    }
}
