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
        // The AVX-512 bulk lookup exists only when EAL allows 512-bit SIMD and the CPU has it.
        if rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512) == 0 {
            lookupKind = "dir24_8 avx512"
        } else {
            _ = rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_SCALAR_MACRO)
            lookupKind = "dir24_8 scalar"
        }
    }

    public func add(_ prefix: IPv4Prefix, nextHop: UInt64) throws {
        try check(rte_fib_add(pointer, prefix.address.value, prefix.length, nextHop), "rte_fib_add \(prefix)")
    }

    public func delete(_ prefix: IPv4Prefix) throws {
        try check(rte_fib_delete(pointer, prefix.address.value, prefix.length), "rte_fib_delete \(prefix)")
    }

    /// Addresses in host byte order.
    @inlinable @inline(__always)
    public func lookup(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        _ = rte_fib_lookup_bulk(pointer, addresses, nextHops, Int32(count))
    }

    public func free() { rte_fib_free(pointer) }
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

    public func add(_ prefix: IPv6Prefix, nextHop: UInt64) throws {
        var bytes = prefix.address.bytes
        try check(rte_fib6_add(pointer, &bytes, prefix.length, nextHop), "rte_fib6_add \(prefix)")
    }

    public func delete(_ prefix: IPv6Prefix) throws {
        var bytes = prefix.address.bytes
        try check(rte_fib6_delete(pointer, &bytes, prefix.length), "rte_fib6_delete \(prefix)")
    }

    /// `addresses`: `count` 16-byte addresses in network order, back to back.
    @inlinable @inline(__always)
    public func lookup(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        _ = cdpdk_fib6_lookup_bulk(pointer, addresses, nextHops, Int32(count))
    }

    public func free() { rte_fib6_free(pointer) }
}
