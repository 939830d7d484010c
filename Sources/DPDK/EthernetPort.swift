import CDPDK
import Packet

/// Per-port settings the port needs at configure time.
public struct PortSettings: Sendable {
    public var rxQueues: Int
    public var txQueues: Int
    public var rxDescriptors: Int
    public var txDescriptors: Int
    public var mtu: Int
    public var promiscuous: Bool
    public var mac: MACAddress?
    /// RSS hash functions (RSSHash flags) to ask for; 0 leaves RSS off.
    public var rss: UInt64
    public init(rxQueues: Int, txQueues: Int, rxDescriptors: Int, txDescriptors: Int, mtu: Int, promiscuous: Bool, mac: MACAddress?,
                rss: UInt64 = 0) {
        self.rxQueues = rxQueues; self.txQueues = txQueues; self.rxDescriptors = rxDescriptors
        self.txDescriptors = txDescriptors; self.mtu = mtu; self.promiscuous = promiscuous; self.mac = mac
        self.rss = rss
    }
}

public struct LinkStatus: Sendable {
    public var up: Bool
    public var speedMbps: UInt32
    public var fullDuplex: Bool
    public var description: String {
        up ? "up \(speedMbps == 0 ? "unknown speed" : "\(speedMbps) Mbps") \(fullDuplex ? "full-duplex" : "half-duplex")" : "down"
    }
}

/// rte_eth_stats: the driver's own counters.
public struct HardwareStats: Sendable {
    public var ipackets: UInt64 = 0, opackets: UInt64 = 0, ibytes: UInt64 = 0, obytes: UInt64 = 0
    public var imissed: UInt64 = 0, ierrors: UInt64 = 0, oerrors: UInt64 = 0, rxNoMbuf: UInt64 = 0
    public init() {}
}

/// An ethdev port, by its DPDK port id.
public struct EthernetPort: Sendable {
    public let id: UInt16

    /// Finds the port EAL created for a device string: the name is the part before the first
    /// comma ("net_pcap0,rx_pcap=..." is port "net_pcap0"; a PCI device is named by its address).
    public init(device: String) throws {
        let name = String(device.split(separator: ",", maxSplits: 1).first ?? "")
        var id: UInt16 = 0
        let result = rte_eth_dev_get_port_by_name(name, &id)
        if result != 0 {
            throw DPDKError("no DPDK port for device \"\(name)\" (is the driver installed, the PCI device bound to vfio-pci, the interface present?)", code: result)
        }
        self.id = id
    }

    public var socket: Int32 {
        let s = rte_eth_dev_socket_id(id)
        return s < 0 ? 0 : s
    }

    public var driverName: String {
        var info = rte_eth_dev_info()
        guard rte_eth_dev_info_get(id, &info) == 0, let name = info.driver_name else { return "unknown" }
        return String(cString: name)
    }

