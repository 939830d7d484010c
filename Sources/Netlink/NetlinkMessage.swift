/// struct nlmsghdr, as read from or written to the wire.
public struct NetlinkHeader: Equatable, Sendable {
    /// Length of the whole message, header included.
    public var length: UInt32
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    /// Port id of the sender (0 for the kernel) or of the addressee on replies.
    public var portID: UInt32

    public init(length: UInt32, type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
    }
}

/// One framed message: its header and a view on its payload (the bytes after the header, up to
/// nlmsg_len). Valid only while the datagram it came from is.
struct NetlinkMessage {
    var header: NetlinkHeader
    var payload: ByteView

    var name: String { MessageType.name(header.type) }
}

/// Splits one received datagram into messages. A header whose length is shorter than a header
/// or longer than what is left ends the walk with an error: after it there is no way to find
/// the next message boundary.
struct NetlinkMessageIterator: IteratorProtocol {
    private let datagram: ByteView
    private var offset = 0
    /// Set when the walk stopped on a bad frame; read after `next()` returned nil.
    private(set) var error: NetlinkDecodeError?

    init(_ datagram: ByteView) { self.datagram = datagram }

    mutating func next() -> NetlinkMessage? {
        guard error == nil, offset < datagram.count else { return nil }
        do {
            let length = Int(try datagram.u32(at: offset))
            let header = NetlinkHeader(
                length: UInt32(length),
                type: try datagram.u16(at: offset + 4),
                flags: try datagram.u16(at: offset + 6),
                sequence: try datagram.u32(at: offset + 8),
                portID: try datagram.u32(at: offset + 12))
            guard length >= NL.headerSize else {
                error = NetlinkDecodeError(messageName: MessageType.name(header.type),
                                           reason: "its length field says \(length) bytes, less than the 16-byte header")
                return nil
            }
            guard length <= datagram.count - offset else {
                error = NetlinkDecodeError(messageName: MessageType.name(header.type),
                                           reason: "its length field says \(length) bytes but the datagram has only \(datagram.count - offset) left")
                return nil
            }
            let payload = try datagram.slice(at: offset + NL.headerSize, count: length - NL.headerSize)
            // The last message of a datagram may omit its alignment padding.
            offset = min(datagram.count, offset + NL.align(length))
            return NetlinkMessage(header: header, payload: payload)
        } catch {
            self.error = NetlinkDecodeError(messageName: "netlink datagram",
                                            reason: "\(datagram.count - offset) trailing bytes are too few for a message header")
            return nil
        }
    }
}
