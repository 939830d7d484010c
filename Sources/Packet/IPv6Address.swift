/// An IPv6 address as two 64-bit halves in host order (high = first 8 bytes on the wire).
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    /// Reads 16 bytes in network order.
    @inlinable public init(bytes p: UnsafeRawPointer) {
        high = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        low = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Writes 16 bytes in network order.
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: high.bigEndian, as: UInt64.self)
        p.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    public var bytes: [UInt8] {
        (0..<16).map { (i: Int) -> UInt8 in
            let half: UInt64 = i < 8 ? high : low
            let shift = UInt64(56 - 8 * (i % 8))
            return UInt8(truncatingIfNeeded: half >> shift)
        }
    }

    /// Parses RFC 4291 section 2.2 text forms, including "::" and a trailing dotted quad.
    public init?(_ text: String) {
        guard !text.isEmpty, text.count <= 45 else { return nil }
        // A lone colon at either end is malformed ("::" is the only form that may start or end).
        if text.hasPrefix(":") && !text.hasPrefix("::") { return nil }
        if text.hasSuffix(":") && !text.hasSuffix("::") { return nil }
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        var seenDoubleColon = false
        var rest = Substring(text)
        if rest.hasPrefix("::") {
            seenDoubleColon = true
            rest = rest.dropFirst(2)
        }
        if rest.isEmpty && !seenDoubleColon { return nil }
        var pieces = rest.isEmpty ? [] : rest.split(separator: ":", omittingEmptySubsequences: false)
        // Handle "a::b" by finding the empty piece produced by "::" in the middle or end.
        var index = 0
        while index < pieces.count {
            let piece = pieces[index]
            if piece.isEmpty {
                // Only a single "::" is allowed; "a::" leaves a trailing empty piece pair.
                guard !seenDoubleColon else { return nil }
                seenDoubleColon = true
                if index == pieces.count - 2 && pieces[index + 1].isEmpty { pieces.removeLast() }
                index += 1
                continue
            }
            if piece.contains(".") {
                // An embedded IPv4 address must be the last piece.
                guard index == pieces.count - 1, let v4 = IPv4Address(piece) else { return nil }
                let hi = UInt16(truncatingIfNeeded: v4.value >> 16), lo = UInt16(truncatingIfNeeded: v4.value)
                if seenDoubleColon { tail += [hi, lo] } else { groups += [hi, lo] }
                index += 1
                continue
            }
            // UInt16(_:radix:) would accept a sign ("+1", "-0"): require hex digits only.
            guard piece.count <= 4, piece.allSatisfy(\.isHexDigit), let g = UInt16(piece, radix: 16) else { return nil }
            if seenDoubleColon { tail.append(g) } else { groups.append(g) }
            index += 1
        }
        let total = groups.count + tail.count
        if seenDoubleColon {
            guard total <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - total) + tail
        } else {
            guard total == 8 else { return nil }
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h
        low = l
    }

    /// RFC 5952 canonical text: lower case, longest run of two or more zero groups as "::".
    public var description: String {
        let groups = (0..<8).map { (i: Int) -> UInt16 in
            let half: UInt64 = i < 4 ? high : low
            let shift = UInt64(48 - 16 * (i % 4))
            return UInt16(truncatingIfNeeded: half >> shift)
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }

    /// fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0x3FA }

    @inlinable public static func < (a: IPv6Address, b: IPv6Address) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    @inlinable public func masked(_ length: UInt8) -> IPv6Address {
        let l = UInt64(length)
        if l == 0 { return IPv6Address(high: 0, low: 0) }
        if l <= 64 { return IPv6Address(high: high & (UInt64.max << (64 - l)), low: 0) }
        if l == 128 { return self }
        return IPv6Address(high: high, low: low & (UInt64.max << (128 - l)))
    }
}

/// An IPv6 prefix; the address is stored with its host bits cleared.
public struct IPv6Prefix: Hashable, Sendable, CustomStringConvertible {
    public let address: IPv6Address
    public let length: UInt8

    public init?(address: IPv6Address, length: UInt8) {
        guard length <= 128 else { return nil }
        self.address = address.masked(length)
        self.length = length
    }

    public init?(_ text: String) {
        guard let (addr, len) = parseAddressAndLength(text, maxLength: 128),
              let address = IPv6Address(String(addr)) else { return nil }
        self.init(address: address, length: len)
    }

    @inlinable public func contains(_ a: IPv6Address) -> Bool { a.masked(length) == address }

    public var description: String { "\(address)/\(length)" }
}
