// `ports[].rss_hash`: which header fields the NIC hashes to spread packets over RX queues (RSS),
// and, in pipeline mode, to pick the worker of each flow without reading the packet.

/// One group of header fields; the data plane turns each into DPDK's RTE_ETH_RSS_* flags.
public enum RSSHashField: String, Sendable, CaseIterable {
    /// IPv4 source and destination addresses.
    case ipv4
    /// IPv6 source and destination addresses (with extension headers).
    case ipv6
    /// TCP ports as well, for both families.
    case tcp
    /// UDP ports as well, for both families.
    case udp
    /// SCTP ports as well, for both families.
    case sctp

    /// What swiftfwd asked for before the key existed: addresses and TCP/UDP ports.
    public static let defaults: [RSSHashField] = [.ipv4, .ipv6, .tcp, .udp]
}

extension ConfigValue {
    /// A non-empty list of distinct field names.
    func rssHashFields() throws -> [RSSHashField] {
        let names = RSSHashField.allCases.map(\.rawValue)
        let what = "a list of RSS hash fields from \(ConfigValue.andList(names)), such as [ipv4, ipv6, tcp, udp]"
        let list = try self.list(what: what)
        guard !list.isEmpty else { throw error("expected \(what), found an empty list") }
        var fields: [RSSHashField] = []
        for item in list {
            let field = RSSHashField(rawValue: try item.keyword(names))!
            if let first = fields.firstIndex(of: field) {
                throw item.error("\(field.rawValue) is already listed as \(path)[\(first)]; list each field once")
            }
            fields.append(field)
        }
        return fields
    }
}
