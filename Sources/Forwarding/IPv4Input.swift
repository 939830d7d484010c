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
