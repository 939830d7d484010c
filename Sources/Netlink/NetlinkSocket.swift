#if canImport(Glibc)
import Glibc
#endif

/// An AF_NETLINK/NETLINK_ROUTE socket: open, bind to multicast groups, size the receive
/// buffer, send a request, receive one datagram. It knows nothing of message contents.
///
/// The socket belongs to the network namespace of the thread that created it, for its whole
/// life (this is how the tests watch a namespace of their own).
public final class NetlinkSocket {
    public let fileDescriptor: Int32
    /// The port id the kernel gave this socket; replies to our requests are addressed to it.
    public let portID: UInt32
    /// The receive buffer the kernel actually granted, in bytes (as SO_RCVBUF reports it: the
    /// kernel doubles the asked size to account for its bookkeeping).
    public let receiveBufferBytes: Int
    /// Scratch for `receive`: one datagram at a time.
    private let buffer: UnsafeMutableRawBufferPointer

    /// The largest datagram we accept. Multicast notifications carry one message each; dump
    /// parts are at most 32 KiB; a link with many virtual functions can exceed that, hence
    /// the margin.
    static let datagramBufferBytes = 1 << 20

    /// - Parameters:
    ///   - groups: multicast groups to join (none for a request-only socket).
    ///   - receiveBufferBytes: asked receive buffer; nil keeps the system default. With
    ///     CAP_NET_ADMIN, SO_RCVBUFFORCE passes net.core.rmem_max; without it SO_RCVBUF is
    ///     capped there.
    ///   - extendedAcks: ask for the kernel's error text on refused requests (NETLINK_EXT_ACK)
    ///     and for errors not to echo the whole request back (NETLINK_CAP_ACK).
    public init(groups: MulticastGroups = [], receiveBufferBytes: Int? = nil, extendedAcks: Bool = false) throws(NetlinkError) {
        let fd = socket(NL.familyNetlink, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NL.protocolRoute)
        guard fd >= 0 else {
            throw .systemCall(call: "socket(AF_NETLINK, NETLINK_ROUTE)", purpose: "open a netlink socket", errno: errno)
        }
        var ok = false
        defer { if !ok { close(fd) } }

        if let size = receiveBufferBytes {
            var value = Int32(clamping: size)
            let length = socklen_t(MemoryLayout<Int32>.size)
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &value, length) != 0,
               setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, length) != 0 {
                throw .systemCall(call: "setsockopt(SO_RCVBUF)", purpose: "set the netlink receive buffer to \(size) bytes", errno: errno)
            }
        }
        // We want ENOBUFS: it is the only sign that notifications were dropped and the mirror
        // must read the whole state again. 0 is the default; set it so the intent is explicit.
        var no: Int32 = 0
        _ = setsockopt(fd, NL.solNetlink, NL.optionNoENOBUFS, &no, socklen_t(MemoryLayout<Int32>.size))
        if extendedAcks {
            var yes: Int32 = 1
            // Both are best effort: kernels before 4.12 lack EXT_ACK, and the request works without.
            _ = setsockopt(fd, NL.solNetlink, NL.optionExtAck, &yes, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, NL.solNetlink, NL.optionCapAck, &yes, socklen_t(MemoryLayout<Int32>.size))
        }

        var address = NetlinkSocket.socketAddress(groups: groups.rawValue)
        let bound = address.withUnsafeMutableBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(NL.socketAddressSize))
        }
        guard bound == 0 else {
            throw .systemCall(call: "bind(AF_NETLINK)", purpose: "join the netlink groups \(groups.rawValue)", errno: errno)
        }
        var length = socklen_t(address.count)
        let named = address.withUnsafeMutableBytes { raw in
            getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard named == 0 else {
            throw .systemCall(call: "getsockname", purpose: "learn the netlink port id", errno: errno)
        }
        var granted: Int32 = 0
        var grantedLength = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLength)

        fileDescriptor = fd
        portID = address.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
        self.receiveBufferBytes = Int(granted)
        buffer = .allocate(byteCount: NetlinkSocket.datagramBufferBytes, alignment: 8)
        ok = true
    }

    deinit {
        close(fileDescriptor)
        buffer.deallocate()
    }

    /// struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups }, built as bytes
    /// because Glibc's module does not import linux/netlink.h. pid 0 asks the kernel to
    /// choose our port id (and, as a destination, means the kernel).
    static func socketAddress(groups: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: NL.socketAddressSize)
        withUnsafeBytes(of: UInt16(NL.familyNetlink)) { for i in 0..<2 { bytes[i] = $0[i] } }
        withUnsafeBytes(of: groups) { for i in 0..<4 { bytes[8 + i] = $0[i] } }
        return bytes
    }

    /// Sends one request to the kernel.
    public func send(_ message: [UInt8], purpose: String) throws(NetlinkError) {
        var destination = NetlinkSocket.socketAddress(groups: 0)
        let sent = message.withUnsafeBytes { m in
            destination.withUnsafeMutableBytes { d in
                sendto(fileDescriptor, m.baseAddress, m.count, 0,
                       d.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(NL.socketAddressSize))
            }
        }
        guard sent == message.count else {
            throw .systemCall(call: "sendto(AF_NETLINK)", purpose: purpose, errno: sent < 0 ? errno : EMSGSIZE)
        }
    }

    /// What one receive produced.
    public enum Received {
        /// A datagram from the kernel; the view is valid until the next receive.
        case datagram
        /// Nothing queued (non-blocking) or nothing within the timeout (blocking).
        case nothing
        /// ENOBUFS: the kernel dropped notifications because the buffer was full.
        case overrun
    }

    /// The last datagram received, valid until the next call to `receive`.
    private(set) var lastDatagram = ByteView(UnsafeRawBufferPointer(start: nil, count: 0))

    /// Receives one datagram. With `timeoutMilliseconds` 0 it does not wait; otherwise it waits
    /// up to that long (-1: forever). Datagrams not sent by the kernel (another process may
    /// write to our port id) are dropped and the wait goes on.
    func receive(timeoutMilliseconds: Int32) throws(NetlinkError) -> Received {
        while true {
            if timeoutMilliseconds != 0 {
                var pfd = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, timeoutMilliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw .systemCall(call: "poll", purpose: "wait for netlink messages", errno: errno)
                }
                if ready == 0 { return .nothing }
            }
            // On the stack: this runs once per notification, a million times for a full table.
            var source = sockaddr_storage()
            var sourceLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            // MSG_TRUNC makes recvfrom return the datagram's real length even when it did not fit.
            let n = withUnsafeMutableBytes(of: &source) { s in
                recvfrom(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC),
                         s.baseAddress!.assumingMemoryBound(to: sockaddr.self), &sourceLength)
            }
            if n < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN: if timeoutMilliseconds == 0 { return .nothing } else { continue }
                case ENOBUFS: return .overrun
                default: throw .systemCall(call: "recvfrom(AF_NETLINK)", purpose: "read netlink messages", errno: errno)
                }
            }
            if n > buffer.count { throw .truncated(bytes: n, bufferBytes: buffer.count) }
            // sockaddr_nl.nl_pid, at offset 4: 0 is the kernel.
            let senderPort = withUnsafeBytes(of: &source) { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
            if senderPort != 0 { continue }
            lastDatagram = ByteView(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n]))
            return .datagram
        }
    }
}
