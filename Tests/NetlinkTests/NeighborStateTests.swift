import XCTest
import Packet
@testable import Netlink

/// Which NUD states give the fast path a usable neighbor.
final class NeighborStateTests: XCTestCase {
    func testUsableStates() {
        for state: NeighborState in [.reachable, .stale, .delay, .probe, .permanent, .noARP] {
            XCTAssertTrue(state.isUsable, "\(state)")
        }
        // A neighbor is never both, but the kernel ORs bits in masks: any usable bit counts.
        XCTAssertTrue(NeighborState([.reachable, .noARP]).isUsable)
    }

    func testGoneStates() {
        for state: NeighborState in [.incomplete, .failed, NeighborState(rawValue: 0)] {
            XCTAssertFalse(state.isUsable, "\(state)")
        }
    }

    func testNames() {
        XCTAssertEqual(NeighborState.reachable.description, "REACHABLE")
        XCTAssertEqual(NeighborState(rawValue: 0).description, "NONE")
        XCTAssertEqual(NeighborState([.stale, .permanent]).description, "STALE|PERMANENT")
    }

    /// A usable state without an Ethernet address (a NOARP device) cannot be sent to.
    func testUsableNeedsAnEthernetAddress() {
        XCTAssertFalse(KernelNeighbor(address: v4("198.18.5.2"), mac: nil, ifindex: 3, state: .noARP).isUsable)
        XCTAssertTrue(KernelNeighbor(address: v4("198.18.5.2"), mac: mac("02:00:00:00:00:02"), ifindex: 3, state: .stale).isUsable)
    }

    /// The NOARP entries the kernel keeps for joined multicast groups are not next hops.
    func testMulticastEntriesAreNotUsable() {
        XCTAssertFalse(KernelNeighbor(address: v6("ff02::16"), mac: mac("33:33:00:00:00:16"), ifindex: 3, state: .noARP).isUsable)
        XCTAssertFalse(KernelNeighbor(address: v4("198.18.5.255"), mac: mac("ff:ff:ff:ff:ff:ff"), ifindex: 3, state: .noARP).isUsable)
    }

    /// An NDA_LLADDR that is not 6 bytes (InfiniBand's 20) gives no MAC rather than an error.
    func testNonEthernetLinkLayerAddress() throws {
        var bytes = hexBytes("""
            00000000 1c00 0000 00000000 00000000
            02 00 0000 03000000 0200 00 01
            0800 0100 c6120502
            1800 0200
            """)
        bytes += [UInt8](repeating: 0xAB, count: 20)
        withUnsafeBytes(of: UInt32(bytes.count)) { for i in 0..<4 { bytes[i] = $0[i] } }
        let neighbor = try XCTUnwrap(decodeOne(bytes)?.object.neighbor)
        XCTAssertNil(neighbor.mac)
        XCTAssertFalse(neighbor.isUsable)
    }
}
