import Packet

/// A network interface as the kernel describes it.
public struct KernelLink: Hashable, Sendable, CustomStringConvertible {
    public var ifindex: Int32
    public var name: String
    /// IFLA_ADDRESS when it is a 6-byte Ethernet address.
    public var mac: MACAddress?
    public var mtu: UInt32
    /// ifi_flags (IFF_*).
    public var flags: UInt32

    public init(ifindex: Int32, name: String, mac: MACAddress?, mtu: UInt32, flags: UInt32) {
        self.ifindex = ifindex
        self.name = name
        self.mac = mac
        self.mtu = mtu
        self.flags = flags
    }

    /// Administratively up (IFF_UP).
    public var isUp: Bool { flags & LinkAttribute.flagUp != 0 }
    /// Carrier present (IFF_LOWER_UP).
    public var hasCarrier: Bool { flags & LinkAttribute.flagLowerUp != 0 }

    public var description: String {
        "\(ifindex): \(name) mac \(mac?.description ?? "none") mtu \(mtu) \(isUp ? "up" : "down")\(hasCarrier ? "" : " no-carrier")"
    }
}

/// struct ifinfomsg + IFLA_* attributes <-> KernelLink, and the link-change request.
enum LinkCodec {
    static func decode(_ payload: ByteView) throws(Malformed) -> KernelLink {
        guard payload.count >= LinkAttribute.headerSize,
              let ifindex = try? payload.i32(at: 4), let flags = try? payload.u32(at: 8) else {
            throw Malformed(reason: "it has \(payload.count) bytes, too few for the 16-byte ifinfomsg header")
        }
        var name: String?
        var mac: MACAddress?
        var mtu: UInt32 = 0
        var attributes = AttributeIterator(try payload.suffixOrThrow(from: LinkAttribute.headerSize))
        while let a = try attributes.next() {
            switch a.type {
            case LinkAttribute.name: name = a.string()
            case LinkAttribute.mtu: mtu = try a.u32("IFLA_MTU")
            case LinkAttribute.address:
                if a.value.count == 6, let base = a.value.base.baseAddress { mac = MACAddress(loadingFrom: base) }
            default: break
            }
        }
        // RTM_DELLINK carries the name too; a link message without one is not from this kernel.
        guard let name else { throw Malformed(reason: "it has no IFLA_IFNAME") }
        return KernelLink(ifindex: ifindex, name: name, mac: mac, mtu: mtu, flags: flags)
    }

    static func encode(_ link: KernelLink, type: UInt16, flags: UInt16, sequence: UInt32 = 0) -> [UInt8] {
        var b = MessageBuilder(type: type, flags: flags, sequence: sequence)
        b.appendU8(Family.unspecified)
        b.appendU8(0)
        b.appendU16(1)                                          // ifi_type: ARPHRD_ETHER
        b.appendI32(link.ifindex)
        b.appendU32(link.flags)
        b.appendU32(0)                                          // ifi_change
        b.attribute(LinkAttribute.name, string: link.name)
        b.attribute(LinkAttribute.mtu, u32: link.mtu)
        if let mac = link.mac { b.attribute(LinkAttribute.address, mac.bytes) }
        return b.finish()
    }

    /// RTM_NEWLINK on an existing interface (no NLM_F_CREATE): only the bits named in
    /// ifi_change are changed, so "up" leaves every other flag alone.
    static func setRequest(ifindex: Int32, up: Bool?, mtu: UInt32?, sequence: UInt32) -> [UInt8] {
        var b = MessageBuilder(type: MessageType.newLink, flags: MessageFlags.request | MessageFlags.ack, sequence: sequence)
        b.appendU8(Family.unspecified)
        b.appendU8(0)
        b.appendU16(0)
        b.appendI32(ifindex)
        b.appendU32(up == true ? LinkAttribute.flagUp : 0)      // ifi_flags
        b.appendU32(up == nil ? 0 : LinkAttribute.flagUp)       // ifi_change
        if let mtu { b.attribute(LinkAttribute.mtu, u32: mtu) }
        return b.finish()
    }

    static func dumpRequest(sequence: UInt32) -> [UInt8] {
        var b = MessageBuilder(type: MessageType.getLink, flags: MessageFlags.request | MessageFlags.dump, sequence: sequence)
        b.appendZeros(LinkAttribute.headerSize)
        return b.finish()
    }
}
