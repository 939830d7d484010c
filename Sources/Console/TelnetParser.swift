// The telnet side of a console session (RFC 854), as a pure state machine over bytes, so every
// case can be tested without a socket: the session appends what it reads and pulls events.
//
// What we support: the NVT in line mode. We enable no option ourselves except ECHO while a
// password is typed (WILL ECHO makes the client stop echoing, the usual login trick; WONT ECHO
// afterwards gives its echo back). Every other option is refused: a WILL gets DONT, a DO gets
// WONT, and each refusal is sent at most once per option and direction, so a peer that keeps
// asking cannot make us loop or amplify (RFC 1143 section 7 discusses such loops).

public enum TelnetEvent: Equatable, Sendable {
    /// A complete input line, without its line ending, control characters removed.
    case line([UInt8])
    /// A line longer than the limit ended; it was discarded. The payload is its length.
    case lineTooLong(Int)
    /// A byte arrived while the parser was in keystroke mode (`monitor` waits for one).
    case keystroke
    /// Ctrl-C: IAC IP, IAC BRK or the byte 0x03.
    case interrupt
    /// Ctrl-D on an empty line.
    case endOfInput
    /// IAC AYT ("are you there?").
    case areYouThere
    /// Bytes to send back: answers to option negotiation.
    case send([UInt8])
    /// A subnegotiation went past the limit; the session should be closed.
    case subnegotiationTooLong
}

public enum Telnet {
    public static let IAC: UInt8 = 255
    public static let DONT: UInt8 = 254
    public static let DO: UInt8 = 253
    public static let WONT: UInt8 = 252
    public static let WILL: UInt8 = 251
    public static let SB: UInt8 = 250
    public static let GA: UInt8 = 249
    public static let EL: UInt8 = 248
    public static let EC: UInt8 = 247
    public static let AYT: UInt8 = 246
    public static let AO: UInt8 = 245
    public static let IP: UInt8 = 244
    public static let BRK: UInt8 = 243
    public static let DM: UInt8 = 242
    public static let NOP: UInt8 = 241
    public static let SE: UInt8 = 240
    /// RFC 857.
    public static let optionEcho: UInt8 = 1
}

public struct TelnetParser {
    /// Q-method states (RFC 1143) for the one option we ever enable, our ECHO.
    enum OptionState { case no, yes, wantNo, wantYes }

    private enum State {
        case data
        case iac
        case negotiation(UInt8)       // after IAC WILL/WONT/DO/DONT
        case subnegotiation           // after IAC SB, collecting until IAC SE
        case subnegotiationIAC        // IAC inside a subnegotiation
        case escape                   // ESC seen: a terminal key sequence may follow
        case csi                      // ESC [ ...: skipped up to its final byte
    }

    public let maxLineBytes: Int
    public let maxSubnegotiationBytes: Int
    /// When set, every data byte is reported as `.keystroke` instead of being collected.
    public var keystrokeMode = false

    private var input: [UInt8] = []
    private var position = 0
    private var state = State.data
    private var line: [UInt8] = []
    /// Bytes in the current line, stored or not; past maxLineBytes the line is only counted.
    private var lineLength = 0
    private var lastWasCR = false
    private var subnegotiationLength = 0
    private(set) var echo = OptionState.no
    /// Options already refused, by direction, so each refusal is sent once.
    private var refusedWill = Set<UInt8>()
    private var refusedDo = Set<UInt8>()

    public init(maxLineBytes: Int = 4096, maxSubnegotiationBytes: Int = 512) {
        self.maxLineBytes = maxLineBytes
        self.maxSubnegotiationBytes = maxSubnegotiationBytes
    }

    /// Bytes appended but not yet turned into events.
    public var pendingBytes: Int { input.count - position }

