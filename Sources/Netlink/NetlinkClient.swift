import Packet

/// The objects of one dump, with what could not be read.
public struct Dump<Item> {
    public var items: [Item] = []
    /// Messages skipped because they were malformed.
    public var malformed: [NetlinkDecodeError] = []
    /// The kernel flagged the dump NLM_F_DUMP_INTR on every attempt: the table changed while
    /// it was read, so an entry may be missing or twice. For a listener subscribed before the
    /// dump, the notifications of those changes bring the changed entries up to date.
    public var interrupted = false
}

/// Requests to the kernel over a socket of its own that joins no group: dumps of links,
/// addresses, neighbors and routes; adding and deleting addresses; setting a link up or its
/// MTU. Each request carries a fresh sequence number and is answered before the next one is
/// sent. Blocking, with a timeout per reply datagram; use it from one thread.
public final class NetlinkClient {
    let socket: NetlinkSocket
    private var sequence: UInt32
    /// How long to wait for each reply datagram.
    public var timeoutMilliseconds: Int32

    /// How many times a dump the kernel flags as interrupted is read again.
    static let dumpAttempts = 3

    public init(timeoutMilliseconds: Int32 = 5000) throws(NetlinkError) {
        socket = try NetlinkSocket(groups: [], receiveBufferBytes: nil, extendedAcks: true)
        self.timeoutMilliseconds = timeoutMilliseconds
        // Start from a value unlikely to match a stale reply left over in the socket by a
        // previous owner of the port id.
        sequence = UInt32(truncatingIfNeeded: monotonicNanoseconds() >> 10)
    }

    private func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    // MARK: dumps

    public func dumpLinks() throws(NetlinkError) -> Dump<KernelLink> {
        try dumpObjects("dump the interfaces", { LinkCodec.dumpRequest(sequence: $0) }) {
            if case .link(let l) = $0 { return l } else { return nil }
        }
    }

    public func dumpAddresses() throws(NetlinkError) -> Dump<KernelAddress> {
        try dumpObjects("dump the interface addresses", { AddressCodec.dumpRequest(sequence: $0) }) {
            if case .address(let a) = $0 { return a } else { return nil }
        }
    }

    /// IPv4 ARP and IPv6 neighbor entries of every interface.
    public func dumpNeighbors() throws(NetlinkError) -> Dump<KernelNeighbor> {
        try dumpObjects("dump the neighbor tables", { NeighborCodec.dumpRequest(sequence: $0) }) {
            if case .neighbor(let n) = $0 { return n } else { return nil }
        }
    }

    /// Every route of one family in every table (filter on `table` yourself).
    public func dumpRoutes(ipv6: Bool) throws(NetlinkError) -> Dump<KernelRoute> {
        let family = ipv6 ? Family.inet6 : Family.inet
        return try dumpObjects("dump the \(ipv6 ? "IPv6" : "IPv4") routes", { RouteCodec.dumpRequest(family: family, sequence: $0) }) {
            if case .route(let r) = $0 { return r } else { return nil }
        }
    }

    /// Runs a dump, decodes what it returns, and reads it again if the kernel says it was
    /// interrupted by a change.
    private func dumpObjects<Item>(_ purpose: String, _ request: (UInt32) -> [UInt8],
                                   _ pick: (KernelMessage.Object) -> Item?) throws(NetlinkError) -> Dump<Item> {
        var result = Dump<Item>()
        for _ in 0..<NetlinkClient.dumpAttempts {
            result = Dump<Item>()
            let interrupted = try dump(request(nextSequence()), purpose: purpose) { message in
                switch KernelMessageDecoder.decode(message) {
                case .success(let decoded)?:
                    if let item = pick(decoded.object) { result.items.append(item) }
                case .failure(let error)?:
                    result.malformed.append(error)
                case nil:
                    break
                }
            }
            result.interrupted = interrupted
            if !interrupted { break }
        }
        return result
    }

