import Packet

/// The ICMP (RFC 792, RFC 1812 section 4.3) and ICMPv6 (RFC 4443) errors a router sends about a
/// packet it could not forward: time exceeded, destination unreachable, and fragmentation
/// needed / packet too big. Pure byte work, no I/O: the worker allocates the buffer, sends the
/// frame back out of the port the packet came in on, and rate-limits with a `TokenBucket`.
public enum ICMPError {
    public enum Kind: Sendable, Equatable {
        /// TTL or hop limit ran out in transit: IPv4 11/0, IPv6 3/0.
        case timeExceeded
        /// No route: IPv4 3/0 (network unreachable), IPv6 1/0 (no route to destination).
        case noRoute
        /// The next hop could not be resolved: IPv4 3/1 (host unreachable), IPv6 1/3 (address
        /// unreachable).
        case hostUnreachable
        /// Too big for the egress MTU: IPv4 3/4 with the next-hop MTU (RFC 1191) when DF is set,
        /// IPv6 2/0 packet too big with the MTU.
        case tooBig(mtu: UInt32)
    }

    /// RFC 1812 4.3.2.3: an IPv4 error holds as much of the original as fits in 576 bytes.
    @inlinable public static var ipv4Limit: Int { 576 }
    /// RFC 4443 2.4(c): as much as fits in the IPv6 minimum MTU, 1280 bytes.
    @inlinable public static var ipv6Limit: Int { 1280 }
    /// Ethernet + IPv6 + ICMPv6 header: the most bytes an error adds before its quote.
    @inlinable public static var maximumFrame: Int { Ethernet.headerLength + ipv6Limit }

    // MARK: when an error may be sent

    /// RFC 1812 4.3.2.7: never about an ICMP error, a packet to a broadcast or multicast address,
    /// a packet whose source is not one host (0/8, 127/8, multicast, class E, broadcast), or a
    /// fragment other than the first. `h` is a validated header of `ipLength` bytes.
    public static func mayReportIPv4(_ h: UnsafeRawPointer, ipLength: Int) -> Bool {
        let source = IPv4Header.source(h) >> 24
        let destination = IPv4Header.destination(h) >> 24
        guard source &- 1 < 223 && source != 127 && destination < 224 else { return false }
        let fragmentOffset = UInt16(bigEndian: h.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x1FFF
        guard fragmentOffset == 0 else { return false }
        if h.load(fromByteOffset: IPv4Header.protocolOffset, as: UInt8.self) == 1 {
            let headerLength = Int(IPv4Header.versionAndIHL(h) & 0x0F) * 4
            // Without the ICMP type we cannot tell a query from an error: stay silent.
            guard ipLength > headerLength else { return false }
            switch h.load(fromByteOffset: headerLength, as: UInt8.self) {
            case 3, 4, 5, 11, 12: return false   // unreachable, quench, redirect, time exceeded, parameter problem
            default: return true
            }
        }
        return true
    }

    /// RFC 4443 2.4(e): never about an ICMPv6 error (types below 128) or a redirect (137), to a
    /// multicast destination, or from an unspecified, loopback or multicast source; and, as RFC
    /// 1812 4.3.2.7 has it for IPv4, never about a fragment other than the first. The extension
    /// headers are walked (hop-by-hop, routing, destination options, fragment; at most eight,
    /// within `ipLength`) to find the upper-layer header; a chain that does not end inside the
    /// packet gets no error.
    public static func mayReportIPv6(_ h: UnsafeRawPointer, ipLength: Int) -> Bool {
        let sourceHigh = IPv6Header.sourceHigh(h), sourceLow = IPv6Header.sourceLow(h)
        if sourceHigh == 0 && sourceLow <= 1 { return false }      // :: and ::1
        if sourceHigh >> 56 == 0xFF || IPv6Header.destinationHigh(h) >> 56 == 0xFF { return false }
        var next = h.load(fromByteOffset: IPv6Header.nextHeaderOffset, as: UInt8.self)
        var offset = IPv6Header.length
        for _ in 0..<8 {
            switch next {
            case 0, 43, 60:                                        // hop-by-hop, routing, destination options
                guard offset + 8 <= ipLength else { return false }
                next = h.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(h.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
            case 44:                                               // fragment header (RFC 8200 4.5)
                guard offset + 8 <= ipLength else { return false }
                let fragmentOffset = UInt16(bigEndian: h.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)) >> 3
                guard fragmentOffset == 0 else { return false }
                next = h.load(fromByteOffset: offset, as: UInt8.self)
                offset += 8
            case 58:
                guard offset < ipLength else { return false }
                let type = h.load(fromByteOffset: offset, as: UInt8.self)
                return type >= 128 && type != 137
            default:
                return true
            }
        }
        return false
    }

    // MARK: building the error

    /// Writes the Ethernet frame of an IPv4 error about the packet in `frame` (its IP header at
    /// byte 14, `ipLength` bytes) into `out`, which holds `capacity` bytes; returns the frame
    /// length, or 0 when it does not fit. The frame goes back to the sender's MAC from `portMAC`,
    /// from the router's address `source` on that port.
    /// `identification` is the IP ID to send: the error is not marked DF (a path narrower than
    /// 576 bytes may fragment it, as Linux lets its errors be), so RFC 6864 wants an ID that
    /// does not repeat soon between the same addresses; the caller keeps a counter.
    public static func buildIPv4(_ kind: Kind, about frame: UnsafeRawPointer, ipLength: Int,
                                 source: IPv4Address, portMAC: MACAddress, identification: UInt16 = 0,
                                 into out: UnsafeMutableRawPointer, capacity: Int) -> Int {
        let original = frame + Ethernet.headerLength
        let quote = min(ipLength, ipv4Limit - 28)
        let total = 28 + quote
        guard capacity >= Ethernet.headerLength + total else { return 0 }
        writeEthernet(out, to: MACAddress(loadingFrom: frame + 6), from: portMAC, type: Ethernet.typeIPv4)
        let ip = out + Ethernet.headerLength
        // Version 4, IHL 5; TOS 0xC0 (internetwork control, as Linux sends its errors); no
        // fragmentation; TTL 64; protocol 1.
        ip.storeBytes(of: UInt16(0x45C0).bigEndian, as: UInt16.self)
        ip.storeBytes(of: UInt16(total).bigEndian, toByteOffset: 2, as: UInt16.self)
        ip.storeBytes(of: identification.bigEndian, toByteOffset: 4, as: UInt16.self)
        ip.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)          // no flags, offset 0
        ip.storeBytes(of: UInt16(0x4001).bigEndian, toByteOffset: 8, as: UInt16.self)
        ip.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
        ip.storeBytes(of: source.value.bigEndian, toByteOffset: 12, as: UInt32.self)
        (ip + 16).copyMemory(from: original + IPv4Header.sourceOffset, byteCount: 4)   // back to the sender
        // `compute` gives the field in memory order (the sum is byte-order independent).
        ip.storeBytes(of: InternetChecksum.compute(ip, count: 20), toByteOffset: 10, as: UInt16.self)

        let icmp = ip + 20
        let (type, code): (UInt8, UInt8)
        var rest: UInt32 = 0
        switch kind {
        case .timeExceeded: (type, code) = (11, 0)
        case .noRoute: (type, code) = (3, 0)
        case .hostUnreachable: (type, code) = (3, 1)
        case .tooBig(let mtu): (type, code) = (3, 4); rest = min(mtu, 0xFFFF)
        }
        icmp.storeBytes(of: type, as: UInt8.self)
        icmp.storeBytes(of: code, toByteOffset: 1, as: UInt8.self)
        icmp.storeBytes(of: 0, toByteOffset: 2, as: UInt16.self)
        icmp.storeBytes(of: rest.bigEndian, toByteOffset: 4, as: UInt32.self)
        (icmp + 8).copyMemory(from: original, byteCount: quote)
        icmp.storeBytes(of: InternetChecksum.compute(icmp, count: 8 + quote), toByteOffset: 2, as: UInt16.self)
        return Ethernet.headerLength + total
    }

