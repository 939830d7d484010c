import CDPDK
import Packet

/// The IPv4 forwarding table: DPDK rte_fib, DIR-24-8 with 4-byte next hops.
///
/// 4-byte next hops because with 2-byte ones rte_fib_create refuses num_tbl8 or default_nh
/// above 32767 (EINVAL), too few for a full table. The first level is 2^24 entries (64 MiB).
/// A plain value holding the handle: copying it into a worker costs no reference counting.
public struct IPv4FIB: @unchecked Sendable {
    public let pointer: OpaquePointer
    /// Which lookup rte_fib ended up using, for the startup log.
    public let lookupKind: String
    /// The table read in place for single lookups; `isAvailable` false when the shim did not
    /// recognise rte_fib's private layout (cdpdk_fib.h), and then only bulk lookups are used.
    public let direct: DirectIPv4Table

    public init(name: String, socket: Int32, maxRoutes: Int, tbl8Groups: Int, defaultNextHop: UInt64) throws {
        var conf = rte_fib_conf()
        conf.type = RTE_FIB_DIR24_8
        conf.default_nh = defaultNextHop
        conf.max_routes = Int32(maxRoutes)
        conf.rib_ext_sz = 0
        conf.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B
        conf.dir24_8.num_tbl8 = UInt32(tbl8Groups)
        guard let fib = rte_fib_create(name, socket, &conf) else {
            throw DPDKError.fromErrno("rte_fib_create (IPv4, \(maxRoutes) routes, \(tbl8Groups) tbl8 groups)")
        }
        pointer = fib
        var view = cdpdk_dir24_8_view()
        direct = cdpdk_fib_dir24_8_view(fib, UInt32(tbl8Groups), defaultNextHop, &view) == 0
            ? DirectIPv4Table(tbl24: view.tbl24, tbl8: view.tbl8) : DirectIPv4Table(tbl24: nil, tbl8: nil)
        // The AVX-512 bulk lookup exists only when EAL allows 512-bit SIMD and the CPU has it.
        let bulk: String
        if rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512) == 0 {
            bulk = "avx512"
        } else {
            _ = rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_SCALAR_MACRO)
            bulk = "scalar"
        }
        lookupKind = direct.isAvailable ? "dir24_8 inline, bulk \(bulk)" : "dir24_8 \(bulk)"
    }

    /// Adds or replaces a prefix.
    ///
    /// rte_fib reserves one tbl8 group for each /24 that holds a prefix longer than /24, and
    /// gives it back when the last such prefix of the /24 is deleted. But an addition whose
    /// next hop equals its covering prefix's returns before reserving (DPDK 22.11 to 24.11
    /// dir24_8_modify), so the deletion then gives back a group never reserved: the count wraps
    /// below zero and every later long prefix is refused (Tests/DPDKTests/FIBChurnTests.swift).
    /// A route via the same gateway as the route over it is the common case, so the missing
    /// reservation is taken here; a DPDK that reserves itself makes this a no-op.
    public func add(_ prefix: IPv4Prefix, nextHop: UInt64) throws {
        let address = prefix.address.value
        var owed: UInt32 = 0
        if prefix.length > 24, let rib = rte_fib_get_rib(pointer), rte_rib_lookup_exact(rib, address, prefix.length) == nil,
           rte_rib_get_nxt(rib, address, 24, nil, Int32(RTE_RIB_GET_NXT_COVER)) == nil {
            owed = 1
        }
        let counters = cdpdk_fib_tbl8_counters(pointer)!
        let before = counters[1]
        try check(rte_fib_add(pointer, address, prefix.length, nextHop), "rte_fib_add \(prefix)")
        let taken = counters[1] &- before
        if taken < owed { counters[1] += owed - taken }
    }

    public func delete(_ prefix: IPv4Prefix) throws {
        try check(rte_fib_delete(pointer, prefix.address.value, prefix.length), "rte_fib_delete \(prefix)")
    }

    /// tbl8 groups reserved for the prefixes held, and the table's total.
    public var tbl8Groups: (reserved: Int, total: Int) {
        let counters = cdpdk_fib_tbl8_counters(pointer)!
        return (Int(counters[1]), Int(counters[0]))
    }

    /// Addresses in host byte order.
    @inlinable @inline(__always)
    public func lookup(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        Self.lookup(pointer, addresses, nextHops, count: count)
    }

    /// The same through the bare handle: the worker's lookup holds handles, not IPv4FIB values,
    /// whose `lookupKind` string would be retained and released with every copy.
    @inlinable @inline(__always)
    public static func lookup(_ fib: OpaquePointer, _ addresses: UnsafeMutablePointer<UInt32>,
                              _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        _ = rte_fib_lookup_bulk(fib, addresses, nextHops, Int32(count))
    }

    public func free() { rte_fib_free(pointer) }
}

