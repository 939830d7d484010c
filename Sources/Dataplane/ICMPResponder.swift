import DPDK
import Forwarding
import Packet

/// The router's addresses and MAC on one port, as an ICMP error needs them.
public struct PortIdentity: Sendable {
    public var mac: MACAddress
    /// The first IPv4 address configured on the port, if any: the source of IPv4 errors.
    public var ipv4: IPv4Address?
    /// The first IPv6 address configured on the port, if any: the source of IPv6 errors.
    public var ipv6: IPv6Address?
    public init(mac: MACAddress, ipv4: IPv4Address?, ipv6: IPv6Address?) { self.mac = mac; self.ipv4 = ipv4; self.ipv6 = ipv6 }
}

/// A worker's ICMP error sender: for a packet dropped as expired, unroutable or too big, builds
/// the error in a fresh mbuf, to go back out of the port the packet came in on.
///
/// Off the fast path: it runs only for dropped packets, and a token bucket (the worker's own, so
/// no shared state) bounds its work whatever the input. The order of checks is cheapest first:
/// is it a reason that gets an error, may this packet get one (RFC 1812 4.3.2.7 / RFC 4443
/// 2.4(e)), is there a token, is there an mbuf.
struct ICMPResponder {
    let enabled: Bool
    let pool: OpaquePointer
    let ports: UnsafeMutableBufferPointer<PortIdentity>
    var bucket: TokenBucket
    /// The IP ID of the next IPv4 error (ICMPError.buildIPv4): counts up from a random start,
    /// so two workers, or a restarted forwarder, rarely send the same IDs at the same time.
    var nextIdentification = UInt16.random(in: 0...UInt16.max)
    /// The single lookup that finds a too-big packet's egress MTU.
    let egress = EgressLookup()

    init(enabled: Bool, rate: Int, burst: Int, pool: OpaquePointer, ports: [PortIdentity], tscHz: UInt64) {
        self.enabled = enabled
        self.pool = pool
        self.ports = .allocate(capacity: ports.count)
        _ = self.ports.initialize(from: ports)
        bucket = TokenBucket(rate: UInt64(rate), burst: UInt64(burst), ticksPerSecond: tscHz)
    }

    func deallocate() {
        ports.deallocate()
        egress.deallocate()
    }

    /// The drop reasons that may get an error: a cheap test before `respond`.
    @inline(__always)
    static func answers(_ reason: DropReason) -> Bool {
        reason == .ipv4TTLExpired || reason == .ipv6HopLimitExpired || reason == .noRoute || reason == .mtuExceeded
    }

    enum Outcome {
        case none
        case rateLimited
        /// Due and allowed by the rate limit, but the pool had no mbuf to build it in.
        case noMbuf
        case send(MbufPointer)
    }

    /// The error to send about `packet`, dropped for `reason` after arriving on `port`.
    mutating func respond(to packet: MbufPointer, reason: DropReason, port: Int, now: UInt64, slot: UnsafePointer<PlaneSlot>) -> Outcome {
        guard enabled else { return .none }
        let frame = UnsafeRawPointer(Mbuf.data(packet))
        let frameLength = Int(Mbuf.dataLength(packet))
        guard frameLength > Ethernet.headerLength else { return .none }
        let isIPv4 = Ethernet.etherType(frame) == Ethernet.typeIPv4
        let header = frame + Ethernet.headerLength
        // Every reason below is given only after stage 2 validated the header and trimmed the
        // frame to the IP length.
        let ipLength = frameLength - Ethernet.headerLength
        // Never to a group or zero source MAC: a forged one would turn the error into a
        // broadcast on the segment.
        let sourceMAC = MACAddress(loadingFrom: frame + 6)
        if sourceMAC.isGroup || sourceMAC.isZero { return .none }
        var tooBig = false
        switch reason {
        case .ipv4TTLExpired, .ipv6HopLimitExpired, .noRoute: break
        case .mtuExceeded:
            // IPv4 without DF gets no error: the worker fragments it (IPv4Fragmenter); one that
            // reaches here could not be split (a forged offset) and is counted as mtu_exceeded only.
            if isIPv4 && UInt16(bigEndian: header.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x4000 == 0 { return .none }
            tooBig = true
        default: return .none
        }
        let identity = ports[port]
        if isIPv4 {
            guard identity.ipv4 != nil, ICMPError.mayReportIPv4(header, ipLength: ipLength) else { return .none }
        } else {
            guard identity.ipv6 != nil, ICMPError.mayReportIPv6(header, ipLength: ipLength) else { return .none }
        }
        // The token before any further work: under a flood, dropped errors cost no lookup.
        guard bucket.take(now: now) else { return .rateLimited }
        let kind: ICMPError.Kind
        if tooBig {
            kind = .tooBig(mtu: egressMTU(header, isIPv4: isIPv4, slot: slot))
        } else {
            kind = reason == .noRoute ? .noRoute : .timeExceeded
        }
        guard let reply = Mbuf.allocate(from: pool) else { return .noMbuf }
        let out = Mbuf.data(reply)
        let capacity = Mbuf.tailroom(reply)
        let length = isIPv4
            ? ICMPError.buildIPv4(kind, about: frame, ipLength: ipLength, source: identity.ipv4!, portMAC: identity.mac,
                                  identification: nextIdentification, into: out, capacity: capacity)
            : ICMPError.buildIPv6(kind, about: frame, ipLength: ipLength, source: identity.ipv6!, portMAC: identity.mac, into: out, capacity: capacity)
        guard length > 0 else { Mbuf.free(reply); return .none }
        if isIPv4 { nextIdentification &+= 1 }
        Mbuf.setLength(reply, UInt16(length))
        return .send(reply)
    }

    /// The MTU of the adjacency the packet's destination leads to, looked up again (the drop
    /// list keeps only the reason; this runs only for an error that got a token).
    func egressMTU(_ header: UnsafeRawPointer, isIPv4: Bool, slot: UnsafePointer<PlaneSlot>) -> UInt32 {
        UInt32(egress.adjacency(header, isIPv4: isIPv4, slot: slot).mtu)
    }
}