    /// Sends a dump request and hands every message of the answer to `body` until NLMSG_DONE.
    /// Returns whether any part was flagged NLM_F_DUMP_INTR.
    func dump(_ request: [UInt8], purpose: String, _ body: (NetlinkMessage) -> Void) throws(NetlinkError) -> Bool {
        let sequence = request.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
        try socket.send(request, purpose: purpose)
        var interrupted = false
        while true {
            switch try socket.receive(timeoutMilliseconds: timeoutMilliseconds) {
            case .nothing: throw .timedOut(request: purpose, milliseconds: timeoutMilliseconds)
            case .overrun: throw .overrun(purpose: purpose)
            case .datagram: break
            }
            var messages = NetlinkMessageIterator(socket.lastDatagram)
            while let message = messages.next() {
                // A reply to an earlier request that timed out: not ours.
                guard message.header.sequence == sequence, message.header.portID == socket.portID else { continue }
                if message.header.flags & MessageFlags.dumpInterrupted != 0 { interrupted = true }
                switch message.header.type {
                case MessageType.done:
                    return interrupted
                case MessageType.error:
                    let (code, text) = try NetlinkClient.readError(message, purpose: purpose)
                    // A dump is answered by data then DONE; an error, even 0, ends it.
                    if code == 0 { return interrupted }
                    throw .refused(request: purpose, errno: code, kernelMessage: text)
                case MessageType.noop:
                    continue
                default:
                    body(message)
                }
            }
            if let error = messages.error { throw .malformedReply(request: purpose, reason: error.reason) }
        }
    }

    // MARK: changes with acknowledgement

    /// Puts `address`/`prefixLength` on interface `ifindex` and waits for the kernel's ack.
    /// It replaces an identical address rather than failing on it (NLM_F_REPLACE), so a
    /// restarted forwarder can set its addresses again. `skipDAD` sets IFA_F_NODAD on IPv6:
    /// the address is usable at once instead of after duplicate address detection.
    public func addAddress(_ address: IPAddress, prefixLength: UInt8, ifindex: Int32, skipDAD: Bool = false) throws(NetlinkError) {
        var flags: UInt32 = 0
        if skipDAD, case .v6 = address { flags = AddressAttribute.flagNoDAD }
        let item = KernelAddress(ifindex: ifindex, address: address, prefixLength: prefixLength, flags: flags)
        let sequence = nextSequence()
        let message = AddressCodec.encode(item, type: MessageType.newAddress,
                                          flags: MessageFlags.request | MessageFlags.ack | MessageFlags.create | MessageFlags.replace,
                                          sequence: sequence)
        try request(message, sequence: sequence, purpose: "add \(address)/\(prefixLength) to interface \(ifindex)")
    }

    /// Convenience for the Packet module's interface address type.
    public func addAddress(_ address: InterfaceAddress, ifindex: Int32, skipDAD: Bool = false) throws(NetlinkError) {
        try addAddress(address.address, prefixLength: address.length, ifindex: ifindex, skipDAD: skipDAD)
    }

    /// Removes an address; the kernel refuses with EADDRNOTAVAIL if it is not there.
    public func deleteAddress(_ address: IPAddress, prefixLength: UInt8, ifindex: Int32) throws(NetlinkError) {
        let item = KernelAddress(ifindex: ifindex, address: address, prefixLength: prefixLength)
        let sequence = nextSequence()
        let message = AddressCodec.encode(item, type: MessageType.deleteAddress,
                                          flags: MessageFlags.request | MessageFlags.ack, sequence: sequence)
        try request(message, sequence: sequence, purpose: "remove \(address)/\(prefixLength) from interface \(ifindex)")
    }