    /// Configures queues on `pool`; RSS over the fields in `settings.rss` when it asks for any
    /// and the device can hash them. Asks the NIC to check IPv4 header checksums when it can, so
    /// the fast path only checks in software when the flags say "unknown".
    /// Returns notes worth logging (settings the device could not take).
    public func configure(_ settings: PortSettings, pool: MbufPool) throws -> [String] {
        var notes: [String] = []
        var info = rte_eth_dev_info()
        try check(rte_eth_dev_info_get(id, &info), "rte_eth_dev_info_get port \(id)")
        guard settings.rxQueues <= Int(info.max_rx_queues) && settings.txQueues <= Int(info.max_tx_queues) else {
            throw DPDKError("port \(id) (\(driverName)) supports at most \(info.max_rx_queues) RX and \(info.max_tx_queues) TX queues; configured \(settings.rxQueues) RX, \(settings.txQueues) TX", code: 22)
        }
        var conf = rte_eth_conf()
        if settings.rss != 0 {
            let hashes = settings.rss & info.flow_type_rss_offloads
            if hashes != 0 {
                conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS
                conf.rx_adv_conf.rss_conf.rss_hf = hashes
                // A group is reported missing only for flags other than the IPv6
                // extension-header variants, which many NICs lack while hashing IPv6 fine.
                let missing = settings.rss & ~info.flow_type_rss_offloads & ~CDPDK_ETH_RSS_IPV6_EXTENSIONS
                if missing != 0 {
                    notes.append("device cannot hash every rss_hash field (not fully: \(RSSHash.names(missing).joined(separator: " "))); hashing what it can of \(RSSHash.names(hashes).joined(separator: " "))")
                }
            } else if settings.rxQueues > 1 {
                notes.append("device cannot hash (no RSS): traffic lands on queue 0 unless the driver spreads it")
            }
        }
        if info.rx_offload_capa & CDPDK_RX_OFFLOAD_IPV4_CKSUM != 0 {
            conf.rxmode.offloads |= CDPDK_RX_OFFLOAD_IPV4_CKSUM
        }
        try check(rte_eth_dev_configure(id, UInt16(settings.rxQueues), UInt16(settings.txQueues), &conf), "rte_eth_dev_configure port \(id)")
        var rxd = UInt16(settings.rxDescriptors), txd = UInt16(settings.txDescriptors)
        try check(rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd), "rte_eth_dev_adjust_nb_rx_tx_desc port \(id)")
        for q in 0..<settings.rxQueues {
            try check(rte_eth_rx_queue_setup(id, UInt16(q), rxd, UInt32(socket), nil, pool.pointer), "rte_eth_rx_queue_setup port \(id) queue \(q)")
        }
        for q in 0..<settings.txQueues {
            try check(rte_eth_tx_queue_setup(id, UInt16(q), txd, UInt32(socket), nil), "rte_eth_tx_queue_setup port \(id) queue \(q)")
        }
        if let mac = settings.mac {
            var address = rte_ether_addr()
            withUnsafeMutableBytes(of: &address.addr_bytes) { mac.store(to: $0.baseAddress!) }
            let r = rte_eth_dev_default_mac_addr_set(id, &address)
            if r != 0 {
                // Some virtual devices (net_pcap) have a fixed MAC. The forwarder still uses the
                // configured one as the port's identity; promiscuous mode lets the frames in.
                notes.append("device cannot take MAC \(mac) (\(String(cString: rte_strerror(-r)))); using it in software with promiscuous mode")
                _ = rte_eth_promiscuous_enable(id)
            }
        }
        let mtuResult = rte_eth_dev_set_mtu(id, UInt16(settings.mtu))
        if mtuResult != 0 {
            notes.append("device did not take MTU \(settings.mtu) (\(String(cString: rte_strerror(-mtuResult)))); the forwarder still enforces it")
        }
        if settings.promiscuous {
            let r = rte_eth_promiscuous_enable(id)
            if r != 0 { notes.append("device refused promiscuous mode (\(String(cString: rte_strerror(-r))))") }
        }
        return notes
    }

    /// Sets the link administratively up or down (on net_tap: the kernel interface's IFF_UP).
    /// Returns 0 or a negative errno.
    public func setLink(up: Bool) -> Int32 { up ? rte_eth_dev_set_link_up(id) : rte_eth_dev_set_link_down(id) }

    public func start() throws { try check(rte_eth_dev_start(id), "rte_eth_dev_start port \(id)") }
    public func stop() { _ = rte_eth_dev_stop(id) }
    public func close() { _ = rte_eth_dev_close(id) }

    public var mac: MACAddress {
        var address = rte_ether_addr()
        _ = rte_eth_macaddr_get(id, &address)
        return withUnsafeBytes(of: &address.addr_bytes) { MACAddress(loadingFrom: $0.baseAddress!) }
    }

    /// The RSS hash functions the port uses now (RSSHash flags); 0 when RSS is off or the
    /// device cannot say.
    public var rssHashFunctions: UInt64 {
        var conf = rte_eth_rss_conf()
        guard rte_eth_dev_rss_hash_conf_get(id, &conf) == 0 else { return 0 }
        return conf.rss_hf
    }

    public var link: LinkStatus {
        var link = rte_eth_link()
        _ = rte_eth_link_get_nowait(id, &link)
        return LinkStatus(up: link.link_status != 0, speedMbps: link.link_speed, fullDuplex: link.link_duplex != 0)
    }

    public var stats: HardwareStats {
        var s = rte_eth_stats()
        var out = HardwareStats()
        guard rte_eth_stats_get(id, &s) == 0 else { return out }
        out.ipackets = s.ipackets; out.opackets = s.opackets; out.ibytes = s.ibytes; out.obytes = s.obytes
        out.imissed = s.imissed; out.ierrors = s.ierrors; out.oerrors = s.oerrors; out.rxNoMbuf = s.rx_nombuf
        return out
    }
}

extension EthernetPort {
    /// The driver's extended statistics (rte_eth_xstats), name and value, in the driver's order.
    public func extendedStats() throws -> [(name: String, value: UInt64)] {
        let count = try check(rte_eth_xstats_get_names(id, nil, 0), "rte_eth_xstats_get_names port \(id)")
        if count == 0 { return [] }
        var names = [rte_eth_xstat_name](repeating: rte_eth_xstat_name(), count: Int(count))
        var values = [rte_eth_xstat](repeating: rte_eth_xstat(), count: Int(count))
        let gotNames = try check(rte_eth_xstats_get_names(id, &names, UInt32(count)), "rte_eth_xstats_get_names port \(id)")
        let gotValues = try check(rte_eth_xstats_get(id, &values, UInt32(count)), "rte_eth_xstats_get port \(id)")
        let n = Int(min(gotNames, gotValues, count))
        return (0..<n).map { i in
            let name = withUnsafeBytes(of: names[Int(values[i].id) < n ? Int(values[i].id) : i].name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            return (name, values[i].value)
        }
    }
}

/// DPDK's heap (rte_malloc) across sockets, for `show memory`.
public enum DPDKHeap {
    public static func usage() -> (total: Int, used: Int) {
        var total = 0, used = 0
        for socket in 0..<Int32(rte_socket_count()) {
            var stats = rte_malloc_socket_stats()
            if rte_malloc_get_socket_stats(Int32(rte_socket_id_by_idx(UInt32(socket))), &stats) == 0 {
                total += stats.heap_totalsz_bytes
                used += stats.heap_allocsz_bytes
            }
        }
        return (total, used)
    }
}
