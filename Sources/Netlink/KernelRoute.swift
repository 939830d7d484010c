import Packet

/// rtm_type: what the kernel does with packets matching the route. An open set, since newer
/// kernels may add types; the named ones are those a forwarder has to tell apart.
public struct RouteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unicast = RouteType(rawValue: 1)
    public static let local = RouteType(rawValue: 2)
    public static let broadcast = RouteType(rawValue: 3)
    public static let anycast = RouteType(rawValue: 4)
    public static let multicast = RouteType(rawValue: 5)
    public static let blackhole = RouteType(rawValue: 6)
    public static let unreachable = RouteType(rawValue: 7)
    public static let prohibit = RouteType(rawValue: 8)
    public static let `throw` = RouteType(rawValue: 9)

    public var description: String {
        switch rawValue {
        case 1: return "unicast"
        case 2: return "local"
        case 3: return "broadcast"
        case 4: return "anycast"
        case 5: return "multicast"
        case 6: return "blackhole"
        case 7: return "unreachable"
        case 8: return "prohibit"
        case 9: return "throw"
        default: return "type \(rawValue)"
        }
    }
}

/// rtm_protocol: who installed the route (the kernel, `ip route`, a routing daemon).
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let kernel = RouteProtocol(rawValue: 2)
    public static let boot = RouteProtocol(rawValue: 3)
    public static let `static` = RouteProtocol(rawValue: 4)
    public static let ra = RouteProtocol(rawValue: 9)
    public static let zebra = RouteProtocol(rawValue: 11)
    public static let bird = RouteProtocol(rawValue: 12)
    public static let dhcp = RouteProtocol(rawValue: 16)
    public static let bgp = RouteProtocol(rawValue: 186)
    public static let isis = RouteProtocol(rawValue: 187)
    public static let ospf = RouteProtocol(rawValue: 188)

    public var description: String {
        switch rawValue {
        case 2: return "kernel"
        case 3: return "boot"
        case 4: return "static"
        case 9: return "ra"
        case 11: return "zebra"
        case 12: return "bird"
        case 16: return "dhcp"
        case 186: return "bgp"
        case 187: return "isis"
        case 188: return "ospf"
        default: return "proto \(rawValue)"
        }
    }
}

/// One way out for a route: a gateway (absent for a directly connected prefix) through an
/// interface. `weight` is the ECMP weight, 1...256 (rtnh_hops + 1).
public struct NextHop: Hashable, Sendable, CustomStringConvertible {
    public var gateway: IPAddress?
    public var ifindex: Int32
    public var weight: UInt16
    /// RTNH_F_* bits (dead, onlink, linkdown...).
    public var flags: UInt8

    public static let flagDead: UInt8 = 0x01
    public static let flagOnLink: UInt8 = 0x04
    public static let flagLinkDown: UInt8 = 0x10

    public init(gateway: IPAddress?, ifindex: Int32, weight: UInt16 = 1, flags: UInt8 = 0) {
        self.gateway = gateway
        self.ifindex = ifindex
        self.weight = weight
        self.flags = flags
    }

    /// The kernel no longer uses a dead next hop (its interface went down).
    public var isDead: Bool { flags & NextHop.flagDead != 0 }

    public var description: String {
        var s = gateway.map { "via \($0) " } ?? ""
        s += "ifindex \(ifindex)"
        if weight != 1 { s += " weight \(weight)" }
        if isDead { s += " dead" }
        if flags & NextHop.flagLinkDown != 0 { s += " linkdown" }
        return s
    }
}

/// A route from one of the kernel's routing tables.
public struct KernelRoute: Hashable, Sendable, CustomStringConvertible {
    public var prefix: IPPrefix
    /// RTA_TABLE when present (it carries ids above 255), else rtm_table.
    public var table: UInt32
    public var type: RouteType
    public var `protocol`: RouteProtocol
    public var scope: UInt8
    /// RTA_PRIORITY, the metric: lower wins. Absent means 0.
    public var priority: UInt32
    public var tos: UInt8
    /// Empty for blackhole/unreachable/prohibit routes; several for ECMP.
    public var nextHops: [NextHop]
    public var preferredSource: IPAddress?
    /// RTA_NH_ID when the route uses a kernel nexthop object (the kernel still expands the
    /// next hops into the message by default, net.ipv4.nexthop_compat_mode=1).
    public var nexthopObjectID: UInt32?

    public init(prefix: IPPrefix, table: UInt32 = RouteTable.main, type: RouteType = .unicast,
                protocol: RouteProtocol = .boot, scope: UInt8 = 0, priority: UInt32 = 0, tos: UInt8 = 0,
                nextHops: [NextHop], preferredSource: IPAddress? = nil, nexthopObjectID: UInt32? = nil) {
        self.prefix = prefix
        self.table = table
        self.type = type
        self.protocol = `protocol`
        self.scope = scope
        self.priority = priority
        self.tos = tos
        self.nextHops = nextHops
        self.preferredSource = preferredSource
        self.nexthopObjectID = nexthopObjectID
    }

    public var description: String {
        var s = type == .unicast ? "\(prefix)" : "\(type) \(prefix)"
        if nextHops.count == 1 {
            s += " \(nextHops[0])"
        } else if !nextHops.isEmpty {
            s += " nexthops [" + nextHops.map(\.description).joined(separator: ", ") + "]"
        }
        s += " table \(table) proto \(self.protocol) metric \(priority)"
        return s
    }
}

/// Well-known routing table ids.
public enum RouteTable {
    public static let main: UInt32 = 254
    public static let local: UInt32 = 255
}
