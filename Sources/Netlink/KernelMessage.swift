/// A decoded rtnetlink message about one object: what it is, and whether the kernel added (or
/// changed) it or removed it.
public struct KernelMessage: Hashable, Sendable {
    public enum Operation: Hashable, Sendable {
        /// RTM_NEW*: added, or changed in place (flags say which for routes).
        case new
        /// RTM_DEL*.
        case delete
    }

    public enum Object: Hashable, Sendable {
        case route(KernelRoute)
        case neighbor(KernelNeighbor)
        case link(KernelLink)
        case address(KernelAddress)
    }

    public var operation: Operation
    public var object: Object
    /// nlmsg_flags: NLM_F_REPLACE, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL as the kernel echoed
    /// them on a notification. IPv6 uses NLM_F_APPEND when a next hop joins a multipath route.
    public var flags: UInt16

    public init(operation: Operation, object: Object, flags: UInt16 = 0) {
        self.operation = operation
        self.object = object
        self.flags = flags
    }

    public var isAppend: Bool { flags & MessageFlags.append != 0 }
}

enum KernelMessageDecoder {
    /// Decodes one framed message. Nil for message types this module does not read and for
    /// objects outside its scope (see each codec); a `NetlinkDecodeError` for a malformed one.
    static func decode(_ message: NetlinkMessage) -> Result<KernelMessage, NetlinkDecodeError>? {
        let operation: KernelMessage.Operation
        let object: KernelMessage.Object?
        do {
            switch message.header.type {
            case MessageType.newRoute, MessageType.deleteRoute:
                operation = message.header.type == MessageType.newRoute ? .new : .delete
                object = try RouteCodec.decode(message.payload).map { .route($0) }
            case MessageType.newNeighbor, MessageType.deleteNeighbor:
                operation = message.header.type == MessageType.newNeighbor ? .new : .delete
                object = try NeighborCodec.decode(message.payload).map { .neighbor($0) }
            case MessageType.newLink, MessageType.deleteLink:
                operation = message.header.type == MessageType.newLink ? .new : .delete
                object = .link(try LinkCodec.decode(message.payload))
            case MessageType.newAddress, MessageType.deleteAddress:
                operation = message.header.type == MessageType.newAddress ? .new : .delete
                object = try AddressCodec.decode(message.payload).map { .address($0) }
            default:
                return nil
            }
        } catch {
            return .failure(NetlinkDecodeError(messageName: message.name, reason: error.reason))
        }
        guard let object else { return nil }
        return .success(KernelMessage(operation: operation, object: object, flags: message.header.flags))
    }

    /// Decodes every message of a datagram held in `bytes` (tests, and anything that has the
    /// bytes in an array). Framing errors end the list with a failure.
    static func decodeAll(_ bytes: [UInt8]) -> [Result<KernelMessage, NetlinkDecodeError>] {
        bytes.withUnsafeBytes { raw in
            var out: [Result<KernelMessage, NetlinkDecodeError>] = []
            var iterator = NetlinkMessageIterator(ByteView(raw))
            while let message = iterator.next() {
                if let result = decode(message) { out.append(result) }
            }
            if let error = iterator.error { out.append(.failure(error)) }
            return out
        }
    }
}
