// Numbers from the Linux UAPI headers (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h,
// linux/if_link.h, linux/if_addr.h). Glibc's Swift module does not import those headers, and
// these values are kernel ABI that never changes, so they are written out here once.

/// Netlink protocol and socket options.
enum NL {
    static let familyNetlink: Int32 = 16        // AF_NETLINK
    static let protocolRoute: Int32 = 0         // NETLINK_ROUTE
    static let solNetlink: Int32 = 270          // SOL_NETLINK
    static let optionNoENOBUFS: Int32 = 5       // NETLINK_NO_ENOBUFS
    static let optionCapAck: Int32 = 10         // NETLINK_CAP_ACK
    static let optionExtAck: Int32 = 11         // NETLINK_EXT_ACK

    static let headerSize = 16                  // struct nlmsghdr
    static let attributeHeaderSize = 4          // struct rtattr / nlattr
    static let socketAddressSize = 12           // struct sockaddr_nl

    /// NLMSG_ALIGN / RTA_ALIGN: every message and attribute starts on a 4-byte boundary.
    @inline(__always) static func align(_ n: Int) -> Int { (n + 3) & ~3 }
}

/// nlmsghdr.nlmsg_type values shared by every netlink family.
enum MessageType {
    static let noop: UInt16 = 1
    static let error: UInt16 = 2
    static let done: UInt16 = 3
    static let overrun: UInt16 = 4

    static let newLink: UInt16 = 16
    static let deleteLink: UInt16 = 17
    static let getLink: UInt16 = 18
    static let setLink: UInt16 = 19
    static let newAddress: UInt16 = 20
    static let deleteAddress: UInt16 = 21
    static let getAddress: UInt16 = 22
    static let newRoute: UInt16 = 24
    static let deleteRoute: UInt16 = 25
    static let getRoute: UInt16 = 26
    static let newNeighbor: UInt16 = 28
    static let deleteNeighbor: UInt16 = 29
    static let getNeighbor: UInt16 = 30

    /// A name for messages and errors ("RTM_NEWROUTE").
    static func name(_ type: UInt16) -> String {
        switch type {
        case noop: return "NLMSG_NOOP"
        case error: return "NLMSG_ERROR"
        case done: return "NLMSG_DONE"
        case overrun: return "NLMSG_OVERRUN"
        case newLink: return "RTM_NEWLINK"
        case deleteLink: return "RTM_DELLINK"
        case getLink: return "RTM_GETLINK"
        case setLink: return "RTM_SETLINK"
        case newAddress: return "RTM_NEWADDR"
        case deleteAddress: return "RTM_DELADDR"
        case getAddress: return "RTM_GETADDR"
        case newRoute: return "RTM_NEWROUTE"
        case deleteRoute: return "RTM_DELROUTE"
        case getRoute: return "RTM_GETROUTE"
        case newNeighbor: return "RTM_NEWNEIGH"
        case deleteNeighbor: return "RTM_DELNEIGH"
        case getNeighbor: return "RTM_GETNEIGH"
        default: return "message type \(type)"
        }
    }
}

/// nlmsghdr.nlmsg_flags.
enum MessageFlags {
    static let request: UInt16 = 0x01
    static let multi: UInt16 = 0x02
    static let ack: UInt16 = 0x04
    /// Set on dump parts when the table changed while it was being dumped.
    static let dumpInterrupted: UInt16 = 0x10
    static let dump: UInt16 = 0x300             // NLM_F_ROOT | NLM_F_MATCH
    // Modifiers of NEW requests (and echoed on notifications).
    static let replace: UInt16 = 0x100
    static let exclusive: UInt16 = 0x200
    static let create: UInt16 = 0x400
    static let append: UInt16 = 0x800
    // On NLMSG_ERROR: the request was not echoed back (NETLINK_CAP_ACK), TLVs follow.
    static let capped: UInt16 = 0x100
    static let ackTLVs: UInt16 = 0x200
}

/// Multicast groups of NETLINK_ROUTE, as the legacy bit mask bound in sockaddr_nl.nl_groups.
public struct MulticastGroups: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let link = MulticastGroups(rawValue: 0x1)             // RTMGRP_LINK
    public static let neighbor = MulticastGroups(rawValue: 0x4)         // RTMGRP_NEIGH
    public static let ipv4Address = MulticastGroups(rawValue: 0x10)     // RTMGRP_IPV4_IFADDR
    public static let ipv4Route = MulticastGroups(rawValue: 0x40)       // RTMGRP_IPV4_ROUTE
    public static let ipv6Address = MulticastGroups(rawValue: 0x100)    // RTMGRP_IPV6_IFADDR
    public static let ipv6Route = MulticastGroups(rawValue: 0x400)      // RTMGRP_IPV6_ROUTE

    /// Everything the kernel mirror listens to.
    public static let mirror: MulticastGroups = [.link, .neighbor, .ipv4Address, .ipv4Route, .ipv6Address, .ipv6Route]
}

/// Address families as carried in rtmsg/ndmsg/ifaddrmsg.
enum Family {
    static let unspecified: UInt8 = 0
    static let inet: UInt8 = 2
    static let inet6: UInt8 = 10
}

/// struct rtmsg (12 bytes) and the RTA_* attributes read or written here.
enum RouteAttribute {
    static let headerSize = 12
    static let destination: UInt16 = 1
    static let outputInterface: UInt16 = 4
    static let gateway: UInt16 = 5
    static let priority: UInt16 = 6
    static let preferredSource: UInt16 = 7
    static let multipath: UInt16 = 9
    static let table: UInt16 = 15
    static let via: UInt16 = 18
    static let nexthopID: UInt16 = 30

    /// rtm_flags: a cached (cloned) IPv6 route, not part of the routing table.
    static let flagCloned: UInt32 = 0x200
    /// struct rtnexthop (8 bytes) inside RTA_MULTIPATH.
    static let nexthopHeaderSize = 8
}

/// struct ndmsg (12 bytes) and NDA_* attributes.
enum NeighborAttribute {
    static let headerSize = 12
    static let destination: UInt16 = 1
    static let linkLayerAddress: UInt16 = 2
    /// ndm_flags: a proxy entry (answered for others), not a neighbor we can send to.
    static let flagProxy: UInt8 = 0x08
    static let flagRouter: UInt8 = 0x80
    /// NTF_USE: "use" the entry, as a packet to it would: the kernel starts resolving it.
    static let flagUse: UInt8 = 0x01
}

/// struct ifinfomsg (16 bytes) and IFLA_* attributes.
enum LinkAttribute {
    static let headerSize = 16
    static let address: UInt16 = 1
    static let name: UInt16 = 3
    static let mtu: UInt16 = 4
    static let flagUp: UInt32 = 0x1             // IFF_UP
    static let flagRunning: UInt32 = 0x40       // IFF_RUNNING
    static let flagLowerUp: UInt32 = 0x10000    // IFF_LOWER_UP
}

/// struct ifaddrmsg (8 bytes) and IFA_* attributes.
enum AddressAttribute {
    static let headerSize = 8
    static let address: UInt16 = 1
    static let local: UInt16 = 2
    static let broadcast: UInt16 = 4
    static let flags: UInt16 = 8
    static let flagNoDAD: UInt32 = 0x02         // IFA_F_NODAD
}
