import Packet

/// The classes of traffic the fast path hands to the kernel, each policed by its own bucket, so
/// that a flood of one (pings at the router's address) cannot starve another (a BGP session or
/// ARP). Defaults start from SONiC's control-plane policing: BGP and traffic to the router at
/// 6000 packets/s, ARP and neighbor discovery 600, the rest 600.
public enum PuntClass: Int, CaseIterable, Sendable {
    /// ARP, and ICMPv6 router/neighbor solicitations, advertisements and redirects.
    case neighborDiscovery
    /// Routing and liveness protocols: BGP (TCP 179), OSPF (IP 89), BFD (UDP 3784, 3785, 4784),
    /// RIP (UDP 520) and RIPng (UDP 521), VRRP (IP 112), PIM (IP 103), IGMP (IP 2).
    case routingProtocol
    /// Anything else addressed to the router (SSH, ping, ...).
    case local
    /// The rest: link-local multicast and broadcast, and packets whose next hop the kernel must
    /// resolve first.
    case other

    /// The name used in config keys, counters and the console.
    public var name: String {
        switch self {
        case .neighborDiscovery: return "arp_nd"
        case .routingProtocol: return "routing"
        case .local: return "local"
        case .other: return "other"
        }
    }

    /// Default rate in packets per second.
    public var defaultRate: UInt64 {
        switch self {
        case .neighborDiscovery: return 600
        case .routingProtocol: return 6000
        case .local: return 6000
        case .other: return 600
        }
    }

    /// Default burst in packets: a tenth of a second at the rate, at least 32.
    public var defaultBurst: UInt64 { max(32, defaultRate / 10) }

    /// Which class a frame to be punted belongs to, given that it is not forwarded. `frame` holds
    /// `length` bytes; short or odd frames fall to `.other` or `.local`, never out of bounds.
    /// `addressedToRouter` is what the route lookup said (a local route).
    public static func classify(_ frame: UnsafeRawPointer, length: Int, addressedToRouter: Bool) -> PuntClass {
        guard length >= Ethernet.headerLength else { return .other }
        let fallback: PuntClass = addressedToRouter ? .local : .other
        let ip = frame + Ethernet.headerLength
        let available = length - Ethernet.headerLength
        switch Ethernet.etherType(frame) {
        case Ethernet.typeARP:
            return .neighborDiscovery
        case Ethernet.typeIPv4:
            guard available >= IPv4Header.minimumLength else { return fallback }
            let headerLength = Int(IPv4Header.versionAndIHL(ip) & 0x0F) * 4
            let proto = ip.load(fromByteOffset: IPv4Header.protocolOffset, as: UInt8.self)
            // Ports are only in the first fragment.
            let fragmentOffset = UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x1FFF
            return classifyTransport(proto, ip + headerLength,
                                     available: fragmentOffset == 0 && headerLength >= 20 ? available - headerLength : 0,
                                     fallback: fallback)
        case Ethernet.typeIPv6:
            guard available >= IPv6Header.length else { return fallback }
            let next = ip.load(fromByteOffset: IPv6Header.nextHeaderOffset, as: UInt8.self)
            let transport = ip + IPv6Header.length
            let left = available - IPv6Header.length
            if next == 58 {
                guard left >= 1 else { return fallback }
                // 133 RS, 134 RA, 135 NS, 136 NA, 137 redirect (RFC 4861), and only with hop
                // limit 255: the kernel discards anything else (RFC 4861 7.1.1), so an off-link
                // sender could otherwise use up the ND budget of the real neighbors.
                let type = transport.load(as: UInt8.self)
                let onLink = IPv6Header.hopLimit(ip) == 255
                return (133...137).contains(type) && onLink ? .neighborDiscovery : fallback
            }
            return classifyTransport(next, transport, available: left, fallback: fallback)
        default:
            return .other
        }
    }

    /// (A switch, not a set: this runs on workers, which never allocate.)
    static func isRoutingPort(_ port: UInt16, tcp: Bool) -> Bool {
        if tcp { return port == 179 }
        switch port {
        case 3784, 3785, 4784, 520, 521: return true
        default: return false
        }
    }

    static func classifyTransport(_ proto: UInt8, _ transport: UnsafeRawPointer, available: Int, fallback: PuntClass) -> PuntClass {
        switch proto {
        case 89, 112, 103, 2:
            return .routingProtocol
        case 6, 17:
            guard available >= 4 else { return fallback }
            let source = UInt16(bigEndian: transport.loadUnaligned(as: UInt16.self))
            let destination = UInt16(bigEndian: transport.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let isTCP = proto == 6
            return isRoutingPort(source, tcp: isTCP) || isRoutingPort(destination, tcp: isTCP) ? .routingProtocol : fallback
        default:
            return fallback
        }
    }
}
