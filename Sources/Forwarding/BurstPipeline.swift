import Packet

/// Runs the stages over one RX burst and sorts the packets into a transmit list per egress
/// port and a drop list with a reason each. It does no I/O and frees nothing: the worker sends
/// each port's list in bulk and frees the drops (GUIDE rule 3).
///
/// Order: Ethernet and IP validation for every packet (stages 1-2), one bulk lookup per family
/// (stage 3, so rte_fib can use its vector path), then the next-hop stage (4) in arrival order,
/// so packets keep their order on every egress port.
///
/// All storage is allocated once per worker by `allocate(ports:)` and owned by that worker.
public struct BurstPipeline {
    @inlinable public static var capacity: Int { 32 }
    /// Marks a dropped packet in per-packet verdict arrays (tests, console tools).
    @inlinable public static var dropPort: UInt16 { .max }

    public let portCount: Int
    /// (Optional pointers only because DPDK's burst calls take `struct rte_mbuf **`.)
    /// Per egress port p: `transmitCount[p]` packets at `transmit + p * capacity`, of
    /// `transmitBytes[p]` bytes. Only the ports in `touchedPorts[0..<touchedCount]` are non-zero;
    /// the worker sends those and calls `resetOutputs()`.
    public let transmit: UnsafeMutablePointer<OpaquePointer?>
    public let transmitCount: UnsafeMutablePointer<Int>
    public let transmitBytes: UnsafeMutablePointer<UInt64>
    public let touchedPorts: UnsafeMutablePointer<Int>
    public var touchedCount = 0
    /// Dropped packets and why.
    public let dropped: UnsafeMutablePointer<OpaquePointer?>
    public let dropReasons: UnsafeMutablePointer<DropReason>
    public var dropCount = 0
    /// Bytes received in the burst (frame lengths as they arrived).
    public var receivedBytes: UInt64 = 0

    // Scratch between the stages.
    @usableFromInline let family: UnsafeMutablePointer<UInt8>      // 0 dropped, 4 IPv4, 6 IPv6
    @usableFromInline let ipLength: UnsafeMutablePointer<Int>
    @usableFromInline let frames: UnsafeMutablePointer<UnsafeMutableRawPointer>
    @usableFromInline let v4Addresses: UnsafeMutablePointer<UInt32>
    @usableFromInline let v4NextHops: UnsafeMutablePointer<UInt64>
    @usableFromInline let v6Addresses: UnsafeMutablePointer<UInt8>
    @usableFromInline let v6NextHops: UnsafeMutablePointer<UInt64>
    @usableFromInline let unicastFirstOctet: UnsafeMutablePointer<UInt8>

    public init(ports: Int) {
        let c = BurstPipeline.capacity
        portCount = ports
        transmit = .allocate(capacity: ports * c)
        transmitCount = .allocate(capacity: ports)
        transmitCount.initialize(repeating: 0, count: ports)
        transmitBytes = .allocate(capacity: ports)
        transmitBytes.initialize(repeating: 0, count: ports)
        touchedPorts = .allocate(capacity: ports)
        dropped = .allocate(capacity: c)
        dropReasons = .allocate(capacity: c)
        family = .allocate(capacity: c)
        ipLength = .allocate(capacity: c)
        frames = .allocate(capacity: c)
        v4Addresses = .allocate(capacity: c)
        v4NextHops = .allocate(capacity: c)
        v6Addresses = .allocate(capacity: c * 16)
        v6NextHops = .allocate(capacity: c)
        unicastFirstOctet = IPv4FastPath.makeUnicastFirstOctetTable()
    }

    public func deallocate() {
        transmit.deallocate(); transmitCount.deallocate(); transmitBytes.deallocate(); touchedPorts.deallocate()
        dropped.deallocate(); dropReasons.deallocate(); family.deallocate(); ipLength.deallocate()
        frames.deallocate(); v4Addresses.deallocate(); v4NextHops.deallocate()
        v6Addresses.deallocate(); v6NextHops.deallocate(); unicastFirstOctet.deallocate()
    }

