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
    }

    public func deallocate() {
        transmit.deallocate(); transmitCount.deallocate(); transmitBytes.deallocate(); touchedPorts.deallocate()
        dropped.deallocate(); dropReasons.deallocate(); family.deallocate(); ipLength.deallocate()
        frames.deallocate(); v4Addresses.deallocate(); v4NextHops.deallocate()
        v6Addresses.deallocate(); v6NextHops.deallocate()
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
    @inlinable
    public mutating func run<Access: PacketAccess, Lookup: RouteLookup>(
        _ access: Access.Type, packets: UnsafePointer<OpaquePointer?>, count: Int, portMAC: UInt64,
        lookup: Lookup, adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int
    ) {
        // Loop state lives in locals (registers), written back once: as struct fields they
        // would be read-modify-written in memory for every packet.
        var v4Count = 0
        var v6Count = 0
        var bytes: UInt64 = 0
        let macInMemory = EthernetInput.memoryOrder(portMAC)
        // Stages 1 and 2: Ethernet, then IPv4/IPv6 validation; valid packets join a lookup batch.
        // The usual IPv4 frame takes the fast path; anything else the ordered checks.
        for i in 0..<count {
            let packet = packets[i].unsafelyUnwrapped
            let frame = Access.data(packet)
            let length = Access.length(packet)
            bytes &+= UInt64(truncatingIfNeeded: length)
            frames[i] = frame
            let accepted = IPv4FastPath.acceptedLength(frame, length: length, portMAC: macInMemory,
                                                       checksum: Access.checksumStatus(packet))
            if accepted != 0 {
                self.ipLength[i] = accepted
                trim(packet, Access.self, to: accepted, from: length)
                family[i] = 4
                v4Addresses[v4Count] = IPv4Header.destination(UnsafeRawPointer(frame) + Ethernet.headerLength)
                v4Count &+= 1
                continue
            }
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
        // The list being filled is tracked in locals while consecutive packets share a port
        // (the usual case), and written back when the port changes and at the end.
        var j4 = 0
        var j6 = 0
        var port = -1
        var queued = 0
        var queuedBytes: UInt64 = 0
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
            let packet = packets[i].unsafelyUnwrapped
            switch verdict {
            case .transmit(let egress):
                let length = ipLength[i] &+ Ethernet.headerLength
                if Int(egress) != port {
                    if port >= 0 { transmitCount[port] = queued; transmitBytes[port] = queuedBytes }
                    port = Int(egress)
                    queued = transmitCount[port]
                    queuedBytes = transmitBytes[port]
                    if queued == 0 {
                        touchedPorts[touchedCount] = port
                        touchedCount &+= 1
                    }
                }
                transmit[port &* BurstPipeline.capacity &+ queued] = packet
                queued &+= 1
                queuedBytes &+= UInt64(truncatingIfNeeded: length)
            case .drop(let reason):
                drop(packet, reason)
            }
        }
        if port >= 0 { transmitCount[port] = queued; transmitBytes[port] = queuedBytes }
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
