/// A message from the kernel that could not be read: too short, an attribute that runs past its
/// message, an address of the wrong size. It is reported and the message skipped; nothing in
/// this module traps on bad input.
public struct NetlinkDecodeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// "RTM_NEWROUTE", "NLMSG_ERROR", or "netlink datagram" when no message could be framed.
    public var messageName: String
    public var reason: String

    public init(messageName: String, reason: String) {
        self.messageName = messageName
        self.reason = reason
    }

    public var description: String { "A malformed \(messageName) from the kernel was skipped: \(reason)." }
}
