import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Packet

/// The telnet console: listens, admits up to `maxSessions` sessions, and samples the counters
/// once a second for rates. Runs on the event loop group it is given (the control plane's,
/// never a worker core).
public final class ConsoleServer: Sendable {
    public let core: ConsoleCore
    private let state = NIOLockedValueBox<(channel: Channel?, sampler: RepeatedTask?)>((nil, nil))

    public init(settings: ConsoleSettings, backend: any ConsoleBackend, logger: Logger, runner: any BlockingRunner = DispatchQueueRunner()) {
        core = ConsoleCore(settings: settings, backend: backend, logger: logger, runner: runner)
    }

    /// The address actually bound (its port when `settings.port` is 0).
    public var localAddress: SocketAddress? { state.withLockedValue { $0.channel?.localAddress } }

    /// Binds and starts accepting; logs "console listening on HOST:PORT". Throws when the
    /// address cannot be bound, with a sentence that names it.
    public func start(group: EventLoopGroup) throws {
        let settings = core.settings
        let core = self.core
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 32)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: 16 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try core.initialize(channel: channel) }
            }
        let channel: Channel
        do {
            channel = try bootstrap.bind(host: settings.host, port: settings.port).wait()
        } catch {
            throw ConsoleError("the console cannot listen on \(hostPort(settings.host, settings.port)): \(error) (check console.listen)")
        }
        core.takeSample()
        let sampler = channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            core.takeSample()
        }
        state.withLockedValue { $0 = (channel, sampler) }
        let bound = channel.localAddress?.port ?? settings.port
        core.logger.info("console listening on \(hostPort(settings.host, bound))")
        if !isLoopback(settings.host) {
            let password = settings.password == nil ? ", and no password is set" : ""
            core.logger.warning("the console listens on \(settings.host), which is not a loopback address: anyone who reaches it can change routes\(password)")
        }
    }

    /// Stops listening, stops the sampler and closes every session.
    public func stop() {
        let (channel, sampler) = state.withLockedValue { value -> (Channel?, RepeatedTask?) in
            defer { value = (nil, nil) }
            return value
        }
        sampler?.cancel()
        try? channel?.close().wait()
        core.closeAll()
    }
}

/// "127.0.0.1:5002", "[::1]:5002".
func hostPort(_ host: String, _ port: Int) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}

/// 127.0.0.0/8 and ::1 are reachable only from this machine.
func isLoopback(_ host: String) -> Bool {
    switch IPAddress(host) {
    case .v4(let a)?: return a.value >> 24 == 127
    case .v6(let a)?: return a.high == 0 && a.low == 1
    case nil: return false
    }
}