    /// Empties the outputs for the next burst (only what the last burst touched).
    @inlinable @inline(__always)
    public mutating func resetOutputs() {
        for t in 0..<touchedCount {
            let p = touchedPorts[t]
            transmitCount[p] = 0
            transmitBytes[p] = 0
        }
        touchedCount = 0
        dropCount = 0
        receivedBytes = 0
    }

    @inlinable @inline(__always)
    mutating func drop(_ packet: OpaquePointer, _ reason: DropReason) {
        dropped[dropCount] = packet
        dropReasons[dropCount] = reason
        dropCount &+= 1
    }

    /// Sorts `packets[0..<count]`, received on a port whose MAC is `portMAC` (48-bit wire-order
    /// value, as `MACAddress.value`). Outputs must have been reset since the last run.
    ///
    /// A burst of nothing but usual IPv4 frames (`IPv4FastPath`), the common case by far, takes
    /// `runIPv4Burst`: no per-packet family, frame or length side arrays, one lookup, one loop.
    /// The first frame the fast checks do not accept sends the rest of the burst through
    /// `runMixed`, which runs the ordered checks and names every drop reason.
    @inlinable
    public mutating func run<Access: PacketAccess, Lookup: RouteLookup>(
        _ access: Access.Type, packets: UnsafePointer<OpaquePointer?>, count: Int, portMAC: UInt64,
        lookup: Lookup, adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int
    ) {
        // Loop state and the scratch pointers live in locals (registers): as struct fields they
        // would be reloaded from memory for every packet, since any store through a pointer
        // might have changed them.
        let addresses = v4Addresses
        let nextHops = v4NextHops
        let single = lookup.looksUpIPv4Singly
        let prefetch = lookup.prefetchesIPv4
        let expected = IPv4FastPath.Expected(portMAC: portMAC, unicastFirstOctet: unicastFirstOctet)
        var bytes: UInt64 = 0
        var fast = 0
        while fast < count {
            let packet = packets[fast].unsafelyUnwrapped
            let frame = Access.data(packet)
            let length = Access.length(packet)
            let accepted = IPv4FastPath.acceptedLength(frame, length: length, expected: expected,
                                                       checksum: Access.checksumStatus(packet))
            if accepted == 0 { break }
            bytes &+= UInt64(truncatingIfNeeded: length)
            trim(packet, Access.self, to: accepted, from: length)
            let destination = IPv4Header.destination(UnsafeRawPointer(frame) + Ethernet.headerLength)
            addresses[fast] = destination
            // The table entry is fetched while the rest of the burst is checked: with a large
            // table most lookups would otherwise miss the cache, one after the other.
            if prefetch { lookup.prefetchIPv4(destination) }
            fast &+= 1
        }
        if fast == count {
            receivedBytes = bytes
            if count > 0 {
                // Stage 3. With the table read in place, a loop of nothing but lookups of
                // entries prefetched above. (Looking up inside the loop above, as each address
                // is read, was 10% slower with 1M routes: a load whose value is used holds the
                // loop back until it arrives, a prefetch does not.)
                if single {
                    for i in 0..<count { nextHops[i] = lookup.lookupIPv4(addresses[i]) }
                } else {
                    lookup.lookupIPv4(addresses, nextHops, count: count)
                }
                runIPv4Burst(Access.self, packets: packets, count: count, adjacencies: adjacencies, adjacencyCount: adjacencyCount)
            }
            return
        }
        runMixed(Access.self, packets: packets, count: count, accepted: fast, acceptedBytes: bytes, portMAC: portMAC,
                 lookup: lookup, adjacencies: adjacencies, adjacencyCount: adjacencyCount)
    }