/// rte_fib's DIR-24-8 table with 4-byte next hops, read in place: the lookup of one address,
/// inlined into the worker's fast pass (cdpdk_fib.h says why, and how the layout is checked).
/// It reads what rte_fib_lookup_bulk reads, so the table copies and RCU work as for bulk.
public struct DirectIPv4Table: @unchecked Sendable {
    @usableFromInline let tbl24: UnsafePointer<UInt32>?
    @usableFromInline let tbl8: UnsafePointer<UInt32>?

    init(tbl24: UnsafePointer<UInt32>?, tbl8: UnsafePointer<UInt32>?) {
        self.tbl24 = tbl24
        self.tbl8 = tbl8
    }

    @inlinable public var isAvailable: Bool { tbl24 != nil && tbl8 != nil }

    /// Starts loading the tbl24 entry of `address` into the cache, without waiting for it.
    /// Only when `isAvailable`.
    @inlinable @inline(__always)
    public func prefetch(_ address: UInt32) {
        cdpdk_prefetch0(tbl24.unsafelyUnwrapped + Int(address >> 8))
    }

    /// The next hop of `address` (host byte order). Only when `isAvailable`. An entry is the
    /// next hop shifted left by one, its low bit set when it names a tbl8 group of 256 entries
    /// for the address's last octet.
    @inlinable @inline(__always)
    public func lookup(_ address: UInt32) -> UInt64 {
        var entry = tbl24.unsafelyUnwrapped[Int(address >> 8)]
        if entry & 1 != 0 {
            entry = tbl8.unsafelyUnwrapped[Int(entry >> 1) &* 256 &+ Int(address & 0xFF)]
        }
        return UInt64(entry >> 1)
    }
}

/// The IPv6 forwarding table: DPDK rte_fib6, TRIE with 4-byte next hops.
public struct IPv6FIB: @unchecked Sendable {
    public let pointer: OpaquePointer
    public let lookupKind: String

    public init(name: String, socket: Int32, maxRoutes: Int, tbl8Groups: Int, defaultNextHop: UInt64) throws {
        var conf = rte_fib6_conf()
        conf.type = RTE_FIB6_TRIE
        conf.default_nh = defaultNextHop
        conf.max_routes = Int32(maxRoutes)
        conf.rib_ext_sz = 0
        conf.trie.nh_sz = RTE_FIB6_TRIE_4B
        conf.trie.num_tbl8 = UInt32(tbl8Groups)
        guard let fib = rte_fib6_create(name, socket, &conf) else {
            throw DPDKError.fromErrno("rte_fib6_create (IPv6, \(maxRoutes) routes, \(tbl8Groups) tbl8 groups)")
        }
        pointer = fib
        if rte_fib6_select_lookup(fib, RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512) == 0 {
            lookupKind = "trie avx512"
        } else {
            _ = rte_fib6_select_lookup(fib, RTE_FIB6_LOOKUP_TRIE_SCALAR)
            lookupKind = "trie scalar"
        }
    }

    /// Adds or replaces a prefix; a new one reserves tbl8 groups as a fixed rte_fib6 does
    /// (see `delete`).
    public func add(_ prefix: IPv6Prefix, nextHop: UInt64) throws {
        var bytes = prefix.address.bytes
        let owed = prefix.length > 24 ? reservationForAddition(prefix, &bytes) : 0
        let counters = cdpdk_fib6_tbl8_counters(pointer)!
        let before = counters[1]
        try check(rte_fib6_add(pointer, &bytes, prefix.length, nextHop), "rte_fib6_add \(prefix)")
        let taken = counters[1] &- before
        if taken < owed { counters[1] += owed - taken }
    }

