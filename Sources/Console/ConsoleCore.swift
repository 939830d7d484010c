import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Runs a backend call that may block (a route change waits for an RCU grace period) away
/// from the event loop, and completes on the loop.
public protocol BlockingRunner: Sendable {
    func run<T: Sendable>(on loop: EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T>
}

/// One serial queue for every session: changes reach the backend one at a time, in order.
public final class DispatchQueueRunner: BlockingRunner {
    private let queue: DispatchQueue

    public init(label: String = "swiftfwd.console.control") {
        queue = DispatchQueue(label: label)
    }

    public func run<T: Sendable>(on loop: EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        let promise = loop.makePromise(of: T.self)
        queue.async { promise.succeed(work()) }
        return promise.futureResult
    }
}

/// Runs the work at once, on the caller's thread: for tests on an EmbeddedEventLoop, which
/// must not be touched from another thread.
public struct InlineRunner: BlockingRunner {
    public init() {}

    public func run<T: Sendable>(on loop: EventLoop, _ work: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        loop.makeSucceededFuture(work())
    }
}

/// What every session of one console shares: settings, backend, counters history, the count
/// of open sessions. Thread-safe: sessions run on any loop of the group.
public final class ConsoleCore: Sendable {
    public let settings: ConsoleSettings
    public let backend: any ConsoleBackend
    public let logger: Logger
    public let history: StatsHistory
    let runner: any BlockingRunner
    let clock: @Sendable () -> Date
    private let open = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    public init(settings: ConsoleSettings, backend: any ConsoleBackend, logger: Logger, history: StatsHistory = StatsHistory(),
                runner: any BlockingRunner = DispatchQueueRunner(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.backend = backend
        self.logger = logger
        self.history = history
        self.runner = runner
        self.clock = clock
    }

    /// Sessions open now.
    public var sessionCount: Int { open.withLockedValue { $0.count } }

    /// Takes the sampler's reading: called once a second.
    public func takeSample() {
        history.record(backend.sample())
    }

    /// Sets up a newly accepted connection: a session, or, when `max_sessions` are open, a
    /// handler that says so and closes. The slot is given back when the channel closes.
    public func initialize(channel: Channel) throws {
        let id = ObjectIdentifier(channel)
        let admitted = open.withLockedValue { sessions -> Bool in
            guard sessions.count < settings.maxSessions else { return false }
            sessions[id] = channel
            return true
        }
        let pipeline = channel.pipeline.syncOperations
        guard admitted else {
            logger.info("console: refused a session from \(channel.remoteAddress.map(describe) ?? "?"): \(settings.maxSessions) sessions are open (console.max_sessions)")
            try pipeline.addHandler(RefuseHandler(message: "swiftfwd: too many console sessions (\(settings.maxSessions) open, the limit set by console.max_sessions); try again later\r\n"))
            return
        }
        channel.closeFuture.whenComplete { [open] _ in
            open.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
        try pipeline.addHandler(ConsoleSession(core: self))
    }

    /// Closes every open session (at shutdown).
    public func closeAll() {
        for channel in open.withLockedValue({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }
}

/// Tells a connection over the session limit why, and closes it.
final class RefuseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let message: String

    init(message: String) { self.message = message }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private var done = false

    private func refuse(_ context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        let buffer = context.channel.allocator.buffer(string: message)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