    /// Stage 4 for a burst whose every packet passed `IPv4FastPath` and whose next hops are in
    /// `v4NextHops[0..<count]`, in arrival order. The frame and IP length are read again from
    /// the packet (hot in cache) instead of being kept in side arrays.
    ///
    /// Packets forwarded out of the same port as the one before them, the usual case, go
    /// through the inner loop: no call, nothing else in registers, the list's count and bytes in
    /// locals. Any other packet (the first, a change of port, a drop, a multipath route) takes
    /// one step of the general code, and then the inner loop resumes.
    @inlinable @inline(__always)
    mutating func runIPv4Burst<Access: PacketAccess>(
        _ access: Access.Type, packets: UnsafePointer<OpaquePointer?>, count: Int,
        adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int
    ) {
        let nextHops = v4NextHops
        var output = OutputCursor()
        var i = 0
        while true {
            if output.port >= 0 {
                let list = transmit + output.port &* BurstPipeline.capacity
                var queued = output.queued
                var bytes = output.bytes
                while i < count {
                    let packet = packets[i].unsafelyUnwrapped
                    let frame = Access.data(packet)
                    let header = frame + Ethernet.headerLength
                    let ipLength = IPv4Header.totalLength(header)
                    let adjacency = adjacencies[Self.index(nextHops[i], adjacencyCount)]
                    guard adjacency.action == .forward && Int(adjacency.port) == output.port
                            && IPv4Header.ttl(header) > 1 && ipLength <= Int(adjacency.mtu) else { break }
                    IPv4Header.decrementTTL(header)
                    adjacency.rewrite.apply(to: frame)
                    list[queued] = packet
                    queued &+= 1
                    bytes &+= UInt64(truncatingIfNeeded: ipLength &+ Ethernet.headerLength)
                    i &+= 1
                }
                output.queued = queued
                output.bytes = bytes
            }
            if i == count { break }
            let packet = packets[i].unsafelyUnwrapped
            let frame = Access.data(packet)
            let ipLength = IPv4Header.totalLength(UnsafeRawPointer(frame) + Ethernet.headerLength)
            let verdict = IPForward.ipv4(frame: frame, ipLength: ipLength,
                                         adjacency: adjacencies[Self.index(nextHops[i], adjacencyCount)],
                                         adjacencies: adjacencies, adjacencyCount: adjacencyCount)
            finish(packet, verdict, length: ipLength &+ Ethernet.headerLength, &output)
            i &+= 1
        }
        output.close(&self)
    }

    /// The general path: stages 1 and 2 with the ordered checks from packet `accepted` on (the
    /// ones before it passed `IPv4FastPath`, their destinations are in `v4Addresses` and their
    /// `acceptedBytes` counted), a bulk lookup per family, then stage 4 in arrival order.
    @inlinable @inline(never)
    mutating func runMixed<Access: PacketAccess, Lookup: RouteLookup>(
        _ access: Access.Type, packets: UnsafePointer<OpaquePointer?>, count: Int, accepted: Int, acceptedBytes: UInt64,
        portMAC: UInt64, lookup: Lookup, adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int
    ) {
        var v4Count = accepted
        var v6Count = 0
        var bytes = acceptedBytes
        for i in 0..<accepted {
            let frame = Access.data(packets[i].unsafelyUnwrapped)
            frames[i] = frame
            ipLength[i] = IPv4Header.totalLength(UnsafeRawPointer(frame) + Ethernet.headerLength)
            family[i] = 4
        }
        for i in accepted..<count {
            let packet = packets[i].unsafelyUnwrapped
            let frame = Access.data(packet)
            let length = Access.length(packet)
            bytes &+= UInt64(truncatingIfNeeded: length)
            frames[i] = frame
            var kind: UInt8 = 0
            switch EthernetInput.classify(frame, length: length, portMAC: portMAC) {
            case .ipv4:
                let header = UnsafeRawPointer(frame) + Ethernet.headerLength
                switch IPv4Input.validate(header, available: length &- Ethernet.headerLength, checksum: Access.checksumStatus(packet)) {
                case .valid(let ipLength):
                    self.ipLength[i] = ipLength
                    trim(packet, Access.self, to: ipLength, from: length)
                    kind = 4
                    v4Addresses[v4Count] = IPv4Header.destination(header)
                    v4Count &+= 1
                case .drop(let reason): drop(packet, reason)
                }
            case .ipv6:
                let header = UnsafeRawPointer(frame) + Ethernet.headerLength
                switch IPv6Input.validate(header, available: length &- Ethernet.headerLength) {
                case .valid(let ipLength):
                    self.ipLength[i] = ipLength
                    trim(packet, Access.self, to: ipLength, from: length)
                    kind = 6
                    // Copy the destination for rte_fib6's flat address array.
                    UnsafeMutableRawPointer(v6Addresses + v6Count &* 16)
                        .copyMemory(from: header + IPv6Header.destinationOffset, byteCount: 16)
                    v6Count &+= 1
                case .drop(let reason): drop(packet, reason)
                }
            case .drop(let reason): drop(packet, reason)
            }
            family[i] = kind
        }
        receivedBytes = bytes

        // Stage 3: one bulk lookup per family.
        if v4Count > 0 { lookup.lookupIPv4(v4Addresses, v4NextHops, count: v4Count) }
        if v6Count > 0 { lookup.lookupIPv6(v6Addresses, v6NextHops, count: v6Count) }

        // Stage 4, in arrival order: next hop, TTL, MTU, rewrite; then the port's list.
        var j4 = 0
        var j6 = 0
        var output = OutputCursor()
        for i in 0..<count {
            let kind = family[i]
            if kind == 0 { continue }
            let frame = frames[i]
            let verdict: IPForward.Verdict
            if kind == 4 {
                verdict = IPForward.ipv4(frame: frame, ipLength: ipLength[i],
                                         adjacency: adjacencies[Self.index(v4NextHops[j4], adjacencyCount)],
                                         adjacencies: adjacencies, adjacencyCount: adjacencyCount)
                j4 &+= 1
            } else {
                verdict = IPForward.ipv6(frame: frame, ipLength: ipLength[i],
                                         adjacency: adjacencies[Self.index(v6NextHops[j6], adjacencyCount)],
                                         adjacencies: adjacencies, adjacencyCount: adjacencyCount)
                j6 &+= 1
            }
            finish(packets[i].unsafelyUnwrapped, verdict, length: ipLength[i] &+ Ethernet.headerLength, &output)
        }
        output.close(&self)
    }

