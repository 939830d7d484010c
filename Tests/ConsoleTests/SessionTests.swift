@testable import Console
import Foundation
import NIOCore
import NIOEmbedded
import XCTest
import TestSupport

/// The session's protections: password, limits, timers, monitor, and clients that misbehave.
final class SessionTests: XCTestCase {
    private let IAC = Telnet.IAC

    // MARK: Password

    private func passwordSession(delay: TimeAmount = .seconds(1)) throws -> Session {
        try Session(settings: ConsoleSettings(password: "s3cret pass", passwordFailureDelay: delay))
    }

    func testPasswordIsAskedWithoutEchoAndAcceptedWithEchoBack() throws {
        let s = try passwordSession()
        let hello = try s.readBytes()
        XCTAssertEqual(Array(hello.prefix(3)), [IAC, Telnet.WILL, 1], "WILL ECHO first, so the client stops echoing")
        XCTAssertEqual(String(decoding: hello.dropFirst(3), as: UTF8.self), "swiftfwd console\r\nPassword: ")
        try s.send([IAC, Telnet.DO, 1])                          // the client agrees
        XCTAssertEqual(try s.readBytes(), [])
        try s.send("s3cret pass\r\n")
        let answer = try s.readBytes()
        XCTAssertEqual(Array(answer.prefix(3)), [IAC, Telnet.WONT, 1], "echo is given back")
        XCTAssertEqual(String(decoding: answer.dropFirst(3), as: UTF8.self),
                       "\r\nswiftfwd 0.9.0-test console. Type \"help\" for the commands, \"quit\" or Ctrl-C to leave.\r\nswiftfwd> ")
        try s.send([IAC, Telnet.DONT, 1])
        XCTAssertTrue(try s.run("show version").hasPrefix("swiftfwd  0.9.0-test"))
    }

    func testNoCommandRunsBeforeThePassword() throws {
        let s = try passwordSession()
        _ = try s.read()
        try s.send("route add 198.18.4.0/24 dev p1\r\n")
        XCTAssertEqual(try s.read(), "", "the answer to a wrong password waits")
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertEqual(try s.read(), "\nwrong password\nPassword: ")
        XCTAssertEqual(s.backend.changes, [])
        XCTAssertTrue(s.log.lines.contains { $0.contains("wrong password from 127.0.0.1:40000 (attempt 1 of 3)") }, "\(s.log.lines)")
    }

    func testLinesTypedDuringTheDelayWaitTheirTurn() throws {
        let s = try passwordSession()
        _ = try s.read()
        try s.send("wrong\r\ns3cret pass\r\nshow version\r\n")
        XCTAssertEqual(try s.read(), "")
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let text = try s.read()
        XCTAssertTrue(text.hasPrefix("\nwrong password\nPassword: "), text)
        XCTAssertTrue(text.contains("swiftfwd  0.9.0-test"), "the queued command ran after the right password: \(text)")
    }