    public mutating func append<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        if position > 0 && position == input.count {
            input.removeAll(keepingCapacity: true)
            position = 0
        }
        input.append(contentsOf: bytes)
    }

    /// Forgets a partly typed line (after `monitor` is stopped by a key).
    public mutating func discardPartialLine() {
        line.removeAll(keepingCapacity: true)
        lineLength = 0
    }

    /// Asks the client to stop (`true`) or resume (`false`) its local echo; returns what to
    /// send, empty when the option is already where we want it.
    public mutating func suppressClientEcho(_ suppress: Bool) -> [UInt8] {
        if suppress {
            guard echo == .no || echo == .wantNo else { return [] }
            echo = .wantYes
            return [Telnet.IAC, Telnet.WILL, Telnet.optionEcho]
        }
        guard echo == .yes || echo == .wantYes else { return [] }
        echo = .wantNo
        return [Telnet.IAC, Telnet.WONT, Telnet.optionEcho]
    }

    /// The next event from the bytes appended so far, or nil when they are used up.
    public mutating func next() -> TelnetEvent? {
        while position < input.count {
            let byte = input[position]
            position += 1
            if let event = consume(byte) { return event }
        }
        if position == input.count && position > 0 {
            input.removeAll(keepingCapacity: true)
            position = 0
        }
        return nil
    }

    private mutating func consume(_ byte: UInt8) -> TelnetEvent? {
        switch state {
        case .data:
            if byte == Telnet.IAC {
                state = .iac
                return nil
            }
            return data(byte)
        case .iac:
            state = .data
            switch byte {
            case Telnet.IAC: return data(byte)          // IAC IAC: a 0xFF data byte
            case Telnet.WILL, Telnet.WONT, Telnet.DO, Telnet.DONT:
                state = .negotiation(byte)
                return nil
            case Telnet.SB:
                state = .subnegotiation
                subnegotiationLength = 0
                return nil
            case Telnet.IP, Telnet.BRK: return .interrupt
            case Telnet.AYT: return .areYouThere
            case Telnet.EC:
                eraseCharacter()
                return nil
            case Telnet.EL:
                discardPartialLine()
                return nil
            default: return nil                          // NOP, DM, GA, AO, SE and unknown commands
            }
        case .negotiation(let verb):
            state = .data
            return negotiate(verb, byte)
        case .subnegotiation:
            if byte == Telnet.IAC {
                state = .subnegotiationIAC
                return nil
            }
            return countSubnegotiationByte()
        case .subnegotiationIAC:
            switch byte {
            case Telnet.SE:
                state = .data
                return nil
            case Telnet.IAC:
                state = .subnegotiation
                return countSubnegotiationByte()
            default:
                // A command inside a subnegotiation: the peer forgot IAC SE. End it here and
                // read the byte as the command it is.
                state = .iac
                return consume(byte)
            }
        case .escape:
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "O") {
                state = .csi
                return nil
            }
            state = .data
            return data(byte)
        case .csi:
            // Parameters and intermediates are 0x20-0x3F; the final byte is 0x40-0x7E.
            if byte >= 0x40 && byte <= 0x7E || byte < 0x20 { state = .data }
            return keystrokeMode ? .keystroke : nil
        }
    }

    private mutating func countSubnegotiationByte() -> TelnetEvent? {
        subnegotiationLength += 1
        if subnegotiationLength > maxSubnegotiationBytes {
            // Nothing we accept needs a subnegotiation, so a long one is either broken or
            // hostile; report it once and read no more of it.
            state = .data
            position = input.count
            return .subnegotiationTooLong
        }
        return nil
    }

    private mutating func negotiate(_ verb: UInt8, _ option: UInt8) -> TelnetEvent? {
        switch verb {
        case Telnet.WILL:
            // The peer offers an option; we want none of the peer's options.
            guard refusedWill.insert(option).inserted else { return nil }
            return .send([Telnet.IAC, Telnet.DONT, option])
        case Telnet.DO:
            if option == Telnet.optionEcho {
                switch echo {
                case .wantYes:
                    echo = .yes
                    return nil
                case .yes, .wantNo:
                    return nil
                case .no:
                    break
                }
            }
            guard refusedDo.insert(option).inserted else { return nil }
            return .send([Telnet.IAC, Telnet.WONT, option])
        case Telnet.DONT:
            if option == Telnet.optionEcho {
                switch echo {
                case .yes:
                    echo = .no
                    return .send([Telnet.IAC, Telnet.WONT, option])
                case .wantNo, .wantYes:
                    echo = .no
                case .no:
                    break
                }
            }
            return nil
        default:
            return nil                                   // WONT: the option stays off; no answer
        }
    }

    private mutating func data(_ byte: UInt8) -> TelnetEvent? {
        // CR LF and CR NUL end a line once (RFC 854); a lone LF ends one too (nc, scripts).
        if lastWasCR {
            lastWasCR = false
            if byte == 0x0A || byte == 0x00 { return nil }
        }
        if keystrokeMode {
            lastWasCR = byte == 0x0D
            return .keystroke
        }
        switch byte {
        case 0x0D:
            lastWasCR = true
            return endLine()
        case 0x0A:
            return endLine()
        case 0x08, 0x7F:
            eraseCharacter()
            return nil
        case 0x03:
            return .interrupt
        case 0x04:
            return lineLength == 0 ? .endOfInput : nil
        case 0x15:                                       // Ctrl-U erases the line
            discardPartialLine()
            return nil
        case 0x1B:
            state = .escape
            return nil
        case 0x09:
            return store(0x20)
        case 0x00..<0x20:
            return nil                                   // other control characters mean nothing here
        default:
            return store(byte)
        }
    }

    private mutating func store(_ byte: UInt8) -> TelnetEvent? {
        lineLength += 1
        // Past the limit the line is only counted, never stored, so memory stays bounded.
        if lineLength <= maxLineBytes { line.append(byte) }
        return nil
    }

    private var overflowed: Bool { lineLength > maxLineBytes }

    private mutating func endLine() -> TelnetEvent {
        defer { discardPartialLine() }
        if overflowed { return .lineTooLong(lineLength) }
        return .line(line)
    }

    /// Removes the last character, with all its UTF-8 continuation bytes.
    private mutating func eraseCharacter() {
        // An over-long line is lost whatever is erased, so it stays over-long.
        guard lineLength > 0, !overflowed else { return }
        while let last = line.popLast() {
            lineLength -= 1
            if last & 0xC0 != 0x80 { break }
        }
    }
}
