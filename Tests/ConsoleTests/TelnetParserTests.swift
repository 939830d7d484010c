@testable import Console
import XCTest
import TestSupport

/// The telnet byte protocol on its own: line endings, IAC handling, option refusal, editing.
final class TelnetParserTests: XCTestCase {
    private let IAC = Telnet.IAC

    private func events(_ bytes: [UInt8], parser: inout TelnetParser) -> [TelnetEvent] {
        parser.append(bytes)
        var out: [TelnetEvent] = []
        while let e = parser.next() { out.append(e) }
        return out
    }

    private func events(_ bytes: [UInt8]) -> [TelnetEvent] {
        var parser = TelnetParser()
        return events(bytes, parser: &parser)
    }

    private func line(_ text: String) -> TelnetEvent { .line(Array(text.utf8)) }

    func testCRLFAndCRNULAndLFEachEndOneLine() {
        XCTAssertEqual(events(Array("a\r\nb\r\0c\nd\r".utf8)), [line("a"), line("b"), line("c"), line("d")])
        XCTAssertEqual(events(Array("\r\n\r\n".utf8)), [line(""), line("")])
    }

    func testCRLFSplitAcrossReadsIsOneLineEnd() {
        var parser = TelnetParser()
        XCTAssertEqual(events(Array("show\r".utf8), parser: &parser), [line("show")])
        XCTAssertEqual(events(Array("\nnext\r".utf8), parser: &parser), [line("next")])
        XCTAssertEqual(events([0], parser: &parser), [])
        XCTAssertEqual(events(Array("x\n".utf8), parser: &parser), [line("x")])
    }

    func testIACIACIsOneDataByte() {
        XCTAssertEqual(events([0x61, IAC, IAC, 0x62, 0x0A]), [.line([0x61, 0xFF, 0x62])])
    }

    func testWillAndDoAreRefusedOncePerOption() {
        var parser = TelnetParser()
        XCTAssertEqual(events([IAC, Telnet.WILL, 24], parser: &parser), [.send([IAC, Telnet.DONT, 24])])
        XCTAssertEqual(events([IAC, Telnet.WILL, 24], parser: &parser), [], "a repeated offer gets no second answer")
        XCTAssertEqual(events([IAC, Telnet.DO, 3], parser: &parser), [.send([IAC, Telnet.WONT, 3])])
        XCTAssertEqual(events([IAC, Telnet.DO, 3, IAC, Telnet.DO, 3], parser: &parser), [])
        XCTAssertEqual(events([IAC, Telnet.WONT, 5, IAC, Telnet.DONT, 6], parser: &parser), [], "negative answers are never answered")
        XCTAssertEqual(events([IAC, Telnet.DO, 24], parser: &parser), [.send([IAC, Telnet.WONT, 24])], "directions are separate")
    }

    func testNegotiationStormCannotLoop() {
        // A peer that answers every refusal with a new request gets one reply per option.
        var parser = TelnetParser()
        var bytes: [UInt8] = []
        for _ in 0..<1000 { bytes += [IAC, Telnet.WILL, 31, IAC, Telnet.DO, 31] }
        XCTAssertEqual(events(bytes, parser: &parser), [.send([IAC, Telnet.DONT, 31]), .send([IAC, Telnet.WONT, 31])])
    }

    func testEchoForThePasswordFollowsTheQMethod() {
        var parser = TelnetParser()
        XCTAssertEqual(parser.suppressClientEcho(true), [IAC, Telnet.WILL, 1])
        XCTAssertEqual(parser.suppressClientEcho(true), [], "already asked")
        XCTAssertEqual(events([IAC, Telnet.DO, 1], parser: &parser), [], "DO ECHO agrees to our WILL; no answer")
        XCTAssertEqual(parser.echo, .yes)
        XCTAssertEqual(parser.suppressClientEcho(false), [IAC, Telnet.WONT, 1])
        XCTAssertEqual(events([IAC, Telnet.DONT, 1], parser: &parser), [], "DONT confirms our WONT; no answer")
        XCTAssertEqual(parser.echo, .no)
        XCTAssertEqual(parser.suppressClientEcho(false), [])
        XCTAssertEqual(events([IAC, Telnet.DO, 1], parser: &parser), [.send([IAC, Telnet.WONT, 1])], "we do not echo otherwise")
    }

    func testClientRefusingEchoLeavesItOff() {
        var parser = TelnetParser()
        _ = parser.suppressClientEcho(true)
        XCTAssertEqual(events([IAC, Telnet.DONT, 1], parser: &parser), [])
        XCTAssertEqual(parser.echo, .no)
    }

