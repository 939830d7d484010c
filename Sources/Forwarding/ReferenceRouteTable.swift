import Packet

/// A plain longest-prefix match over a dictionary per prefix length: slow (up to 33 or 129
/// probes per address) but obviously correct. It is the reference the rte_fib tables are tested
/// against, and the pipeline's lookup in pure tests.
public struct ReferenceRouteTable: RouteLookup {
    var v4: [[UInt32: UInt32]] = Array(repeating: [:], count: 33)
    var v6: [[IPv6Address: UInt32]] = Array(repeating: [:], count: 129)

    public init() {}

    public mutating func add(_ prefix: IPv4Prefix, nextHop: UInt32) { v4[Int(prefix.length)][prefix.address.value] = nextHop }
    public mutating func add(_ prefix: IPv6Prefix, nextHop: UInt32) { v6[Int(prefix.length)][prefix.address] = nextHop }
    public mutating func remove(_ prefix: IPv4Prefix) { v4[Int(prefix.length)][prefix.address.value] = nil }
    public mutating func remove(_ prefix: IPv6Prefix) { v6[Int(prefix.length)][prefix.address] = nil }

    public func lookup(_ address: IPv4Address) -> UInt32 {
        for length in stride(from: 32, through: 0, by: -1) {
            if let nh = v4[length][address.value & IPv4Prefix.mask(UInt8(length))] { return nh }
        }
        return Adjacency.noRouteIndex
    }

    public func lookup(_ address: IPv6Address) -> UInt32 {
        for length in stride(from: 128, through: 0, by: -1) {
            if let nh = v6[length][address.masked(UInt8(length))] { return nh }
        }
        return Adjacency.noRouteIndex
    }

    public func lookupIPv4(_ addresses: UnsafeMutablePointer<UInt32>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        for i in 0..<count { nextHops[i] = UInt64(lookup(IPv4Address(addresses[i]))) }
    }

    public func lookupIPv6(_ addresses: UnsafeMutablePointer<UInt8>, _ nextHops: UnsafeMutablePointer<UInt64>, count: Int) {
        for i in 0..<count { nextHops[i] = UInt64(lookup(IPv6Address(bytes: addresses + i * 16))) }
    }

    /// Single lookups as the worker makes them with rte_fib: the pipeline tests that use this
    /// table take that road for usual bursts, those with a bulk-only lookup (RecordingLookup)
    /// the other.
    public var looksUpIPv4Singly: Bool { true }

    public func lookupIPv4(_ address: UInt32) -> UInt64 { UInt64(lookup(IPv4Address(address))) }
}
