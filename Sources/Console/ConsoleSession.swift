import Foundation
import Logging
import NIOCore
import Packet

/// One telnet session: password, command loop, `monitor`, and the limits that keep a client
/// from costing more than a bounded amount of memory and time.
///
/// Everything here runs on the channel's event loop. Bounds: a line is at most `maxLineBytes`;
/// lines typed while a command runs wait in `queue` (at most `queueLimit`, the rest unparsed in
/// the parser), and past `queueHighWater` the socket is no longer read (TCP pushes back on the
/// client); output is
/// produced only while the channel is writable (NIO's write buffer water marks), so a client
/// that does not read holds at most one water mark plus one piece of output, and is closed
/// after `outputStallTimeout`.
final class ConsoleSession: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Mode: Equatable {
        case password(failures: Int)
        case command
        case monitor(json: Bool)
        case closed
    }

    static let prompt = "swiftfwd> "
    /// Lines waiting while a command runs before the socket stops being read.
    static let queueHighWater = 64
    /// Lines queued at most; more wait unparsed in the parser (see `pullInput`).
    static let queueLimit = 4096

    private let core: ConsoleCore
    private var parser: TelnetParser
    private(set) var mode: Mode
    private var context: ChannelHandlerContext?
    /// A command is producing or writing its answer; input waits in `queue`.
    private var busy = false
    private var queue: [TelnetEvent] = []
    private var draining = false
    private var output: AnyIterator<String>?
    private var closeAfterOutput = false
    private var idleTimer: Scheduled<Void>?
    private var stallTimer: Scheduled<Void>?
    private var monitorTask: RepeatedTask?
    private var passwordDelay: Scheduled<Void>?
    private var readingPaused = false
    private var peer = "?"

    init(core: ConsoleCore) {
        self.core = core
        self.parser = TelnetParser(maxLineBytes: core.settings.maxLineBytes)
        self.mode = core.settings.password == nil ? .command : .password(failures: 0)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        peer = context.channel.remoteAddress.map(describe) ?? "?"
        core.logger.info("console: session from \(peer) opened")
        if case .password = mode {
            let ask = parser.suppressClientEcho(true)
            var buffer = context.channel.allocator.buffer(capacity: 64)
            buffer.writeBytes(ask)
            buffer.writeBytes(Self.crlf("\(core.settings.productName) console\nPassword: "))
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else {
            write(greeting + Self.prompt)
            flush()
        }
        resetIdleTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard mode != .closed else { return }
        let buffer = unwrapInboundIn(data)
        parser.append(buffer.readableBytesView)
        if case .monitor = mode {} else { resetIdleTimer() }
        processInput()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
            pump()
            drainQueue()
        } else if stallTimer == nil, mode != .closed {
            let seconds = core.settings.outputStallTimeout
            stallTimer = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) { [weak self] in
                self?.closeSession(log: "it left its output unread for \(seconds) s")
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if mode != .closed { core.logger.info("console: session from \(peer) closed") }
        teardown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        teardown()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        core.logger.debug("console: session from \(peer): \(error)")
        closeSession(log: nil)
    }

    /// Cancels every timer: a session closed in the middle of `monitor` or a password delay
    /// leaves nothing scheduled behind it.
    private func teardown() {
        mode = .closed
        idleTimer?.cancel()
        idleTimer = nil
        stallTimer?.cancel()
        stallTimer = nil
        monitorTask?.cancel()
        monitorTask = nil
        passwordDelay?.cancel()
        passwordDelay = nil
        output = nil
        queue.removeAll()
    }

    // MARK: Input

    private func processInput() {
        // Every line of this read is queued before any runs, so lines sent back to back reach
        // `drainQueue` together and table changes among them go to the backend as one batch.
        pullInput()
        drainQueue()
    }

    /// Turns the bytes read into events while the queue has room. What does not fit stays in
    /// the parser, unread, and the socket is not read meanwhile (`drainQueue`), so a client
    /// sending faster than its commands run is slowed down by TCP, not cut off: what waits in
    /// the parser is at most what the event loop read before reading stopped.
    private func pullInput() {
        while mode != .closed, queue.count < Self.queueLimit, let event = parser.next() {
            handle(event)
        }
    }

    private func handle(_ event: TelnetEvent) {
        switch event {
        case .send(let bytes):
            // Negotiation answers are at most one per option and direction, so they are sent
            // even to a client that does not read.
            guard let context else { return }
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .interrupt:
            closeSession(log: nil)
        case .subnegotiationTooLong:
            write("\nerror: telnet subnegotiation longer than \(parser.maxSubnegotiationBytes) bytes; closing\n")
            closeSession(log: "it sent an over-long telnet subnegotiation")
        case .areYouThere:
            if context?.channel.isWritable == true {
                write("\n[\(core.settings.productName): yes]\n")
                flush()
            }
        case .keystroke:
            if case .monitor = mode { stopMonitor() }
        case .line, .lineTooLong, .endOfInput:
            if case .monitor = mode {
                stopMonitor()
                return
            }
            queue.append(event)
        }
    }

    /// Runs queued lines while nothing else is in progress. Iterative: a command that
    /// finishes at once does not recurse into the next one.
    private func drainQueue() {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while true {
            if queue.count < Self.queueLimit / 2, parser.pendingBytes > 0 { pullInput() }
            guard !busy, mode == .command || isPasswordMode, !queue.isEmpty, context?.channel.isWritable == true else { break }
            if mode == .command, runChangeBatch() { continue }
            run(queue.removeFirst())
        }
        if queue.count > Self.queueHighWater || parser.pendingBytes > 0 {
            pauseReading(true)
        } else if queue.count <= Self.queueHighWater / 2 {
            pauseReading(false)
        }
    }

    private var isPasswordMode: Bool {
        if case .password = mode { return true }
        return false
    }

    private func pauseReading(_ pause: Bool) {
        guard pause != readingPaused, let context, mode != .closed else { return }
        readingPaused = pause
        context.channel.setOption(ChannelOptions.autoRead, value: !pause).whenFailure { _ in }
    }

    private func run(_ event: TelnetEvent) {
        switch mode {
        case .password(let failures):
            switch event {
            case .line(let bytes): checkPassword(bytes, failures: failures)
            case .lineTooLong: checkPassword([], failures: failures)
            case .endOfInput: closeSession(log: nil)
            default: break
            }
        case .command:
            switch event {
            case .line(let bytes):
                execute(String(decoding: bytes, as: UTF8.self))
            case .lineTooLong(let length):
                answer("error: a line of \(length) bytes was refused; lines are limited to \(core.settings.maxLineBytes) bytes\n")
            case .endOfInput:
                quit()
            default:
                break
            }
        case .monitor, .closed:
            break
        }
    }

    // MARK: Password

    private func checkPassword(_ typed: [UInt8], failures: Int) {
        guard let secret = core.settings.password, let context else { return }
        if Password.matches(typed, secret: Array(secret.utf8)) {
            mode = .command
            var buffer = context.channel.allocator.buffer(capacity: 256)
            buffer.writeBytes(parser.suppressClientEcho(false))
            // The Enter that ended the password was not echoed, so the line ends here.
            buffer.writeBytes(Self.crlf("\n" + greeting + Self.prompt))
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            core.logger.info("console: session from \(peer) logged in")
            return
        }
        // The answer is delayed, and input waits meanwhile, so guessing is slow.
        busy = true
        let attempts = failures + 1
        core.logger.notice("console: wrong password from \(peer) (attempt \(attempts) of \(core.settings.maxPasswordAttempts))")
        passwordDelay = context.eventLoop.scheduleTask(in: core.settings.passwordFailureDelay) { [weak self] in
            guard let self, self.mode != .closed else { return }
            self.passwordDelay = nil
            self.busy = false
            if attempts >= self.core.settings.maxPasswordAttempts {
                self.write("\nwrong password; closing after \(attempts) attempts\n")
                self.closeSession(log: nil)
                return
            }
            self.mode = .password(failures: attempts)
            self.write("\nwrong password\nPassword: ")
            self.flush()
            self.drainQueue()
        }
    }

    // MARK: Commands

    private var greeting: String {
        let v = core.backend.version()
        return "\(core.settings.productName) \(v.version) console. Type \"help\" for the commands, \"quit\" or Ctrl-C to leave.\n"
    }

    private var portNames: [String] { core.backend.sample().interfaces.map(\.name) }

    private func execute(_ line: String) {
        let words = CommandParser.words(line)
        guard !words.isEmpty else {
            write(Self.prompt)
            flush()
            return
        }
        let wantsJSON = words.count > 1 && words.last?.lowercased() == "json"
        switch CommandParser.parse(line, ports: portNames) {
        case .failure(let error):
            answer(wantsJSON ? JSON.text(["error": error.message]) : "error: \(error.message)\n")
        case .success(let parsed):
            perform(parsed.command, json: parsed.json)
        }
    }

    private func perform(_ command: Command, json: Bool) {
        let backend = core.backend
        switch command {
        case .quit:
            quit()
        case .help(let topic):
            answer(help(topic))
        case .monitorInterfaces:
            startMonitor(json: json)
        case .clearCounters:
            core.history.clear(at: backend.sample())
            answer(json ? JSON.text(["cleared": true])
                   : "counters cleared: the console shows them from zero now (the workers' own counters are not changed)\n")
        case .showVersion:
            answer(Views.version(backend.version(), now: core.clock(), json: json))
        case .showInterfaces(let name):
            answer(Views.interfaces(core.history.view(now: backend.sample()), only: name, json: json))
        case .showWorkers:
            answer(Views.workers(core.history.view(now: backend.sample()), json: json))
        case .showRings:
            answer(Views.rings(core.history.view(now: backend.sample()), json: json))
        case .showPunt:
            answer(Views.punt(backend.kernel(), json: json))
        case .showSync:
            answer(Views.sync(backend.kernel(), json: json))
        case .showErrors(let all):
            answer(Views.errors(core.history.view(now: backend.sample()), all: all, json: json))
        case .showNeighbors:
            answer(Views.neighbors(backend.neighbors(), json: json))
        case .showMemory:
            answer(Views.memory(backend.memory(), json: json))
        case .showConfig:
            answer(Views.config(backend.configText(), json: json))
        case .showXstats(let port):
            offload {
                do {
                    return .text(Views.xstats(port: port, try backend.xstats(port: port), json: json))
                } catch {
                    return .text(Self.errorText(error, json: json))
                }
            }
        case .showRoutes(let within):
            offload {
                let all = backend.routes()
                let chosen = within.map { p in all.filter { p.covers($0.prefix) } } ?? all
                return .routes(RouteListing(routes: Views.sorted(chosen), usage: backend.tableUsage(), within: within), json: json)
            }
        case .showRoute(let address):
            offload { .text(Views.route(for: address, backend.lookup(address), json: json)) }
        case .addRouteVia(let prefix, let gateway):
            change("route \(prefix) via \(gateway) added", json: json) { try backend.addRoute(prefix, via: gateway) }
        case .addRouteDev(let prefix, let port):
            change("route \(prefix) dev \(port) added", json: json) { try backend.addRoute(prefix, port: port) }
        case .deleteRoute(let prefix):
            change("route \(prefix) deleted", json: json) { try backend.deleteRoute(prefix) }
        case .addNeighbor(let address, let mac, let port):
            change("neighbor \(address) \(mac) dev \(port) added", json: json) { try backend.addNeighbor(address, mac: mac, port: port) }
        case .deleteNeighbor(let address):
            change("neighbor \(address) deleted", json: json) { try backend.deleteNeighbor(address) }
        case .loadRoutes(let path):
            loadRoutes(path, json: json)
        }
    }

    static func errorText(_ error: Error, json: Bool) -> String {
        let message = (error as? ConsoleError)?.message ?? "\(error)"
        return json ? JSON.text(["error": message]) : "error: \(message)\n"
    }

    private func help(_ topic: [String]) -> String {
        guard !topic.isEmpty else { return CommandTable.helpText }
        switch CommandTable.match(topic, allowGroup: true) {
        case .command(let spec, _):
            return CommandTable.helpText(for: spec)
        case .group(_, let specs):
            return specs.map { CommandTable.helpText(for: $0) }.joined()
        case .failure(let message):
            return "error: \(message)\n"
        }
    }

    /// A change to the forwarding tables: it may wait for an RCU grace period, so it runs on
    /// the control queue and the session answers when it is done.
    private func change(_ done: String, json: Bool, _ work: @escaping @Sendable () throws -> Void) {
        let name = peer
        let logger = core.logger
        offload {
            do {
                try work()
                logger.info("console: \(done) (session from \(name))")
                return .text(json ? JSON.text(["ok": true, "message": done]) : done + "\n")
            } catch {
                return .text(Self.errorText(error, json: json))
            }
        }
    }

    // MARK: Changes in bulk (ConsoleChanges.swift)

    /// The most changes sent to the backend as one batch: a whole queue.
    static let maxBatch = queueLimit

    /// Sends the table-change lines at the head of the queue to the backend as one batch: one
    /// update, one RCU grace period, for all of them. The answers are what the lines would have
    /// got one by one, prompts included. Returns false, leaving the queue alone, when the
    /// backend cannot batch or fewer than two such lines are waiting.
    private func runChangeBatch() -> Bool {
        guard let batching = core.backend as? any BatchingConsoleBackend, let context, queue.count > 1 else { return false }
        var changes: [ConsoleChange] = []
        var wantsJSON: [Bool] = []
        lazy var ports = portNames
        for event in queue {
            guard changes.count < Self.maxBatch, case .line(let bytes) = event else { break }
            if let fast = FastChangeParser.parse(bytes) {
                changes.append(fast.change)
                wantsJSON.append(fast.json)
                continue
            }
            guard case .success(let parsed) = CommandParser.parse(String(decoding: bytes, as: UTF8.self), ports: ports),
                  let change = parsed.command.change else { break }
            changes.append(change)
            wantsJSON.append(parsed.json)
        }
        guard changes.count > 1 else { return false }
        queue.removeFirst(changes.count)
        let batch = changes
        let json = wantsJSON
        busy = true
        let name = peer
        let logger = core.logger
        core.runner.run(on: context.eventLoop) { () -> [String] in
            let results = batching.apply(batch)
            let refused = results.lazy.filter { $0 != nil }.count
            logger.info("console: \(batch.count) batch as one update (session from \(name)): \(batch.count - refused) applied, \(refused) refused")
            return zip(batch.indices, results).map { index, error in
                if let error { return Self.errorText(error, json: json[index]) }
                let done = batch[index].done
                return json[index] ? JSON.text(["ok": true, "message": done]) : done + "\n"
            }
        }.whenSuccess { [weak self] answers in
            guard let self, self.mode != .closed else { return }
            self.answer(pieces: Self.joined(answers, separator: Self.prompt))
        }
        return true
    }

    /// The answers with a prompt between each two, in pieces of a few dozen answers (one write
    /// each, rather than one per answer).
    static func joined(_ answers: [String], separator: String) -> AnyIterator<String> {
        var next = 0
        return AnyIterator {
            guard next < answers.count else { return nil }
            let end = min(answers.count, next + 64)
            var piece = ""
            for index in next..<end {
                piece += answers[index]
                if index < answers.count - 1 { piece += separator }
            }
            next = end
            return piece
        }
    }

    private func loadRoutes(_ path: String, json: Bool) {
        guard let batching = core.backend as? any BatchingConsoleBackend else {
            answer(Self.errorText(ConsoleError("route load is not available with this forwarder"), json: json))
            return
        }
        let name = peer
        let logger = core.logger
        offload {
            do {
                let report = try batching.loadRoutes(path: path)
                logger.info("console: route load \(path): \(report.applied) of \(report.changes) changes applied, \(report.refused) refused, in \(report.updates) updates (session from \(name))")
                return .text(Views.routeLoad(report, json: json))
            } catch {
                return .text(Self.errorText(error, json: json))
            }
        }
    }

    enum Offloaded: Sendable {
        case text(String)
        case routes(RouteListing, json: Bool)
    }

    private func offload(_ work: @escaping @Sendable () -> Offloaded) {
        guard let context else { return }
        busy = true
        core.runner.run(on: context.eventLoop, work).whenSuccess { [weak self] result in
            guard let self, self.mode != .closed else { return }
            switch result {
            case .text(let text): self.answer(text)
            case .routes(let listing, let json): self.answer(pieces: Views.routes(listing, json: json))
            }
        }
    }

    private func quit() {
        write("bye\n")
        closeSession(log: nil)
    }

    // MARK: Output

    private func answer(_ text: String) {
        answer(pieces: AnyIterator(CollectionOfOne(text).makeIterator()))
    }

    private func answer(pieces: AnyIterator<String>) {
        busy = true
        output = pieces
        pump()
    }

    /// Writes pieces of the current answer while the channel accepts them; resumes when it
    /// becomes writable again. Ends with the prompt and goes on with queued input.
    private func pump() {
        guard let context, mode != .closed, let pieces = output else { return }
        var wrote = false
        while context.channel.isWritable {
            guard let piece = pieces.next() else {
                output = nil
                busy = false
                write(Self.prompt)
                flush()
                drainQueue()
                return
            }
            write(piece)
            wrote = true
        }
        if wrote { flush() }
    }

    private func write(_ text: String) {
        guard let context, mode != .closed else { return }
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count + 16)
        buffer.writeBytes(Self.crlf(text))
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func flush() {
        context?.flush()
    }

    /// NVT output: every line ends in CR LF (RFC 854). UTF-8 never contains 0xFF, so no IAC
    /// needs doubling.
    static func crlf(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 16)
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == 0x0A && previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            previous = byte
        }
        return out
    }

    private func closeSession(log reason: String?) {
        guard let context, mode != .closed else { return }
        if let reason { core.logger.notice("console: closing the session from \(peer): \(reason)") }
        core.logger.info("console: session from \(peer) closed")
        teardown()
        let channel = context.channel
        // What was written (bye, an error) goes out first, unless the client is not reading.
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(promise: nil)
        }
        if !channel.isWritable { channel.close(promise: nil) }
    }

    // MARK: Timers

    private func resetIdleTimer() {
        idleTimer?.cancel()
        idleTimer = nil
        let seconds = core.settings.idleTimeout
        guard seconds > 0, let context, mode != .closed else { return }
        idleTimer = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) { [weak self] in
            guard let self, self.mode != .closed else { return }
            self.write("\nidle for \(seconds) s; closing (console.idle_timeout)\n")
            self.closeSession(log: "idle for \(seconds) s")
        }
    }

    // MARK: monitor interfaces

    private func startMonitor(json: Bool) {
        guard let context else { return }
        mode = .monitor(json: json)
        parser.keystrokeMode = true
        // Watching is not idleness: the idle timer waits until the monitor ends.
        idleTimer?.cancel()
        idleTimer = nil
        monitorFrame()
        monitorTask = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in
            self?.monitorFrame()
        }
    }

    private func monitorFrame() {
        guard case .monitor(let json) = mode, let context else { return }
        // A client that does not read misses frames rather than making us queue them.
        guard context.channel.isWritable else { return }
        write(Views.monitorFrame(core.history.view(now: core.backend.sample()), now: core.clock(), json: json))
        flush()
    }

    private func stopMonitor() {
        guard case .monitor = mode else { return }
        monitorTask?.cancel()
        monitorTask = nil
        mode = .command
        parser.keystrokeMode = false
        parser.discardPartialLine()
        write("\n" + Self.prompt)
        flush()
        resetIdleTimer()
        drainQueue()
    }
}

/// The route table for `show routes`, filtered and sorted off the event loop.
struct RouteListing: Sendable {
    var routes: [RouteInfo]
    var usage: TableUsage
    var within: IPPrefix?
}

/// "127.0.0.1:40000", "[::1]:40000": how a peer is named in logs.
func describe(_ address: SocketAddress) -> String {
    guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
    return hostPort(ip, port)
}
