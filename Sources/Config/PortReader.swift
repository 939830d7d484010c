// Reader for one entry of `ports`. Uniqueness of names and devices and the TX queue count
// against the workers are checked in ConfigValidation, once every port has been read.

/// DPDK ethdev limit per port in this build; also bounds the worker count, since every worker
/// needs its own TX queue on every port.
let maxQueuesPerPort = 64

extension PortConfig {
    static let keys = ["name", "device", "mac", "rx_queues", "tx_queues", "rx_descriptors", "tx_descriptors",
                       "mtu", "promiscuous", "addresses", "rss_hash", "kernel_interface"]

    /// `workerCount` is the default for `tx_queues`: one TX queue per worker, so workers never
    /// share a queue and need no lock to transmit.
    init(from value: ConfigValue, workerCount: Int) throws {
        let m = try value.mapping(keys: Self.keys, what: "a mapping describing a port")
        let nameValue = try m.required("name", expecting: "a port name of 1 to 15 characters from a-z, 0-9, '_' and '-'")
        let name = try nameValue.string(what: "a port name")
        // Names appear in console tables and in Linux-style interface listings, whose limit is 15 (IFNAMSIZ - 1).
        guard (1...15).contains(name.count), name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
            throw nameValue.error("expected a port name of 1 to 15 characters from a-z, 0-9, '_' and '-', found \(nameValue.found)")
        }
        let device = try m.required("device", expecting: "a DPDK device such as 0000:03:00.0 or net_af_packet0,iface=veth0")
            .string(what: "a DPDK device such as 0000:03:00.0 or net_af_packet0,iface=veth0")
        self.init(name: name, device: device, txQueues: workerCount)
        if let v = m.optional("mac") { mac = try v.unicastMAC(for: "port") }
        if let v = m.optional("rx_queues") { rxQueues = try v.int(1...maxQueuesPerPort) }
        if let v = m.optional("tx_queues") { txQueues = try v.int(1...maxQueuesPerPort) }
        if let v = m.optional("rx_descriptors") { rxDescriptors = try v.int(64...32768) }
        if let v = m.optional("tx_descriptors") { txDescriptors = try v.int(64...32768) }
        // 68 is the IPv4 minimum MTU (RFC 791); 9600 covers jumbo frames on common NICs.
        if let v = m.optional("mtu") { mtu = try v.int(68...9600) }
        if let v = m.optional("promiscuous") { promiscuous = try v.bool() }
        if let v = m.optional("rss_hash") { rssHash = try v.rssHashFields() }
        if let v = m.optional("kernel_interface") {
            // Linux interface names: at most 15 bytes (IFNAMSIZ - 1); these characters are the
            // ones every tool accepts unquoted.
            let what = "an interface name of 1 to 15 characters from A-Z, a-z, 0-9, '_', '.' and '-'"
            let twin = try v.string(what: what)
            guard (1...15).contains(twin.utf8.count), twin != ".", twin != "..",
                  twin.unicodeScalars.allSatisfy({ $0.isASCII && (("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }) else {
                throw v.error("expected \(what), found \(v.found)")
            }
            kernelInterface = twin
        }
        if let v = m.optional("addresses") {
            addresses = try v.list(what: "a list of addresses such as [198.18.0.1/24, 2001:db8::1/64]")
                .map { try $0.interfaceAddress() }
        }
    }
}
