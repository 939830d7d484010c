import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace made for one test, with a veth pair v0/v1 up inside it, and removed
/// when the test ends whatever happened. Netlink sockets are opened inside it by a thread
/// that joins the namespace with setns(2): a socket keeps the namespace it was created in for
/// its whole life, so the test thread can then use it while its own namespace stays the host's.
///
/// The kernel here has no `dummy` driver ("Unknown device type"), so the interfaces are a
/// veth pair, which every kernel with namespaces has.
final class TestNamespace {
    let name: String
    private(set) var ifindex: [String: Int32] = [:]

    /// Creates the namespace, or skips the test when it cannot (not root, no `ip`).
    init(suffix: String) throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to create network namespaces") }
        guard FileManager.default.isExecutableFile(atPath: TestNamespace.ipPath) else { throw XCTSkip("needs iproute2 (\(TestNamespace.ipPath))") }
        TestNamespace.removeLeftovers()
        name = "swf-nltest-\(getpid())-\(suffix)"
        try TestNamespace.ip(["netns", "add", name])
        do {
            try ip(["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
            try ip(["link", "set", "v0", "up"])
            try ip(["link", "set", "v1", "up"])
            for dev in ["v0", "v1"] {
                let text = try ip(["-o", "link", "show", "dev", dev])
                ifindex[dev] = Int32(text.split(separator: ":").first.map(String.init) ?? "")
            }
        } catch {
            remove()
            throw error
        }
    }

    func remove() {
        _ = try? TestNamespace.ip(["netns", "del", name])
    }

    static let ipPath = "/usr/sbin/ip"

    /// Namespaces of earlier runs whose process is gone (a crash, a killed test).
    static func removeLeftovers() {
        guard let list = try? ip(["netns", "list"]) else { return }
        for line in list.split(separator: "\n") {
            let ns = String(line.split(separator: " ").first ?? "")
            let parts = ns.split(separator: "-")
            guard ns.hasPrefix("swf-nltest-"), parts.count >= 3, let pid = Int32(parts[2]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 { _ = try? ip(["netns", "del", ns]) }
        }
    }

    /// Runs `ip -n <ns> args...`; throws with its output when it fails.
    @discardableResult
    func ip(_ arguments: [String], input: String? = nil) throws -> String {
        try TestNamespace.ip(["-n", name] + arguments, input: input)
    }

    @discardableResult
    static func ip(_ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            // Written from another thread: a large batch must not fill the pipe while `ip`
            // waits for us to read its output.
            let writer = Thread {
                inputPipe.fileHandleForWriting.write(Data(input.utf8))
                try? inputPipe.fileHandleForWriting.close()
            }
            writer.start()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: "ip " + arguments.joined(separator: " "), status: process.terminationStatus, output: text)
        }
        return text
    }

    /// Runs `body` on a fresh thread that has joined this namespace, and returns its result.
    /// The thread ends afterwards, so no thread of the test process stays in the namespace.
    func inside<T>(_ body: @escaping () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let path = "/run/netns/\(name)"
        let thread = Thread {
            defer { box.done.signal() }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                box.result = .failure(CommandFailed(command: "open \(path)", status: errno, output: ""))
                return
            }
            defer { close(fd) }
            guard TestNamespace.setns(fd, TestNamespace.cloneNewNet) == 0 else {
                box.result = .failure(CommandFailed(command: "setns \(path)", status: errno, output: ""))
                return
            }
            box.result = Result { try body() }
        }
        thread.start()
        box.done.wait()
        return try box.result!.get()
    }

    static let cloneNewNet: Int32 = 0x4000_0000

    /// setns(2) is declared by sched.h only with _GNU_SOURCE, which Glibc's module does not
    /// import; glibc exports it, so it is looked up at run time.
    static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
            fatalError("glibc has no setns")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
}

struct CommandFailed: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var output: String
    var description: String { "\(command) failed (status \(status)): \(output)" }
}
