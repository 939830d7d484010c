import Packet

/// An address assigned to an interface, with its subnet length.
public struct KernelAddress: Hashable, Sendable, CustomStringConvertible {
    public var ifindex: Int32
    public var address: IPAddress
    public var prefixLength: UInt8
    /// IFA_FLAGS when present (32 bits), else ifa_flags: IFA_F_TENTATIVE, IFA_F_NODAD, ...
    public var flags: UInt32

    public init(ifindex: Int32, address: IPAddress, prefixLength: UInt8, flags: UInt32 = 0) {
        self.ifindex = ifindex
        self.address = address
        self.prefixLength = prefixLength
        self.flags = flags
    }

    /// The Packet module's form ("198.18.0.1/24").
    public var interfaceAddress: InterfaceAddress? { InterfaceAddress("\(address)/\(prefixLength)") }

    public var description: String { "\(address)/\(prefixLength) ifindex \(ifindex)" }
}

/// struct ifaddrmsg + IFA_* attributes <-> KernelAddress, and the add/delete requests.
enum AddressCodec {
    static func decode(_ payload: ByteView) throws(Malformed) -> KernelAddress? {
        guard payload.count >= AddressAttribute.headerSize,
              let family = try? payload.u8(at: 0), let prefixLength = try? payload.u8(at: 1),
              let flags8 = try? payload.u8(at: 2), let ifindex = try? payload.u32(at: 4) else {
            throw Malformed(reason: "it has \(payload.count) bytes, too few for the 8-byte ifaddrmsg header")
        }
        guard family == Family.inet || family == Family.inet6 else { return nil }
        let maxLength: UInt8 = family == Family.inet ? 32 : 128
        guard prefixLength <= maxLength else {
            throw Malformed(reason: "its prefix length \(prefixLength) is longer than \(maxLength)")
        }
        var address: IPAddress?
        var local: IPAddress?
        var flags = UInt32(flags8)
        var attributes = AttributeIterator(try payload.suffixOrThrow(from: AddressAttribute.headerSize))
        while let a = try attributes.next() {
            switch a.type {
            case AddressAttribute.address: address = try a.address(family: family, "IFA_ADDRESS")
            case AddressAttribute.local: local = try a.address(family: family, "IFA_LOCAL")
            case AddressAttribute.flags: flags = try a.u32("IFA_FLAGS")
            default: break
            }
        }
        // IPv4 puts the interface's own address in IFA_LOCAL and the peer (the same address
        // unless point-to-point) in IFA_ADDRESS; IPv6 sends IFA_ADDRESS alone.
        guard let own = local ?? address else {
            throw Malformed(reason: "it has neither IFA_LOCAL nor IFA_ADDRESS")
        }
        return KernelAddress(ifindex: Int32(bitPattern: ifindex), address: own, prefixLength: prefixLength, flags: flags)
    }

    /// RTM_NEWADDR/RTM_DELADDR for `address`, also the shape of the kernel's notifications.
    /// IPv4 gets IFA_LOCAL and IFA_ADDRESS both (as `ip addr add` sends) and the subnet
    /// broadcast for prefixes up to /30 (`brd +`), so broadcasts to the subnet reach the kernel.
    static func encode(_ address: KernelAddress, type: UInt16, flags: UInt16, sequence: UInt32 = 0) -> [UInt8] {
        var b = MessageBuilder(type: type, flags: flags, sequence: sequence)
        b.appendU8(address.address.netlinkFamily)
        b.appendU8(address.prefixLength)
        b.appendU8(UInt8(truncatingIfNeeded: address.flags))
        b.appendU8(0)                                           // ifa_scope: universe
        b.appendU32(UInt32(bitPattern: address.ifindex))
        b.attribute(AddressAttribute.address, address: address.address)
        if case .v4(let a) = address.address {
            b.attribute(AddressAttribute.local, address: address.address)
            if address.prefixLength <= 30 {
                let broadcast = IPv4Address(a.value | ~IPv4Prefix.mask(address.prefixLength))
                b.attribute(AddressAttribute.broadcast, address: .v4(broadcast))
            }
        }
        if address.flags > 0xFF { b.attribute(AddressAttribute.flags, u32: address.flags) }
        return b.finish()
    }

    static func dumpRequest(sequence: UInt32) -> [UInt8] {
        var b = MessageBuilder(type: MessageType.getAddress, flags: MessageFlags.request | MessageFlags.dump, sequence: sequence)
        b.appendZeros(AddressAttribute.headerSize)
        return b.finish()
    }
}
