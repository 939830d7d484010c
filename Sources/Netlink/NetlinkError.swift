#if canImport(Glibc)
import Glibc
#endif

/// What went wrong talking to the kernel, as a sentence a person can act on.
public enum NetlinkError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A system call failed: which one, for what, and errno.
    case systemCall(call: String, purpose: String, errno: Int32)
    /// The kernel answered a request with an error (NLMSG_ERROR, negative errno), with the
    /// extended-ack text when the kernel gave one.
    case refused(request: String, errno: Int32, kernelMessage: String?)
    /// No answer within the time allowed.
    case timedOut(request: String, milliseconds: Int32)
    /// A datagram larger than the receive buffer: part of it was lost.
    case truncated(bytes: Int, bufferBytes: Int)
    /// The kernel's reply could not be read (framing broken, error message too short).
    case malformedReply(request: String, reason: String)
    /// The event socket overflowed while a dump was in progress or the socket was otherwise
    /// unusable for the operation asked.
    case overrun(purpose: String)

    public var description: String {
        switch self {
        case let .systemCall(call, purpose, errno):
            return "Could not \(purpose): \(call) failed with \(errnoText(errno))."
        case let .refused(request, errno, kernelMessage):
            let detail = kernelMessage.map { " (the kernel says: \($0))" } ?? ""
            return "The kernel refused to \(request): \(errnoText(errno))\(detail)."
        case let .timedOut(request, milliseconds):
            return "The kernel did not answer the request to \(request) within \(milliseconds) ms."
        case let .truncated(bytes, bufferBytes):
            return "A netlink message of \(bytes) bytes did not fit the \(bufferBytes)-byte receive buffer and was cut short; raise the buffer size."
        case let .malformedReply(request, reason):
            return "The kernel's reply to the request to \(request) could not be read: \(reason)."
        case let .overrun(purpose):
            return "The netlink socket lost messages (ENOBUFS) while trying to \(purpose); the kernel's state must be read again."
        }
    }
}

/// "File exists (errno 17)".
func errnoText(_ code: Int32) -> String {
    let text = strerror(code).map { String(cString: $0) } ?? "error"
    return "\(text) (errno \(code))"
}