    func testSubnegotiationIsSkippedAndBounded() {
        XCTAssertEqual(events([IAC, Telnet.SB, 24, 0, 0x41, IAC, IAC, 0x42, IAC, Telnet.SE] + Array("ok\n".utf8)), [line("ok")])
        var parser = TelnetParser(maxSubnegotiationBytes: 100)
        var endless: [UInt8] = [IAC, Telnet.SB, 24]
        endless += [UInt8](repeating: 0x41, count: 10_000)
        XCTAssertEqual(events(endless, parser: &parser), [.subnegotiationTooLong])
        XCTAssertEqual(parser.pendingBytes, 0, "the rest is not kept")
    }

    func testSubnegotiationWithoutSEEndsAtTheNextCommand() {
        XCTAssertEqual(events([IAC, Telnet.SB, 24, 1, IAC, Telnet.IP]), [.interrupt])
    }

    func testBackspaceAndDeleteEditTheLine() {
        XCTAssertEqual(events(Array("ab\u{7f}c\r\n".utf8)), [line("ac")])
        XCTAssertEqual(events(Array("x\u{8}\u{8}\u{8}y\n".utf8)), [line("y")])
        XCTAssertEqual(events(Array("sé\u{7f}x\n".utf8)), [line("sx")], "a UTF-8 character is erased whole")
        XCTAssertEqual(events(Array("ab".utf8) + [IAC, Telnet.EC] + Array("c\n".utf8)), [line("ac")])
        XCTAssertEqual(events(Array("junk".utf8) + [IAC, Telnet.EL] + Array("ok\n".utf8)), [line("ok")])
        XCTAssertEqual(events(Array("junk\u{15}ok\n".utf8)), [line("ok")], "Ctrl-U erases the line")
    }

    func testOverLongLineIsRefusedAndTheNextLineWorks() {
        var parser = TelnetParser(maxLineBytes: 4096)
        let long = [UInt8](repeating: 0x61, count: 5000) + [0x0A]
        XCTAssertEqual(events(long + Array("show version\n".utf8), parser: &parser), [.lineTooLong(5000), line("show version")])
        let exact = [UInt8](repeating: 0x62, count: 4096) + [0x0A]
        XCTAssertEqual(events(exact, parser: &parser), [.line([UInt8](repeating: 0x62, count: 4096))])
    }

    func testInterrupts() {
        XCTAssertEqual(events([IAC, Telnet.IP]), [.interrupt])
        XCTAssertEqual(events([IAC, Telnet.BRK]), [.interrupt])
        XCTAssertEqual(events(Array("sho".utf8) + [0x03]), [.interrupt])
    }

    func testCtrlDOnlyOnAnEmptyLine() {
        XCTAssertEqual(events([0x04]), [.endOfInput])
        XCTAssertEqual(events(Array("ab".utf8) + [0x04] + Array("\n".utf8)), [line("ab")])
    }

    func testAreYouThereAndIgnoredCommands() {
        XCTAssertEqual(events([IAC, Telnet.AYT]), [.areYouThere])
        XCTAssertEqual(events([IAC, Telnet.NOP, IAC, Telnet.GA, IAC, Telnet.DM, IAC, Telnet.AO, IAC, 17] + Array("a\n".utf8)), [line("a")])
    }

    func testControlCharactersAndEscapeSequences() {
        XCTAssertEqual(events(Array("sh\u{1b}[Aow\tver\u{7}\n".utf8)), [line("show ver")])
        XCTAssertEqual(events(Array("a\u{1b}OBb\n".utf8)), [line("ab")])
    }

    func testKeystrokeMode() {
        var parser = TelnetParser()
        parser.keystrokeMode = true
        XCTAssertEqual(events(Array("x\r\n".utf8), parser: &parser), [.keystroke, .keystroke], "CR LF is one key")
        parser.keystrokeMode = false
        XCTAssertEqual(events(Array("show\n".utf8), parser: &parser), [line("show")])
    }

    func testPendingBytesStayAfterAnEventUntilPulled() {
        var parser = TelnetParser()
        parser.append(Array("a\nb\n".utf8))
        XCTAssertEqual(parser.next(), line("a"))
        XCTAssertEqual(parser.pendingBytes, 2)
        XCTAssertEqual(parser.next(), line("b"))
        XCTAssertNil(parser.next())
        XCTAssertEqual(parser.pendingBytes, 0)
    }

    func testRandomBytesNeverTrapAndStayBounded() {
        var generator = SeededGenerator(seed: 42)
        var parser = TelnetParser(maxLineBytes: 4096, maxSubnegotiationBytes: 512)
        for _ in 0..<200 {
            let chunk = (0..<Int(generator.next() % 2048)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            for event in events(chunk, parser: &parser) {
                if case .line(let bytes) = event { XCTAssertLessThanOrEqual(bytes.count, 4096) }
            }
        }
    }
}
