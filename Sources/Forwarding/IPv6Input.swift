import Packet

/// Stage 2b: IPv6 header validation (RFC 8200 section 3, address rules of RFC 4291 section 2.5).
public enum IPv6Input {
    public enum Verdict: Equatable {
        case valid(ipLength: Int)
        case drop(DropReason)
    }

    @inlinable @inline(__always)
    public static func validate(_ h: UnsafeRawPointer, available: Int) -> Verdict {
        guard available >= IPv6Header.length else { return .drop(.ipv6TooShort) }
        guard IPv6Header.version(h) == 6 else { return .drop(.ipv6BadVersion) }
        let ipLength = IPv6Header.length &+ IPv6Header.payloadLength(h)
        guard ipLength <= available else { return .drop(.ipv6BadPayloadLength) }

        let sourceHigh = IPv6Header.sourceHigh(h)
        let destinationHigh = IPv6Header.destinationHigh(h)
        // Unspecified (::) and loopback (::1) share an all-zero high half.
        if sourceHigh == 0 && IPv6Header.sourceLow(h) <= 1 { return .drop(.ipv6MartianSource) }
        if sourceHigh >> 56 == 0xFF { return .drop(.ipv6MartianSource) }
        if destinationHigh == 0 && IPv6Header.destinationLow(h) <= 1 { return .drop(.ipv6MartianDestination) }
        if destinationHigh >> 56 == 0xFF { return .drop(.ipv6MulticastDestination) }
        // fe80::/10 is link-scoped: a router must not forward it (RFC 4291 2.5.6).
        if sourceHigh >> 54 == 0x3FA || destinationHigh >> 54 == 0x3FA { return .drop(.ipv6LinkLocal) }
        return .valid(ipLength: ipLength)
    }
}