    /// Deletes a prefix and gives back the tbl8 groups its addition reserved.
    ///
    /// rte_fib6 reserves tbl8 groups for each prefix longer than /24 so that an update never
    /// runs out of groups half-way. DPDK 22.11 gets the count wrong in two places that later
    /// DPDK (23.11 trie_modify) fixed: a deletion looks for another prefix in the deleted
    /// one's 8-bit-aligned block, finds the prefix itself and releases nothing; and an addition
    /// whose next hop equals its covering prefix's reserves nothing, though a later replacement
    /// of that next hop allocates groups. The first makes every addition and deletion of a lone
    /// prefix leak up to 13 groups until no long prefix can be added at all; the second lets
    /// groups be allocated unreserved. `add` and `delete` compute what the fixed DPDK reserves
    /// and releases and make up the difference, so they are no-ops on a fixed DPDK. Both copies
    /// of the tables get the same writes, so they stay alike (ForwardingTable.applyBatch).
    public func delete(_ prefix: IPv6Prefix) throws {
        var bytes = prefix.address.bytes
        let owed = prefix.length > 24 ? reservationToRelease(prefix, &bytes) : 0
        let counters = cdpdk_fib6_tbl8_counters(pointer)!
        let before = counters[1]
        try check(rte_fib6_delete(pointer, &bytes, prefix.length), "rte_fib6_delete \(prefix)")
        let released = before &- counters[1]
        if released < owed { counters[1] -= min(owed - released, counters[1]) }
    }

    /// The reservation a fixed rte_fib6 (DPDK 23.11 trie_modify) releases when `prefix` is
    /// deleted: none if another prefix lies in its 8-bit-aligned block, else one group per
    /// 8-bit level between its closest covering prefix (at least /24) and itself.
    func reservationToRelease(_ prefix: IPv6Prefix, _ bytes: inout [UInt8]) -> UInt32 {
        guard let rib = rte_fib6_get_rib(pointer) else { return 0 }
        let block = prefix.length & ~7
        let all = Int32(RTE_RIB6_GET_NXT_ALL)
        var other = rte_rib6_get_nxt(rib, &bytes, block, nil, all)
        if let node = other, Self.isPrefix(node, prefix) { other = rte_rib6_get_nxt(rib, &bytes, block, node, all) }
        guard other == nil, let node = rte_rib6_lookup_exact(rib, &bytes, prefix.length) else { return 0 }
        var parentDepth: UInt8 = 24
        if let parent = rte_rib6_lookup_parent(node) {
            var depth: UInt8 = 0
            _ = rte_rib6_get_depth(parent, &depth)
            parentDepth = max(depth, 24)
        }
        return Self.levels(from: parentDepth, to: prefix.length)
    }

    /// The reservation a fixed rte_fib6 takes when `prefix` is added: none if it is there
    /// already (a replacement) or another prefix lies in its 8-bit-aligned block, else one group
    /// per 8-bit level between its closest covering prefix (at least /24) and itself.
    func reservationForAddition(_ prefix: IPv6Prefix, _ bytes: inout [UInt8]) -> UInt32 {
        guard let rib = rte_fib6_get_rib(pointer), rte_rib6_lookup_exact(rib, &bytes, prefix.length) == nil,
              rte_rib6_get_nxt(rib, &bytes, prefix.length & ~7, nil, Int32(RTE_RIB6_GET_NXT_ALL)) == nil else { return 0 }
        var parentDepth: UInt8 = 24
        if let parent = rte_rib6_lookup(rib, &bytes) {
            var depth: UInt8 = 0
            _ = rte_rib6_get_depth(parent, &depth)
            parentDepth = max(depth, 24)
        }
        return Self.levels(from: parentDepth, to: prefix.length)
    }

    /// 8-bit trie levels below `parent` down to `depth`.
    static func levels(from parent: UInt8, to depth: UInt8) -> UInt32 {
        UInt32(max(0, (Int(depth) + 7) / 8 - (Int(parent) + 7) / 8))
    }

    static func isPrefix(_ node: OpaquePointer, _ prefix: IPv6Prefix) -> Bool {
        var depth: UInt8 = 0
        var ip = [UInt8](repeating: 0, count: 16)
        _ = rte_rib6_get_depth(node, &depth)
        _ = rte_rib6_get_ip(node, &ip)
        return depth == prefix.length && ip == prefix.address.bytes
    }

    /// tbl8 groups reserved for the prefixes held, and the table's total.
    public var tbl8Groups: (reserved: Int, total: Int) {
        let counters = cdpdk_fib6_tbl8_counters(pointer)!
        return (Int(counters[1]), Int(counters[0]))
    }

    /// `addresses`: `count` 16-byte addresses in network order, back to back.
    @inlinable @inline(__always)
    public func lookup(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        Self.lookup(pointer, addresses, nextHops, count: count)
    }

    /// The same through the bare handle (see `IPv4FIB.lookup(_:_:_:count:)`).
    @inlinable @inline(__always)
    public static func lookup(_ fib: OpaquePointer, _ addresses: UnsafeMutablePointer<UInt8>,
                              _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        _ = cdpdk_fib6_lookup_bulk(fib, addresses, nextHops, Int32(count))
    }

    public func free() { rte_fib6_free(pointer) }
}
