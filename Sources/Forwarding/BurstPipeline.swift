import Packet

/// Runs the stages over one RX burst and leaves a verdict per packet: an egress port, or a
/// drop reason. It does no I/O and frees nothing: the worker reads the verdicts and does the
/// transmit and free in bulk (GUIDE rule 3).
///
/// Order: Ethernet and IP validation for every packet (stages 1-2), then one bulk lookup per
/// family (stage 3), then the next-hop stage (4). Bulk lookups let rte_fib use its vector path.
///
/// All storage is allocated once per worker by `allocate()` and owned by that worker alone.
public struct BurstPipeline {
    @inlinable public static var capacity: Int { 32 }
    /// `outPort` value for a dropped packet; `dropReason` then says why.
    @inlinable public static var dropPort: UInt16 { .max }

    // Inputs, filled by the worker for packets 0..<count.
    public let frames: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// Frame length in; on output, for transmitted packets, the length to send (padding trimmed).
    public let lengths: UnsafeMutablePointer<UInt16>
    public let checksumStatus: UnsafeMutablePointer<IPv4Input.ChecksumStatus>

    // Outputs.
    public let outPort: UnsafeMutablePointer<UInt16>
    public let dropReason: UnsafeMutablePointer<DropReason>

    // Scratch between the stages.
    @usableFromInline let ipLength: UnsafeMutablePointer<Int>
    @usableFromInline let v4Addresses: UnsafeMutablePointer<UInt32>
    @usableFromInline let v4Slots: UnsafeMutablePointer<Int>
    @usableFromInline let v4NextHops: UnsafeMutablePointer<UInt64>
    @usableFromInline let v6Addresses: UnsafeMutablePointer<UInt8>
    @usableFromInline let v6Slots: UnsafeMutablePointer<Int>
    @usableFromInline let v6NextHops: UnsafeMutablePointer<UInt64>

    public static func allocate() -> BurstPipeline {
        BurstPipeline(
            frames: .allocate(capacity: capacity),
            lengths: .allocate(capacity: capacity),
            checksumStatus: .allocate(capacity: capacity),
            outPort: .allocate(capacity: capacity),
            dropReason: .allocate(capacity: capacity),
            ipLength: .allocate(capacity: capacity),
            v4Addresses: .allocate(capacity: capacity),
            v4Slots: .allocate(capacity: capacity),
            v4NextHops: .allocate(capacity: capacity),
            v6Addresses: .allocate(capacity: capacity * 16),
            v6Slots: .allocate(capacity: capacity),
            v6NextHops: .allocate(capacity: capacity))
    }

    private init(frames: UnsafeMutablePointer<UnsafeMutableRawPointer>, lengths: UnsafeMutablePointer<UInt16>,
                 checksumStatus: UnsafeMutablePointer<IPv4Input.ChecksumStatus>, outPort: UnsafeMutablePointer<UInt16>,
                 dropReason: UnsafeMutablePointer<DropReason>, ipLength: UnsafeMutablePointer<Int>,
                 v4Addresses: UnsafeMutablePointer<UInt32>, v4Slots: UnsafeMutablePointer<Int>,
                 v4NextHops: UnsafeMutablePointer<UInt64>, v6Addresses: UnsafeMutablePointer<UInt8>,
                 v6Slots: UnsafeMutablePointer<Int>, v6NextHops: UnsafeMutablePointer<UInt64>) {
        self.frames = frames; self.lengths = lengths; self.checksumStatus = checksumStatus
        self.outPort = outPort; self.dropReason = dropReason; self.ipLength = ipLength
        self.v4Addresses = v4Addresses; self.v4Slots = v4Slots; self.v4NextHops = v4NextHops
        self.v6Addresses = v6Addresses; self.v6Slots = v6Slots; self.v6NextHops = v6NextHops
    }

    public func deallocate() {
        frames.deallocate(); lengths.deallocate(); checksumStatus.deallocate(); outPort.deallocate()
        dropReason.deallocate(); ipLength.deallocate(); v4Addresses.deallocate(); v4Slots.deallocate()
        v4NextHops.deallocate(); v6Addresses.deallocate(); v6Slots.deallocate(); v6NextHops.deallocate()
    }