    /// Sets an interface up or down and/or its MTU; nil leaves that property as it is.
    public func setLink(ifindex: Int32, up: Bool? = nil, mtu: UInt32? = nil) throws(NetlinkError) {
        let sequence = nextSequence()
        var what: [String] = []
        if let up { what.append(up ? "up" : "down") }
        if let mtu { what.append("MTU \(mtu)") }
        let message = LinkCodec.setRequest(ifindex: ifindex, up: up, mtu: mtu, sequence: sequence)
        try request(message, sequence: sequence, purpose: "set interface \(ifindex) \(what.joined(separator: ", "))")
    }

    /// Asks the kernel to resolve `address` on interface `ifindex` as if a packet were going to
    /// it (`ip neigh replace ADDR dev IF use`: RTM_NEWNEIGH with NTF_USE, which creates the
    /// entry if needed and starts ARP or neighbor solicitation; the state sent is ignored).
    /// The fast path asks this for a next hop it has no MAC for; the answer arrives later as a
    /// neighbor notification.
    public func resolveNeighbor(_ address: IPAddress, ifindex: Int32) throws(NetlinkError) {
        let sequence = nextSequence()
        let item = KernelNeighbor(address: address, mac: nil, ifindex: ifindex, state: .permanent)
        let message = NeighborCodec.encode(item, type: MessageType.newNeighbor,
                                           flags: MessageFlags.request | MessageFlags.ack | MessageFlags.create | MessageFlags.replace,
                                           sequence: sequence, neighborFlags: NeighborAttribute.flagUse)
        try request(message, sequence: sequence, purpose: "resolve neighbor \(address) on interface \(ifindex)")
    }

    /// Sends a request with NLM_F_ACK and waits for its NLMSG_ERROR: 0 is success, a negative
    /// errno a refusal.
    func request(_ message: [UInt8], sequence: UInt32, purpose: String) throws(NetlinkError) {
        try socket.send(message, purpose: purpose)
        while true {
            switch try socket.receive(timeoutMilliseconds: timeoutMilliseconds) {
            case .nothing: throw .timedOut(request: purpose, milliseconds: timeoutMilliseconds)
            case .overrun: throw .overrun(purpose: purpose)
            case .datagram: break
            }
            var messages = NetlinkMessageIterator(socket.lastDatagram)
            while let reply = messages.next() {
                guard reply.header.sequence == sequence, reply.header.portID == socket.portID,
                      reply.header.type == MessageType.error else { continue }
                let (code, text) = try NetlinkClient.readError(reply, purpose: purpose)
                if code == 0 { return }
                throw .refused(request: purpose, errno: code, kernelMessage: text)
            }
            if let error = messages.error { throw .malformedReply(request: purpose, reason: error.reason) }
        }
    }

    /// struct nlmsgerr { int error; struct nlmsghdr msg; ... } then, with NLM_F_ACK_TLVS,
    /// attributes of which NLMSGERR_ATTR_MSG (1) is the kernel's explanation. Returns the
    /// positive errno (0 for an ack) and that text.
    static func readError(_ message: NetlinkMessage, purpose: String) throws(NetlinkError) -> (Int32, String?) {
        guard let negative = try? message.payload.i32(at: 0),
              let echoedLength = try? message.payload.u32(at: 4) else {
            throw .malformedReply(request: purpose, reason: "its NLMSG_ERROR has \(message.payload.count) bytes, fewer than the 20 it needs")
        }
        let code = negative == Int32.min ? Int32.max : -negative
        guard message.header.flags & MessageFlags.ackTLVs != 0 else { return (code, nil) }
        // After the echoed header comes the echoed request, unless the ack is capped.
        let echoed = message.header.flags & MessageFlags.capped != 0 ? NL.headerSize : Int(echoedLength)
        guard echoed >= NL.headerSize, let tlvs = try? message.payload.suffix(from: 4 + NL.align(echoed)) else {
            return (code, nil)
        }
        var attributes = AttributeIterator(tlvs)
        while let a = try? attributes.next() {
            if a.type == 1 {
                let text = a.string()
                return (code, text.isEmpty ? nil : text)
            }
        }
        return (code, nil)
    }
}
