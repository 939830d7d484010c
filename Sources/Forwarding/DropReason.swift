/// Why a packet was dropped. One case, one counter, one test (GUIDE rule 2).
/// Raw values index the per-worker drop counter array, so they are dense from zero.
public enum DropReason: UInt8, CaseIterable, Sendable {
    case ethTooShort = 0
    case ethNotForUs
    case ethMulticast
    case unsupportedEthertype
    case ipv4TooShort
    case ipv4BadVersion
    case ipv4BadIHL
    case ipv4TruncatedHeader
    case ipv4BadChecksum
    case ipv4BadTotalLength
    case ipv4MartianSource
    case ipv4MartianDestination
    case ipv4MulticastDestination
    case ipv4TTLExpired
    case ipv6TooShort
    case ipv6BadVersion
    case ipv6BadPayloadLength
    case ipv6MartianSource
    case ipv6MartianDestination
    case ipv6MulticastDestination
    case ipv6LinkLocal
    case ipv6HopLimitExpired
    case local
    case noRoute
    case noNeighbor
    case mtuExceeded
    case txQueueFull
    case ringFull
    case fragmentNoMbuf

    /// Computed, not a stored static: a stored one is initialised lazily through swift_once,
    /// a runtime call on every hot-path access.
    @inlinable public static var count: Int { Int(DropReason.fragmentNoMbuf.rawValue) + 1 }

    /// The stable name shown by the console and written to stats JSON.
    public var name: String {
        switch self {
        case .ethTooShort: return "eth_too_short"
        case .ethNotForUs: return "eth_not_for_us"
        case .ethMulticast: return "eth_multicast"
        case .unsupportedEthertype: return "unsupported_ethertype"
        case .ipv4TooShort: return "ipv4_too_short"
        case .ipv4BadVersion: return "ipv4_bad_version"
        case .ipv4BadIHL: return "ipv4_bad_ihl"
        case .ipv4TruncatedHeader: return "ipv4_truncated_header"
        case .ipv4BadChecksum: return "ipv4_bad_checksum"
        case .ipv4BadTotalLength: return "ipv4_bad_total_length"
        case .ipv4MartianSource: return "ipv4_martian_source"
        case .ipv4MartianDestination: return "ipv4_martian_destination"
        case .ipv4MulticastDestination: return "ipv4_multicast_destination"
        case .ipv4TTLExpired: return "ipv4_ttl_expired"
        case .ipv6TooShort: return "ipv6_too_short"
        case .ipv6BadVersion: return "ipv6_bad_version"
        case .ipv6BadPayloadLength: return "ipv6_bad_payload_length"
        case .ipv6MartianSource: return "ipv6_martian_source"
        case .ipv6MartianDestination: return "ipv6_martian_destination"
        case .ipv6MulticastDestination: return "ipv6_multicast_destination"
        case .ipv6LinkLocal: return "ipv6_link_local"
        case .ipv6HopLimitExpired: return "ipv6_hop_limit_expired"
        case .local: return "local"
        case .noRoute: return "no_route"
        case .noNeighbor: return "no_neighbor"
        case .mtuExceeded: return "mtu_exceeded"
        case .txQueueFull: return "tx_queue_full"
        case .ringFull: return "ring_full"
        case .fragmentNoMbuf: return "fragment_no_mbuf"
        }
    }

    /// One line for `show errors` and the docs.
    public var explanation: String {
        switch self {
        case .ethTooShort: return "frame shorter than an Ethernet header (14 bytes)"
        case .ethNotForUs: return "unicast destination MAC is not the port's"
        case .ethMulticast: return "broadcast or multicast destination MAC (never forwarded as IP unicast)"
        case .unsupportedEthertype: return "EtherType other than IPv4 or IPv6"
        case .ipv4TooShort: return "fewer than 20 bytes after the Ethernet header"
        case .ipv4BadVersion: return "IPv4 EtherType but version field is not 4"
        case .ipv4BadIHL: return "IHL below 5 (RFC 1812 5.2.2)"
        case .ipv4TruncatedHeader: return "frame shorter than IHL*4 bytes"
        case .ipv4BadChecksum: return "IPv4 header checksum wrong (NIC flag or software check)"
        case .ipv4BadTotalLength: return "total length below IHL*4 or beyond the frame"
        case .ipv4MartianSource: return "source in 0/8, 127/8, 224/4, 240/4 or limited broadcast (RFC 1812 5.3.7)"
        case .ipv4MartianDestination: return "destination in 0/8, 127/8, 240/4 or limited broadcast (RFC 1812 5.3.7)"
        case .ipv4MulticastDestination: return "destination in 224/4: no multicast routing"
        case .ipv4TTLExpired: return "TTL <= 1 on a packet in transit (RFC 1812 5.3.1)"
        case .ipv6TooShort: return "fewer than 40 bytes after the Ethernet header"
        case .ipv6BadVersion: return "IPv6 EtherType but version field is not 6"
        case .ipv6BadPayloadLength: return "payload length beyond the frame"
        case .ipv6MartianSource: return "source unspecified, loopback or multicast (RFC 4291 2.5.2, 2.5.3, 2.7)"
        case .ipv6MartianDestination: return "destination unspecified or loopback (RFC 4291 2.5.2, 2.5.3)"
        case .ipv6MulticastDestination: return "destination in ff00::/8: no multicast routing"
        case .ipv6LinkLocal: return "link-local source or destination, never forwarded (RFC 4291 2.5.6)"
        case .ipv6HopLimitExpired: return "hop limit <= 1 on a packet in transit (RFC 8200 3)"
        case .local: return "addressed to the router itself (kernel path not yet built)"
        case .noRoute: return "no route matches the destination"
        case .noNeighbor: return "route found but the next hop has no neighbor entry"
        case .mtuExceeded: return "packet larger than the egress port's MTU and not fragmented (IPv6; IPv4 with DF; IPv4 whose fragment offsets would overflow)"
        case .txQueueFull: return "egress TX queue full; packet freed"
        case .ringFull: return "pipeline mode: the ring to the flow's worker was full; packet freed by the receive core"
        case .fragmentNoMbuf: return "IPv4 packet to fragment (over the egress MTU, DF clear) but too few free mbufs for its fragments"
        }
    }
}
