import XCTest
// Every file of this target uses the shared seeded generator without importing it again.
@_exported import TestSupport
import Packet
@testable import Netlink

/// Bytes from "3c 00 00 00 ..." (whitespace and newlines ignored), for messages written by hand
/// as the kernel would send them.
func hexBytes(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// Decodes a datagram and expects exactly one message, decoded.
func decodeOne(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> KernelMessage? {
    let results = KernelMessageDecoder.decodeAll(bytes)
    guard results.count == 1 else {
        XCTFail("expected one message, got \(results.count): \(results)", file: file, line: line)
        return nil
    }
    switch results[0] {
    case .success(let m): return m
    case .failure(let e):
        XCTFail("decode failed: \(e)", file: file, line: line)
        return nil
    }
}

/// Decodes a datagram and expects a decode error (never a crash, never a value).
func decodeError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> NetlinkDecodeError? {
    let results = KernelMessageDecoder.decodeAll(bytes)
    for result in results {
        if case .failure(let e) = result { return e }
    }
    XCTFail("expected a decode error, got \(results)", file: file, line: line)
    return nil
}

extension KernelMessage.Object {
    var route: KernelRoute? { if case .route(let r) = self { return r } else { return nil } }
    var neighbor: KernelNeighbor? { if case .neighbor(let n) = self { return n } else { return nil } }
    var link: KernelLink? { if case .link(let l) = self { return l } else { return nil } }
    var address: KernelAddress? { if case .address(let a) = self { return a } else { return nil } }
}

func v4(_ text: String) -> IPAddress { .v4(IPv4Address(text)!) }
func v6(_ text: String) -> IPAddress { .v6(IPv6Address(text)!) }
func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }
func mac(_ text: String) -> MACAddress { MACAddress(text)! }