    @inlinable @inline(__always)
    func drop(_ i: Int, _ reason: DropReason) {
        outPort[i] = BurstPipeline.dropPort
        dropReason[i] = reason
    }

    /// Computes verdicts for packets 0..<count received on a port whose MAC is `portMAC`
    /// (48-bit wire-order value, as `MACAddress.value`).
    @inlinable
    public func run<Lookup: RouteLookup>(count: Int, portMAC: UInt64, lookup: Lookup,
                                         adjacencies: UnsafePointer<Adjacency>, adjacencyCount: Int) {
        var v4Count = 0
        var v6Count = 0
        // Stages 1 and 2: Ethernet, then IPv4/IPv6 validation; valid packets join a lookup batch.
        for i in 0..<count {
            let frame = UnsafeRawPointer(frames[i])
            let length = Int(lengths[i])
            switch EthernetInput.classify(frame, length: length, portMAC: portMAC) {
            case .ipv4:
                let header = frame + Ethernet.headerLength
                switch IPv4Input.validate(header, available: length &- Ethernet.headerLength, checksum: checksumStatus[i]) {
                case .valid(let ipLength):
                    recordValid(i, ipLength)
                    v4Addresses[v4Count] = IPv4Header.destination(header)
                    v4Slots[v4Count] = i
                    v4Count &+= 1
                case .drop(let reason): drop(i, reason)
                }
            case .ipv6:
                let header = frame + Ethernet.headerLength
                switch IPv6Input.validate(header, available: length &- Ethernet.headerLength) {
                case .valid(let ipLength):
                    recordValid(i, ipLength)
                    // Copy the destination for rte_fib6's flat address array.
                    let slot = UnsafeMutableRawPointer(v6Addresses + v6Count &* 16)
                    slot.copyMemory(from: header + IPv6Header.destinationOffset, byteCount: 16)
                    v6Slots[v6Count] = i
                    v6Count &+= 1
                case .drop(let reason): drop(i, reason)
                }
            case .drop(let reason): drop(i, reason)
            }
        }

        // Stage 3: one bulk lookup per family.
        if v4Count > 0 { lookup.lookupIPv4(v4Addresses, v4NextHops, count: v4Count) }
        if v6Count > 0 { lookup.lookupIPv6(v6Addresses, v6NextHops, count: v6Count) }

        // Stage 4: next hop, TTL, MTU, rewrite.
        for j in 0..<v4Count {
            let i = v4Slots[j]
            let adjacency = adjacencies[Self.index(v4NextHops[j], adjacencyCount)]
            record(i, IPForward.ipv4(frame: frames[i], ipLength: ipLength[i], adjacency: adjacency))
        }
        for j in 0..<v6Count {
            let i = v6Slots[j]
            let adjacency = adjacencies[Self.index(v6NextHops[j], adjacencyCount)]
            record(i, IPForward.ipv6(frame: frames[i], ipLength: ipLength[i], adjacency: adjacency))
        }
    }

    @inlinable @inline(__always)
    func recordValid(_ i: Int, _ ipLength: Int) {
        self.ipLength[i] = ipLength
        lengths[i] = UInt16(truncatingIfNeeded: ipLength &+ Ethernet.headerLength)
    }

    /// A next hop outside the table (never written by the control plane, but the FIB is shared
    /// memory) is read as "no route" rather than trusted.
    @inlinable @inline(__always)
    static func index(_ nextHop: UInt64, _ count: Int) -> Int {
        nextHop < UInt64(count) ? Int(nextHop) : Int(Adjacency.noRouteIndex)
    }

    @inlinable @inline(__always)
    func record(_ i: Int, _ verdict: IPForward.Verdict) {
        switch verdict {
        case .transmit(let port): outPort[i] = port
        case .drop(let reason): drop(i, reason)
        }
    }
}