    /// The port list being filled, tracked in locals while consecutive packets share a port
    /// (the usual case) and written back when the port changes and at the end of the burst.
    @usableFromInline
    struct OutputCursor {
        @usableFromInline var port = -1
        @usableFromInline var queued = 0
        @usableFromInline var bytes: UInt64 = 0
        @inlinable init() {}

        @inlinable @inline(__always)
        func close(_ pipeline: inout BurstPipeline) {
            if port >= 0 { pipeline.transmitCount[port] = queued; pipeline.transmitBytes[port] = bytes }
        }
    }

    /// Queues a packet stage 4 has finished on its egress port's list, or drops it.
    @inlinable @inline(__always)
    mutating func finish(_ packet: OpaquePointer, _ verdict: IPForward.Verdict, length: Int, _ output: inout OutputCursor) {
        switch verdict {
        case .transmit(let egress):
            if Int(egress) != output.port {
                output.close(&self)
                output.port = Int(egress)
                output.queued = transmitCount[output.port]
                output.bytes = transmitBytes[output.port]
                if output.queued == 0 {
                    touchedPorts[touchedCount] = output.port
                    touchedCount &+= 1
                }
            }
            transmit[output.port &* BurstPipeline.capacity &+ output.queued] = packet
            output.queued &+= 1
            output.bytes &+= UInt64(truncatingIfNeeded: length)
        case .drop(let reason):
            drop(packet, reason)
        }
    }

    /// Ethernet padding (frames shorter than 60 bytes are padded on the wire) beyond the IP
    /// packet is cut off, so it is not sent on. Done as soon as the IP length is known: a packet
    /// dropped later is freed whatever its length.
    @inlinable @inline(__always)
    func trim<Access: PacketAccess>(_ packet: OpaquePointer, _ access: Access.Type, to ipLength: Int, from frameLength: Int) {
        let length = ipLength &+ Ethernet.headerLength
        if length != frameLength { Access.setLength(packet, length) }
    }

    /// A next hop outside the table (never written by the control plane, but the FIB is shared
    /// memory) is read as "no route" rather than trusted.
    @inlinable @inline(__always)
    static func index(_ nextHop: UInt64, _ count: Int) -> Int {
        nextHop < UInt64(count) ? Int(nextHop) : Int(Adjacency.noRouteIndex)
    }
}
