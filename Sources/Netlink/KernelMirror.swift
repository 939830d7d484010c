import Packet

/// Mirrors the kernel's routes (one table), neighbors, links and addresses of a set of
/// interfaces, as batches of changes. Driven from one thread by its owner:
///
///     let mirror = try KernelMirror(configuration: .init(interfaces: .names(["swf0", "swf1"])))
///     apply(try mirror.start())                     // everything there is, as additions
///     while running { apply(mirror.poll(timeoutMilliseconds: 100)) }
///
/// Nothing here makes threads: `poll` returns after at most its timeout, and
/// `fileDescriptor` can join the caller's own poll/epoll set instead.
///
/// Consistency: the event socket subscribes before any dump; a dump is taken after the event
/// socket has been emptied, and every notification that arrives after that point is applied
/// on top of the dump. Notifications carry whole objects, so replaying them over a dump that
/// may already contain their effect converges to the kernel's state. When the kernel drops
/// notifications (ENOBUFS: the receive buffer filled) the same procedure runs again and the
/// difference from what was mirrored comes out as changes.
public final class KernelMirror {
    public struct Configuration: Sendable {
        /// The routing table to mirror (254, main, by default).
        public var table: UInt32
        public var interfaces: InterfaceFilter
        /// The event socket's receive buffer: what the consumer has not read yet must fit. The
        /// kernel doubles the asked size and charges each notification its whole buffer
        /// (measured: 832 bytes per IPv4 route, 1,280 per IPv6 route), so 64 MiB holds about
        /// 160,000 IPv4 or 100,000 IPv6 route notifications not yet read. More are dropped,
        /// which costs a resync, not correctness.
        public var receiveBufferBytes: Int
        /// Per reply datagram during dumps.
        public var dumpTimeoutMilliseconds: Int32

        public init(table: UInt32 = RouteTable.main, interfaces: InterfaceFilter = .all,
                    receiveBufferBytes: Int = 64 << 20, dumpTimeoutMilliseconds: Int32 = 5000) {
            self.table = table
            self.interfaces = interfaces
            self.receiveBufferBytes = receiveBufferBytes
            self.dumpTimeoutMilliseconds = dumpTimeoutMilliseconds
        }
    }

    public let configuration: Configuration
    private let events: NetlinkSocket
    private let client: NetlinkClient
    private var state: MirrorState
    /// A resync was asked for and has not been done (it failed, or it waits for the end of
    /// the current batch).
    private var resyncPending = false
    private var started = false
    public private(set) var statistics = MirrorStatistics()

    /// Opens the event socket (subscribed at once) and the request socket, in the network
    /// namespace of the calling thread. Reads nothing yet.
    public init(configuration: Configuration = Configuration()) throws(NetlinkError) {
        self.configuration = configuration
        events = try NetlinkSocket(groups: .mirror, receiveBufferBytes: configuration.receiveBufferBytes)
        client = try NetlinkClient(timeoutMilliseconds: configuration.dumpTimeoutMilliseconds)
        state = MirrorState(table: configuration.table, filter: configuration.interfaces)
    }

    /// The event socket: readable when notifications are waiting.
    public var fileDescriptor: Int32 { events.fileDescriptor }
    /// The receive buffer the kernel granted the event socket (SO_RCVBUF, doubled by the kernel).
    public var receiveBufferBytes: Int { events.receiveBufferBytes }

    /// The first full dump: everything that passes the filters comes out as additions. On
    /// failure nothing has changed and it can be called again.
    public func start() throws(NetlinkError) -> MirrorBatch {
        var batch = MirrorBatch()
        try fullDump(into: &batch)
        started = true
        return batch
    }

    /// Reads the notifications waiting (waiting up to `timeoutMilliseconds` for the first one;
    /// 0 does not wait), at most `maxMessages` of them, and returns what changed. Does a full
    /// dump when needed (overrun, a twin went down or away, a previous dump failed): that call
    /// takes as long as the dump. Calls `start()` if it was not called.
    ///
    /// It does not throw: a failure (a dump that timed out, a socket error) comes in
    /// `MirrorBatch.failure` together with the changes already made, so none is lost to the
    /// caller; a failed dump is tried again by the next call.
    public func poll(timeoutMilliseconds: Int32 = 0, maxMessages: Int = 4096) -> MirrorBatch {
        var batch = MirrorBatch()
        do {
            if !started {
                try fullDump(into: &batch)
                started = true
                return batch
            }
            if resyncPending { try resync(into: &batch) }
            try readEvents(into: &batch, timeoutMilliseconds: timeoutMilliseconds, maxMessages: maxMessages)
            if resyncPending { try resync(into: &batch) }
        } catch {
            statistics.failures += 1
            batch.failure = error
        }
        return batch
    }