    /// As `buildIPv4`, for IPv6: the ICMPv6 checksum covers the pseudo-header (RFC 8200 8.1).
    public static func buildIPv6(_ kind: Kind, about frame: UnsafeRawPointer, ipLength: Int,
                                 source: IPv6Address, portMAC: MACAddress,
                                 into out: UnsafeMutableRawPointer, capacity: Int) -> Int {
        let original = frame + Ethernet.headerLength
        let quote = min(ipLength, ipv6Limit - 48)
        let payload = 8 + quote
        guard capacity >= Ethernet.headerLength + 40 + payload else { return 0 }
        writeEthernet(out, to: MACAddress(loadingFrom: frame + 6), from: portMAC, type: Ethernet.typeIPv6)
        let ip = out + Ethernet.headerLength
        ip.storeBytes(of: UInt32(0x6000_0000).bigEndian, as: UInt32.self)
        ip.storeBytes(of: UInt16(payload).bigEndian, toByteOffset: 4, as: UInt16.self)
        ip.storeBytes(of: 58, toByteOffset: 6, as: UInt8.self)
        ip.storeBytes(of: 64, toByteOffset: 7, as: UInt8.self)
        source.store(to: ip + 8)
        (ip + 24).copyMemory(from: original + IPv6Header.sourceOffset, byteCount: 16)

        let icmp = ip + 40
        let (type, code): (UInt8, UInt8)
        var rest: UInt32 = 0
        switch kind {
        case .timeExceeded: (type, code) = (3, 0)
        case .noRoute: (type, code) = (1, 0)
        case .hostUnreachable: (type, code) = (1, 3)
        case .tooBig(let mtu): (type, code) = (2, 0); rest = mtu
        }
        icmp.storeBytes(of: type, as: UInt8.self)
        icmp.storeBytes(of: code, toByteOffset: 1, as: UInt8.self)
        icmp.storeBytes(of: 0, toByteOffset: 2, as: UInt16.self)
        icmp.storeBytes(of: rest.bigEndian, toByteOffset: 4, as: UInt32.self)
        (icmp + 8).copyMemory(from: original, byteCount: quote)
        // Pseudo-header: both addresses, the 32-bit upper-layer length, three zeros and 58.
        var sum = UInt64(InternetChecksum.sum(ip + 8, count: 32))
        // (Words as they lie in memory, like the rest of the sum: the length's high word is 0.)
        sum &+= UInt64(UInt16(truncatingIfNeeded: payload).bigEndian) &+ UInt64(UInt16(58).bigEndian)
        sum &+= UInt64(InternetChecksum.sum(icmp, count: payload))
        icmp.storeBytes(of: ~InternetChecksum.fold(sum), toByteOffset: 2, as: UInt16.self)
        return Ethernet.headerLength + 40 + payload
    }

    static func writeEthernet(_ out: UnsafeMutableRawPointer, to destination: MACAddress, from source: MACAddress, type: UInt16) {
        destination.store(to: out)
        source.store(to: out + 6)
        out.storeBytes(of: type.bigEndian, toByteOffset: Ethernet.typeOffset, as: UInt16.self)
    }
}
