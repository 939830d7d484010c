import Packet

/// ndm_state: the NUD_* bits of a neighbor entry (RFC 4861 section 7.3.2 states, plus Linux's
/// NOARP and PERMANENT).
public struct NeighborState: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighborState(rawValue: 0x01)
    public static let reachable = NeighborState(rawValue: 0x02)
    public static let stale = NeighborState(rawValue: 0x04)
    public static let delay = NeighborState(rawValue: 0x08)
    public static let probe = NeighborState(rawValue: 0x10)
    public static let failed = NeighborState(rawValue: 0x20)
    public static let noARP = NeighborState(rawValue: 0x40)
    public static let permanent = NeighborState(rawValue: 0x80)

    /// States in which the kernel holds a link-layer address it would send to. STALE, DELAY
    /// and PROBE still have a valid address (RFC 4861 7.3.3: packets are sent while
    /// reachability is re-checked). INCOMPLETE has none yet, FAILED has given up, NONE (0) is
    /// an entry being created or torn down.
    public static let usable: NeighborState = [.reachable, .stale, .delay, .probe, .permanent, .noARP]

    public var isUsable: Bool { !intersection(.usable).isEmpty }

    public var description: String {
        let names: [(NeighborState, String)] = [
            (.incomplete, "INCOMPLETE"), (.reachable, "REACHABLE"), (.stale, "STALE"), (.delay, "DELAY"),
            (.probe, "PROBE"), (.failed, "FAILED"), (.noARP, "NOARP"), (.permanent, "PERMANENT"),
        ]
        let set = names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "NONE" : set.joined(separator: "|")
    }
}

/// An entry of the kernel's ARP (IPv4) or neighbor discovery (IPv6) table.
public struct KernelNeighbor: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    /// NDA_LLADDR when it is a 6-byte Ethernet address; nil while unresolved.
    public var mac: MACAddress?
    public var ifindex: Int32
    public var state: NeighborState
    /// NTF_ROUTER: the neighbor said it is a router (IPv6).
    public var isRouter: Bool

    public init(address: IPAddress, mac: MACAddress?, ifindex: Int32, state: NeighborState, isRouter: Bool = false) {
        self.address = address
        self.mac = mac
        self.ifindex = ifindex
        self.state = state
        self.isRouter = isRouter
    }

    /// The fast path can send to this neighbor: a usable state and a unicast Ethernet address.
    /// The kernel also keeps NOARP entries for the multicast groups an interface joined
    /// (ff02::16 -> 33:33:00:00:00:16) and for broadcast; those are not next hops.
    public var isUsable: Bool {
        guard state.isUsable, let mac else { return false }
        return !mac.isGroup
    }

    public var description: String {
        "\(address) lladdr \(mac?.description ?? "none") ifindex \(ifindex) \(state)"
    }
}

/// struct ndmsg + NDA_* attributes <-> KernelNeighbor.
enum NeighborCodec {
    /// Reads an RTM_NEWNEIGH/RTM_DELNEIGH payload. Nil for entries that are not IP neighbors
    /// (bridge FDB entries, family AF_BRIDGE) and for proxy entries, which the kernel answers
    /// for but cannot send to.
    static func decode(_ payload: ByteView) throws(Malformed) -> KernelNeighbor? {
        guard payload.count >= NeighborAttribute.headerSize,
              let family = try? payload.u8(at: 0), let ifindex = try? payload.i32(at: 4),
              let state = try? payload.u16(at: 8), let flags = try? payload.u8(at: 10) else {
            throw Malformed(reason: "it has \(payload.count) bytes, too few for the 12-byte ndmsg header")
        }
        guard family == Family.inet || family == Family.inet6 else { return nil }
        if flags & NeighborAttribute.flagProxy != 0 { return nil }

        var address: IPAddress?
        var mac: MACAddress?
        var attributes = AttributeIterator(try payload.suffixOrThrow(from: NeighborAttribute.headerSize))
        while let a = try attributes.next() {
            switch a.type {
            case NeighborAttribute.destination:
                address = try a.address(family: family, "NDA_DST")
            case NeighborAttribute.linkLayerAddress:
                // Other sizes are other link types (0 on NOARP tunnels, 20 on InfiniBand): not
                // an Ethernet neighbor, so no MAC, but not an error either.
                if a.value.count == 6, let base = a.value.base.baseAddress {
                    mac = MACAddress(loadingFrom: base)
                }
            default: break
            }
        }
        guard let address else {
            throw Malformed(reason: "it has no NDA_DST, so it names no neighbor")
        }
        return KernelNeighbor(address: address, mac: mac, ifindex: ifindex, state: NeighborState(rawValue: state),
                              isRouter: flags & NeighborAttribute.flagRouter != 0)
    }

    static func encode(_ neighbor: KernelNeighbor, type: UInt16, flags: UInt16, sequence: UInt32 = 0, neighborFlags: UInt8 = 0) -> [UInt8] {
        var b = MessageBuilder(type: type, flags: flags, sequence: sequence)
        b.appendU8(neighbor.address.netlinkFamily)
        b.appendZeros(3)                                        // ndm_pad1, ndm_pad2
        b.appendI32(neighbor.ifindex)
        b.appendU16(neighbor.state.rawValue)
        b.appendU8((neighbor.isRouter ? NeighborAttribute.flagRouter : 0) | neighborFlags)
        b.appendU8(1)                                           // ndm_type: RTN_UNICAST
        b.attribute(NeighborAttribute.destination, address: neighbor.address)
        if let mac = neighbor.mac { b.attribute(NeighborAttribute.linkLayerAddress, mac.bytes) }
        return b.finish()
    }

    /// RTM_GETNEIGH dump of both families.
    static func dumpRequest(sequence: UInt32) -> [UInt8] {
        var b = MessageBuilder(type: MessageType.getNeighbor, flags: MessageFlags.request | MessageFlags.dump, sequence: sequence)
        b.appendZeros(NeighborAttribute.headerSize)
        return b.finish()
    }
}