    private func readEvents(into batch: inout MirrorBatch, timeoutMilliseconds: Int32, maxMessages: Int) throws(NetlinkError) {
        var wait = timeoutMilliseconds
        var handled = 0
        while handled < maxMessages {
            let received: NetlinkSocket.Received
            do {
                received = try events.receive(timeoutMilliseconds: wait)
            } catch .truncated {
                // A notification was lost as surely as with ENOBUFS.
                received = .overrun
            }
            wait = 0
            switch received {
            case .nothing:
                return
            case .overrun:
                statistics.overruns += 1
                try resync(into: &batch)
            case .datagram:
                let now = monotonicNanoseconds()
                var messages = NetlinkMessageIterator(events.lastDatagram)
                while let message = messages.next() {
                    handled += 1
                    statistics.messages += 1
                    switch KernelMessageDecoder.decode(message) {
                    case .success(let decoded)?:
                        let outcome = state.apply(decoded)
                        record(outcome.changes, at: now, into: &batch)
                        if outcome.needsResync { resyncPending = true }
                    case .failure(let error)?:
                        statistics.malformed += 1
                        batch.malformed.append(error)
                    case nil:
                        break
                    }
                }
                if let error = messages.error {
                    statistics.malformed += 1
                    batch.malformed.append(error)
                }
            }
        }
    }

    /// Reads everything again now and reports the difference (for a consumer that suspects
    /// it lost track, or a console command). On failure what is mirrored stays as it was.
    public func resync() throws(NetlinkError) -> MirrorBatch {
        var batch = MirrorBatch()
        try resync(into: &batch)
        return batch
    }

    // MARK: the current view

    public var routes: [KernelRoute] { state.effectiveRoutes }
    public var neighbors: [KernelNeighbor] { state.effectiveNeighbors }
    public var links: [KernelLink] { state.effectiveLinks }
    public var addresses: [KernelAddress] { state.effectiveAddresses }
    public func route(for prefix: IPPrefix) -> KernelRoute? { state.effectiveRoute(prefix) }
    /// The ifindexes currently followed; nil when every interface is.
    public var twinIndexes: Set<Int32>? { state.twins }

    // MARK: internals

    private func resync(into batch: inout MirrorBatch) throws(NetlinkError) {
        resyncPending = true
        try fullDump(into: &batch)
        statistics.resyncs += 1
        batch.resyncs += 1
    }

    /// Empties the event socket (what is queued predates the dump and, after an overrun, may
    /// miss the notification that would correct it), dumps links, addresses, neighbors and
    /// both route families into a fresh state, and reports the difference. On failure the old
    /// state stays and `resyncPending` asks the next `poll` to try again.
    private func fullDump(into batch: inout MirrorBatch) throws(NetlinkError) {
        resyncPending = true
        drainEvents()
        let began = monotonicNanoseconds()
        var fresh = state.emptied()
        var dumpedRoutes = 0

        func load<Item>(_ dump: Dump<Item>, _ wrap: (Item) -> KernelMessage.Object) {
            for item in dump.items { _ = fresh.apply(KernelMessage(operation: .new, object: wrap(item)), fromDump: true) }
            statistics.malformed += dump.malformed.count
            batch.malformed += dump.malformed
            if dump.interrupted { statistics.interruptedDumps += 1 }
        }
        // Links first: the twin set (by name) must be known before anything is filtered by it.
        load(try client.dumpLinks()) { .link($0) }
        load(try client.dumpAddresses()) { .address($0) }
        load(try client.dumpNeighbors()) { .neighbor($0) }
        for ipv6 in [false, true] {
            let routes = try client.dumpRoutes(ipv6: ipv6)
            dumpedRoutes += routes.items.count
            load(routes) { .route($0) }
        }

        let now = monotonicNanoseconds()
        let changes = MirrorState.diff(from: state, to: fresh)
        state = fresh
        record(changes, at: now, into: &batch)
        statistics.lastDumpNanoseconds = now - began
        statistics.lastDumpRoutes = dumpedRoutes
        resyncPending = false
    }

    /// Discards every queued notification. An ENOBUFS met here is the one being handled.
    private func drainEvents() {
        while true {
            do {
                if case .nothing = try events.receive(timeoutMilliseconds: 0) { return }
            } catch .truncated {
                continue
            } catch {
                // Nothing more can be read; a broken event socket is reported by the next poll.
                return
            }
        }
    }

    private func record(_ changes: [MirrorChange], at time: UInt64, into batch: inout MirrorBatch) {
        for change in changes {
            switch change {
            case .routeAdded: statistics.routes += 1
            case .routeDeleted: statistics.routes -= 1
            case .neighborAdded: statistics.neighbors += 1
            case .neighborDeleted: statistics.neighbors -= 1
            default: break
            }
            batch.changes.append(TimedChange(change: change, receivedAt: time))
        }
    }
}
