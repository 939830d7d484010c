import CDPDK

/// The RSS hash field groups of the config's `rss_hash` as DPDK's RTE_ETH_RSS_* flags.
public enum RSSHash {
    /// Name and flags, in the order the config documents them.
    public static let groups: [(name: String, flags: UInt64)] = [
        ("ipv4", CDPDK_ETH_RSS_IPV4), ("ipv6", CDPDK_ETH_RSS_IPV6), ("tcp", CDPDK_ETH_RSS_TCP),
        ("udp", CDPDK_ETH_RSS_UDP), ("sctp", CDPDK_ETH_RSS_SCTP),
    ]

    /// The flags for field group names ("ipv4", "tcp", ...); unknown names add nothing.
    public static func flags(_ names: [String]) -> UInt64 {
        names.reduce(0) { total, name in total | (groups.first { $0.name == name }?.flags ?? 0) }
    }

    /// The groups any of whose flags are set: what a port hashes, in words.
    public static func names(_ flags: UInt64) -> [String] {
        groups.filter { $0.flags & flags != 0 }.map(\.name)
    }
}
