import Packet

/// Which of the packets the pipeline did not forward go to the kernel's twin interface, and in
/// which policer class. The pipeline names a drop reason for every packet it does not forward;
/// with the kernel control plane on, the worker asks this for each one. `nil` means the packet
/// stays dropped.
///
/// What goes to the kernel (issue 4): ARP; IPv6 neighbor discovery, router solicitations and
/// advertisements and everything to ff02::/16; everything addressed to the router (its
/// addresses, subnet broadcasts, link-local destinations); IPv4 limited broadcast and
/// 224.0.0.0/24; and packets whose next hop has no neighbor entry yet, so the kernel resolves it.
/// Nothing here changes the packet: punted packets keep their TTL and hop limit.
public enum PuntDecision {
    public static func punt(_ reason: DropReason, frame: UnsafeRawPointer, length: Int) -> PuntClass? {
        switch reason {
        case .local:
            return PuntClass.classify(frame, length: length, addressedToRouter: true)
        case .noNeighbor:
            return .other
        case .ethMulticast, .unsupportedEthertype, .ipv4MulticastDestination, .ipv4MartianDestination,
             .ipv6MulticastDestination, .ipv6LinkLocal:
            guard isForTheKernel(frame, length: length) else { return nil }
            return PuntClass.classify(frame, length: length, addressedToRouter: true)
        default:
            return nil
        }
    }

    /// ARP, or an IP packet to a link-scoped group or broadcast the router belongs to, or to a
    /// link-local address (the router's own, on that link). Other groups are not forwarded and
    /// not the kernel's business.
    static func isForTheKernel(_ frame: UnsafeRawPointer, length: Int) -> Bool {
        guard length >= Ethernet.headerLength else { return false }
        let ip = frame + Ethernet.headerLength
        switch Ethernet.etherType(frame) {
        case Ethernet.typeARP:
            return true
        case Ethernet.typeIPv4:
            guard length >= Ethernet.headerLength + IPv4Header.minimumLength else { return false }
            let destination = IPv4Header.destination(ip)
            return destination == 0xFFFF_FFFF || destination >> 8 == 0xE0_0000     // 224.0.0.0/24
        case Ethernet.typeIPv6:
            guard length >= Ethernet.headerLength + IPv6Header.length else { return false }
            let high = IPv6Header.destinationHigh(ip)
            return high >> 48 == 0xFF02 || high >> 54 == 0x3FA                        // ff02::/16, fe80::/10
        default:
            return false
        }
    }
}
