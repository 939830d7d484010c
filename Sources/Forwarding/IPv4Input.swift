import Packet

/// Stage 2a: IPv4 header validation, RFC 1812 section 5.2.2, in an order where every read is
/// covered by a length already checked.
public enum IPv4Input {
    public enum Verdict: Equatable {
        /// Valid; `ipLength` is the total length, shorter than the frame when it carried padding.
        case valid(ipLength: Int)
        case drop(DropReason)
    }

    /// What the NIC said about the header checksum (mbuf RX flags, reduced to the three cases
    /// that change what we do).
    public enum ChecksumStatus: UInt8 {
        case unknown = 0   // no information, or NONE: check in software
        case good
        case bad
    }

    @inlinable @inline(__always)
    public static func validate(_ h: UnsafeRawPointer, available: Int, checksum: ChecksumStatus) -> Verdict {
        // Fast path for the usual packet (no options, valid, unicast addresses): the same
        // checks as below, but as one chain without choosing a reason at each step. Anything
        // it does not accept goes through the ordered checks, which name the reason.
        if available >= IPv4Header.minimumLength && IPv4Header.versionAndIHL(h) == 0x45 {
            let totalLength = IPv4Header.totalLength(h)
            let sourceOctet = IPv4Header.source(h) >> 24
            let destinationOctet = IPv4Header.destination(h) >> 24
            let checksumOK = checksum == .good || (checksum == .unknown && InternetChecksum.isValid(h, count: 20))
            if checksumOK && totalLength >= IPv4Header.minimumLength && totalLength <= available
                && isUnicastFirstOctet(sourceOctet) && isUnicastFirstOctet(destinationOctet) {
                return .valid(ipLength: totalLength)
            }
        }
        return validateInOrder(h, available: available, checksum: checksum)
    }

    /// 1-126 and 128-223: neither "this network" (0/8), loopback (127/8), multicast (224/4)
    /// nor reserved (240/4, which holds limited broadcast).
    @inlinable @inline(__always)
    static func isUnicastFirstOctet(_ octet: UInt32) -> Bool {
        octet &- 1 < 126 || octet &- 128 < 96
    }

    /// RFC 1812 5.2.2 in order, each check naming its reason.
    @inlinable
    static func validateInOrder(_ h: UnsafeRawPointer, available: Int, checksum: ChecksumStatus) -> Verdict {
        guard available >= IPv4Header.minimumLength else { return .drop(.ipv4TooShort) }
        let versionAndIHL = IPv4Header.versionAndIHL(h)
        guard versionAndIHL >> 4 == 4 else { return .drop(.ipv4BadVersion) }
        let headerLength = Int(versionAndIHL & 0x0F) &* 4
        guard headerLength >= IPv4Header.minimumLength else { return .drop(.ipv4BadIHL) }
        guard headerLength <= available else { return .drop(.ipv4TruncatedHeader) }
        switch checksum {
        case .good: break
        case .bad: return .drop(.ipv4BadChecksum)
        case .unknown:
            guard InternetChecksum.isValid(h, count: headerLength) else { return .drop(.ipv4BadChecksum) }
        }
        let totalLength = IPv4Header.totalLength(h)
        guard totalLength >= headerLength && totalLength <= available else { return .drop(.ipv4BadTotalLength) }

        // RFC 1812 5.3.7: martian addresses are never forwarded. The first octet decides all
        // of them except limited broadcast, which lies inside 240/4 anyway.
        let sourceOctet = IPv4Header.source(h) >> 24
        if sourceOctet == 0 || sourceOctet == 127 || sourceOctet >= 224 { return .drop(.ipv4MartianSource) }
        let destinationOctet = IPv4Header.destination(h) >> 24
        if destinationOctet == 0 || destinationOctet == 127 || destinationOctet >= 240 {
            return .drop(.ipv4MartianDestination)
        }
        if destinationOctet >= 224 { return .drop(.ipv4MulticastDestination) }
        return .valid(ipLength: totalLength)
    }
}
