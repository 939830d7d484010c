import Packet

/// struct rtmsg + RTA_* attributes <-> KernelRoute.
enum RouteCodec {
    /// Reads an RTM_NEWROUTE/RTM_DELROUTE payload. Returns nil for routes the mirror has no use
    /// for and that are not errors: other families (MPLS, multicast routing), cloned cache
    /// entries, and source-specific routes (src_len > 0), which a destination-only FIB cannot
    /// express.
    static func decode(_ payload: ByteView) throws(Malformed) -> KernelRoute? {
        guard payload.count >= RouteAttribute.headerSize,
              let family = try? payload.u8(at: 0), let dstLength = try? payload.u8(at: 1),
              let srcLength = try? payload.u8(at: 2), let tos = try? payload.u8(at: 3),
              let table8 = try? payload.u8(at: 4), let proto = try? payload.u8(at: 5),
              let scope = try? payload.u8(at: 6), let type = try? payload.u8(at: 7),
              let flags = try? payload.u32(at: 8) else {
            throw Malformed(reason: "it has \(payload.count) bytes, too few for the 12-byte rtmsg header")
        }
        guard family == Family.inet || family == Family.inet6 else { return nil }
        if flags & RouteAttribute.flagCloned != 0 || srcLength != 0 { return nil }
        let maxLength: UInt8 = family == Family.inet ? 32 : 128
        guard dstLength <= maxLength else {
            throw Malformed(reason: "its prefix length \(dstLength) is longer than \(maxLength)")
        }

        var destination: IPAddress?
        var gateway: IPAddress?
        var outputInterface: Int32?
        var priority: UInt32 = 0
        var table = UInt32(table8)
        var multipath: [NextHop]?
        var preferredSource: IPAddress?
        var nexthopID: UInt32?

        var attributes = AttributeIterator(try payload.suffixOrThrow(from: RouteAttribute.headerSize))
        while let a = try attributes.next() {
            switch a.type {
            case RouteAttribute.destination: destination = try a.address(family: family, "RTA_DST")
            case RouteAttribute.gateway: gateway = try a.address(family: family, "RTA_GATEWAY")
            case RouteAttribute.via: gateway = try readVia(a.value)
            case RouteAttribute.outputInterface: outputInterface = try a.i32("RTA_OIF")
            case RouteAttribute.priority: priority = try a.u32("RTA_PRIORITY")
            case RouteAttribute.table: table = try a.u32("RTA_TABLE")
            case RouteAttribute.multipath: multipath = try readMultipath(a.value, family: family)
            case RouteAttribute.preferredSource: preferredSource = try a.address(family: family, "RTA_PREFSRC")
            case RouteAttribute.nexthopID: nexthopID = try a.u32("RTA_NH_ID")
            default: break
            }
        }

        let prefix: IPPrefix
        switch destination ?? (family == Family.inet ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0))) {
        case .v4(let a): prefix = .v4(IPv4Prefix(address: a, length: dstLength)!)
        case .v6(let a): prefix = .v6(IPv6Prefix(address: a, length: dstLength)!)
        }

        let nextHops: [NextHop]
        if let multipath {
            nextHops = multipath
        } else if gateway != nil || outputInterface != nil {
            nextHops = [NextHop(gateway: gateway, ifindex: outputInterface ?? 0)]
        } else {
            nextHops = []
        }
        return KernelRoute(prefix: prefix, table: table, type: RouteType(rawValue: type),
                           protocol: RouteProtocol(rawValue: proto), scope: scope, priority: priority,
                           tos: tos, nextHops: nextHops, preferredSource: preferredSource,
                           nexthopObjectID: nexthopID)
    }

    /// RTA_VIA: struct rtvia { u16 family; u8 addr[] } — a gateway of the other family
    /// (an IPv4 route via an IPv6 next hop, RFC 5549).
    private static func readVia(_ value: ByteView) throws(Malformed) -> IPAddress {
        guard let viaFamily = try? value.u16(at: 0), let address = try? value.suffix(from: 2) else {
            throw Malformed(reason: "RTA_VIA has \(value.count) bytes, too few for its family field")
        }
        guard viaFamily <= 255 else {
            throw Malformed(reason: "RTA_VIA is of address family \(viaFamily), neither IPv4 nor IPv6")
        }
        return try readAddress(address, family: UInt8(viaFamily), "RTA_VIA")
    }

    /// RTA_MULTIPATH: a list of struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex },
    /// each followed by its own attributes (RTA_GATEWAY, RTA_VIA) within `len`.
    private static func readMultipath(_ value: ByteView, family: UInt8) throws(Malformed) -> [NextHop] {
        var hops: [NextHop] = []
        var offset = 0
        while value.count - offset >= RouteAttribute.nexthopHeaderSize {
            guard let length16 = try? value.u16(at: offset), let flags = try? value.u8(at: offset + 2),
                  let hopsField = try? value.u8(at: offset + 3), let ifindex = try? value.i32(at: offset + 4) else {
                throw Malformed(reason: "RTA_MULTIPATH next hop \(hops.count + 1) is cut short")
            }
            let length = Int(length16)
            guard length >= RouteAttribute.nexthopHeaderSize, length <= value.count - offset,
                  let inner = try? value.slice(at: offset + RouteAttribute.nexthopHeaderSize,
                                               count: length - RouteAttribute.nexthopHeaderSize) else {
                throw Malformed(reason: "RTA_MULTIPATH next hop \(hops.count + 1) says \(length) bytes; \(value.count - offset) are left and at least 8 are needed")
            }
            var gateway: IPAddress?
            var attributes = AttributeIterator(inner)
            while let a = try attributes.next() {
                switch a.type {
                case RouteAttribute.gateway: gateway = try a.address(family: family, "RTA_GATEWAY in RTA_MULTIPATH")
                case RouteAttribute.via: gateway = try readVia(a.value)
                default: break
                }
            }
            hops.append(NextHop(gateway: gateway, ifindex: ifindex, weight: UInt16(hopsField) + 1, flags: flags))
            offset += NL.align(length)
        }
        // The kernel never sends an empty list; read as "no next hops" it would turn the route
        // into one that goes nowhere.
        if hops.isEmpty {
            throw Malformed(reason: "RTA_MULTIPATH has \(value.count) bytes, too few for one next hop")
        }
        return hops
    }

    /// Writes a route as the kernel would announce it (and as an RTM_NEWROUTE request would
    /// carry it). A single next hop goes into RTA_GATEWAY/RTA_OIF, several into RTA_MULTIPATH.
    static func encode(_ route: KernelRoute, type messageType: UInt16, flags: UInt16,
                       sequence: UInt32 = 0, portID: UInt32 = 0) -> [UInt8] {
        var b = MessageBuilder(type: messageType, flags: flags, sequence: sequence, portID: portID)
        let family = route.prefix.netlinkFamily
        b.appendU8(family)
        b.appendU8(route.prefix.length)
        b.appendU8(0)                                           // rtm_src_len
        b.appendU8(route.tos)
        b.appendU8(route.table < 256 ? UInt8(route.table) : 252)  // RT_TABLE_COMPAT above 255
        b.appendU8(route.protocol.rawValue)
        b.appendU8(route.scope)
        b.appendU8(route.type.rawValue)
        b.appendU32(0)                                          // rtm_flags
        b.attribute(RouteAttribute.table, u32: route.table)
        if route.prefix.length > 0 { b.attribute(RouteAttribute.destination, address: route.prefix.networkAddress) }
        b.attribute(RouteAttribute.priority, u32: route.priority)
        if let source = route.preferredSource { b.attribute(RouteAttribute.preferredSource, address: source) }
        if let id = route.nexthopObjectID { b.attribute(RouteAttribute.nexthopID, u32: id) }
        if route.nextHops.count == 1 {
            let hop = route.nextHops[0]
            if let gateway = hop.gateway { appendGateway(&b, gateway, routeFamily: family) }
            b.attribute(RouteAttribute.outputInterface, u32: UInt32(bitPattern: hop.ifindex))
        } else if route.nextHops.count > 1 {
            b.openNest(RouteAttribute.multipath)
            for hop in route.nextHops {
                b.openNextHop(flags: hop.flags, hops: UInt8(clamping: max(1, Int(hop.weight)) - 1), ifindex: hop.ifindex)
                if let gateway = hop.gateway { appendGateway(&b, gateway, routeFamily: family) }
                b.closeNextHop()
            }
            b.closeNest()
        }
        return b.finish()
    }

    /// A gateway of the route's own family is RTA_GATEWAY, of the other family RTA_VIA.
    private static func appendGateway(_ b: inout MessageBuilder, _ gateway: IPAddress, routeFamily: UInt8) {
        if gateway.netlinkFamily == routeFamily {
            b.attribute(RouteAttribute.gateway, address: gateway)
        } else {
            var value: [UInt8] = withUnsafeBytes(of: UInt16(gateway.netlinkFamily)) { Array($0) }
            value += gateway.networkBytes
            b.attribute(RouteAttribute.via, value)
        }
    }

    /// An RTM_GETROUTE dump request for one family.
    static func dumpRequest(family: UInt8, sequence: UInt32) -> [UInt8] {
        var b = MessageBuilder(type: MessageType.getRoute, flags: MessageFlags.request | MessageFlags.dump, sequence: sequence)
        b.appendU8(family)
        b.appendZeros(RouteAttribute.headerSize - 1)
        return b.finish()
    }
}

extension ByteView {
    /// `suffix(from:)` with the module's decode error.
    func suffixOrThrow(from offset: Int) throws(Malformed) -> ByteView {
        guard let s = try? suffix(from: offset) else {
            throw Malformed(reason: "it has \(count) bytes, fewer than its \(offset)-byte fixed header")
        }
        return s
    }
}