    func testThreeWrongPasswordsClose() throws {
        let s = try passwordSession()
        for attempt in 1...3 {
            _ = try s.read()
            try s.send("guess\(attempt)\r\n")
            s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        XCTAssertTrue(try s.read().hasSuffix("wrong password; closing after 3 attempts\n"))
        XCTAssertFalse(s.isOpen)
    }

    func testPasswordComparison() {
        XCTAssertTrue(Password.matches(Array("abc".utf8), secret: Array("abc".utf8)))
        XCTAssertFalse(Password.matches(Array("abd".utf8), secret: Array("abc".utf8)))
        XCTAssertFalse(Password.matches(Array("ab".utf8), secret: Array("abc".utf8)))
        XCTAssertFalse(Password.matches(Array("abcd".utf8), secret: Array("abc".utf8)))
        XCTAssertFalse(Password.matches([], secret: Array("abc".utf8)))
        XCTAssertFalse(Password.matches([], secret: []), "an empty secret never matches")
        XCTAssertFalse(Password.matches([0x9E, 0x9D, 0x9C], secret: Array("abc".utf8)), "complement bytes do not match")
    }

    func testCtrlCAtThePasswordPromptCloses() throws {
        let s = try passwordSession()
        try s.send([IAC, Telnet.IP])
        XCTAssertFalse(s.isOpen)
    }

    // MARK: Limits

    func testSessionLimitTellsTheNextOneWhyAndClosesIt() throws {
        let backend = FakeBackend()
        let log = LogCapture()
        let core = ConsoleCore(settings: ConsoleSettings(maxSessions: 2), backend: backend, logger: log.logger, runner: InlineRunner())
        let a = try Session(backend: backend, core: core)
        let b = try Session(backend: backend, core: core)
        XCTAssertEqual(core.sessionCount, 2)
        let c = try Session(backend: backend, core: core)
        XCTAssertEqual(try c.read(), "swiftfwd: too many console sessions (2 open, the limit set by console.max_sessions); try again later\n")
        XCTAssertFalse(c.isOpen)
        XCTAssertTrue(log.lines.contains { $0.contains("2 sessions are open (console.max_sessions)") }, "\(log.lines)")
        XCTAssertEqual(core.sessionCount, 2)
        try a.send("quit\r\n")
        XCTAssertFalse(a.isOpen)
        a.channel.embeddedEventLoop.run()                       // EmbeddedChannel completes closeFuture in a task
        XCTAssertEqual(core.sessionCount, 1, "a closed session gives its slot back")
        let d = try Session(backend: backend, core: core)
        XCTAssertTrue(try d.read().hasSuffix("swiftfwd> "))
        XCTAssertTrue(b.isOpen)
        core.closeAll()
        b.channel.embeddedEventLoop.run()
        d.channel.embeddedEventLoop.run()
        XCTAssertFalse(b.isOpen)
        XCTAssertFalse(d.isOpen)
        XCTAssertEqual(core.sessionCount, 0)
    }

    func testOverLongLineIsRefusedAndTheSessionGoesOn() throws {
        let s = try Session()
        let answer = try s.run(String(repeating: "a", count: 5000))
        XCTAssertEqual(answer, "error: a line of 5000 bytes was refused; lines are limited to 4096 bytes\n")
        XCTAssertTrue(try s.run("show version").hasPrefix("swiftfwd  0.9.0-test"))
    }

    func testIdleSessionIsClosed() throws {
        let s = try Session(settings: ConsoleSettings(idleTimeout: 60))
        _ = try s.read()
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        try s.send("show version\r\n")                           // input restarts the clock
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        XCTAssertTrue(s.isOpen)
        _ = try s.read()
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertEqual(try s.read(), "\nidle for 60 s; closing (console.idle_timeout)\n")
        XCTAssertFalse(s.isOpen)
    }

    func testIdleTimeoutZeroNeverCloses() throws {
        let s = try Session(settings: ConsoleSettings(idleTimeout: 0))
        s.channel.embeddedEventLoop.advanceTime(by: .hours(100))
        XCTAssertTrue(s.isOpen)
    }

    func testClientThatStopsReadingIsNotFedAndIsClosedAfterTheStallTimeout() throws {
        let s = try Session(settings: ConsoleSettings(idleTimeout: 0, outputStallTimeout: 30))
        _ = try s.read()
        s.channel.isWritable = false
        s.channel.pipeline.fireChannelWritabilityChanged()
        for _ in 0..<1000 { try s.send("show interfaces\r\n") }
        XCTAssertEqual(try s.readBytes(), [], "no answer is produced while the client does not read")
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        XCTAssertTrue(s.isOpen)
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(s.isOpen)
        XCTAssertTrue(s.log.lines.contains { $0.contains("left its output unread for 30 s") }, "\(s.log.lines)")
    }

    func testQueuedLinesRunInOrderWhenTheClientReadsAgain() throws {
        let s = try Session()
        _ = try s.read()
        s.channel.isWritable = false
        s.channel.pipeline.fireChannelWritabilityChanged()
        try s.send("show version\r\nshow neighbors\r\n")
        // Input beyond the high-water mark stops reading from the socket (TCP pushes back).
        for _ in 0..<100 { try s.send("\r\n") }
        XCTAssertTrue(s.channel.options.contains { ($0.option as? ChannelOptions.Types.AutoReadOption) != nil && ($0.value as? Bool) == false })
        s.channel.isWritable = true
        s.channel.pipeline.fireChannelWritabilityChanged()
        let text = try s.read()
        let version = try XCTUnwrap(text.range(of: "swiftfwd  0.9.0-test"))
        let neighbors = try XCTUnwrap(text.range(of: "198.18.1.2   02:00:00:00:01:02"))
        XCTAssertLessThan(version.lowerBound, neighbors.lowerBound)
        XCTAssertEqual(text.components(separatedBy: "swiftfwd> ").count - 1, 102, "one prompt per line")
        XCTAssertTrue(s.channel.options.last { ($0.option as? ChannelOptions.Types.AutoReadOption) != nil }.map { ($0.value as? Bool) == true } ?? false,
                      "reading resumes")
    }

    func testGarbageNeverCrashesTheSession() throws {
        var generator = SeededGenerator(seed: 7)
        for round in 0..<20 {
            let s = try Session()
            for _ in 0..<50 {
                guard s.isOpen else { break }
                let chunk = (0..<Int(generator.next() % 700)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                try s.send(chunk)
                _ = try s.readBytes()
            }
            XCTAssertEqual(s.backend.changes.filter { !$0.isEmpty }.count, s.backend.changes.count, "round \(round)")
            s.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        }
    }

    func testEndlessSubnegotiationClosesTheSession() throws {
        let s = try Session()
        _ = try s.read()
        try s.send([IAC, Telnet.SB, 24])
        for _ in 0..<10 { try s.send([UInt8](repeating: 0x41, count: 100)) }
        XCTAssertTrue(try s.read().hasSuffix("error: telnet subnegotiation longer than 512 bytes; closing\n"))
        XCTAssertFalse(s.isOpen)
    }

    func testNegotiationInsideASessionIsRefusedOnce() throws {
        let s = try Session()
        _ = try s.read()
        try s.send([IAC, Telnet.WILL, 31, IAC, Telnet.DO, 3, IAC, Telnet.WILL, 31])
        XCTAssertEqual(try s.readBytes(), [IAC, Telnet.DONT, 31, IAC, Telnet.WONT, 3])
        try s.send([IAC, Telnet.AYT])
        XCTAssertEqual(try s.read(), "\n[swiftfwd: yes]\n")
        XCTAssertEqual(try s.run("sh" + String(decoding: [0xC3, 0xA9], as: UTF8.self) + "\u{7f}ow version").prefix(8), "swiftfwd")
    }

    // MARK: monitor interfaces

    func testMonitorRefreshesEverySecondUntilAKey() throws {
        let s = try Session(settings: ConsoleSettings(idleTimeout: 10))
        s.core.takeSample()
        s.backend.advance(seconds: 1, packets: 2_000_000)
        _ = try s.read()
        try s.send("monitor interfaces\r\n")
        let first = try s.read()
        XCTAssertTrue(first.hasPrefix("\u{1B}[H\u{1B}[2Jinterfaces at 2025-06-16 16:07:41 UTC, refreshed every second; press any key to stop\n"), first)
        XCTAssertTrue(first.contains("p0    up    2.00 Mpps"), first)
        XCTAssertTrue(first.contains("1.02 Gbps"), first)
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertTrue(try s.read().hasPrefix("\u{1B}[H\u{1B}[2J"))
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        XCTAssertTrue(s.isOpen, "watching is not idleness")
        XCTAssertEqual(try s.read().components(separatedBy: "\u{1B}[2J").count - 1, 30)
        try s.send("x")
        XCTAssertEqual(try s.read(), "\nswiftfwd> ")
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        XCTAssertEqual(try s.read(), "", "no frame after the key")
        try s.send("\r\n")
        XCTAssertEqual(try s.read(), "swiftfwd> ")
        XCTAssertTrue(try s.run("show version").hasPrefix("swiftfwd  0.9.0-test"), "lines work again")
    }

    func testMonitorStoppedByEnterInLineMode() throws {
        let s = try Session()
        _ = try s.read()
        try s.send("monitor interfaces\r\n")
        _ = try s.read()
        try s.send("\r\n")
        XCTAssertEqual(try s.read(), "\nswiftfwd> ")
    }

    func testMonitorJSONPrintsOneObjectPerLine() throws {
        let s = try Session()
        _ = try s.read()
        try s.send("monitor interfaces json\r\n")
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        let lines = try s.read().split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertEqual((object?["interfaces"] as? [Any])?.count, 2)
        }
    }

    func testDisconnectDuringMonitorStopsTheTimer() throws {
        let s = try Session()
        _ = try s.read()
        try s.send("monitor interfaces\r\n")
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        let samples = s.backend.sampleCount
        try s.channel.close().wait()
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertEqual(s.backend.sampleCount, samples, "no frame is computed after the disconnect")
        XCTAssertEqual(s.core.sessionCount, 0)
    }

    func testMonitorSkipsFramesWhileTheClientDoesNotRead() throws {
        let s = try Session(settings: ConsoleSettings(outputStallTimeout: 30))
        _ = try s.read()
        try s.send("monitor interfaces\r\n")
        _ = try s.read()
        s.channel.isWritable = false
        s.channel.pipeline.fireChannelWritabilityChanged()
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertEqual(try s.readBytes(), [])
        s.channel.isWritable = true
        s.channel.pipeline.fireChannelWritabilityChanged()
        s.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertEqual(try s.read().components(separatedBy: "\u{1B}[2J").count - 1, 1)
    }
}
