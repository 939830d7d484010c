// swift-tools-version:5.10
// swiftfwd: a DPDK userspace IPv4/IPv6 forwarder. See docs/architecture.md for the module map.
import PackageDescription

// Debian's libdpdk.pc cannot be parsed by SwiftPM, so the DPDK flags are given by hand.
let dpdkIncludes = ["-I/usr/include/dpdk", "-I/usr/include/x86_64-linux-gnu/dpdk"]
// rte_config.h assumes at least SSE4.2 (Debian builds DPDK for that baseline).
let dpdkCFlags = dpdkIncludes + ["-msse4.2", "-mpclmul", "-maes", "-include", "rte_config.h"]
let dpdkLibraries = [
    "rte_eal", "rte_ethdev", "rte_mbuf", "rte_mempool", "rte_ring", "rte_fib", "rte_rib",
    "rte_net", "rte_kvargs", "rte_telemetry", "rte_hash", "rte_rcu", "numa",
]
// The data-plane modules are built with full optimisation and no exclusivity checks: the hot
// path is written with unsafe pointers and explicit single-writer ownership (docs/architecture.md).
// Debug builds (the unit tests) keep every check.
// Test targets that import DPDK-backed modules need the DPDK headers too.
let dpdkTestSwift: [SwiftSetting] = [.unsafeFlags(dpdkIncludes.flatMap { ["-Xcc", $0] } + ["-Xcc", "-msse4.2"])]
let dataPlaneSwift: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "swiftfwd",
    platforms: [.macOS(.v13)],
    products: [.executable(name: "swiftfwd", targets: ["swiftfwd"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "CDPDK",
            cSettings: [.unsafeFlags(dpdkCFlags)],
            linkerSettings: dpdkLibraries.map { .linkedLibrary($0) }
        ),
        .target(
            name: "DPDK",
            dependencies: ["CDPDK", "Packet"],
            swiftSettings: [.unsafeFlags(dpdkIncludes.flatMap { ["-Xcc", $0] } + ["-Xcc", "-msse4.2", "-Xcc", "-mpclmul", "-Xcc", "-maes"])] + dataPlaneSwift
        ),
        .target(name: "Packet", swiftSettings: dataPlaneSwift),
        .target(name: "Forwarding", dependencies: ["Packet"], swiftSettings: dataPlaneSwift),
        // The kernel's routes, neighbors and links over rtnetlink: pure Swift on Glibc sockets,
        // no DPDK (docs/architecture.md, "Kernel mirror").
        .target(name: "Netlink", dependencies: ["Packet"]),
        .target(
            name: "Config",
            // Forwarding for the names of the punt classes the kernel section polices.
            dependencies: ["Packet", "Forwarding", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Dataplane",
            dependencies: ["DPDK", "Packet", "Forwarding", "Config", "Netlink", .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(dpdkIncludes.flatMap { ["-Xcc", $0] } + ["-Xcc", "-msse4.2"])] + dataPlaneSwift
        ),
        .executableTarget(
            name: "swiftfwd",
            dependencies: [
                "Config", "Dataplane", "DPDK", "Console", "Forwarding", "Packet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(dpdkIncludes.flatMap { ["-Xcc", $0] } + ["-Xcc", "-msse4.2"])]
        ),
        // The telnet console and the metrics endpoint: SwiftNIO, no DPDK (docs/console.md).
        .target(
            name: "Console",
            dependencies: [
                "Packet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // What several test targets share (a seeded random generator); no product code.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PacketTests", dependencies: ["Packet", "TestSupport"]),
        .testTarget(
            name: "ConsoleTests",
            dependencies: [
                "Console", "Packet", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ForwardingTests", dependencies: ["Forwarding", "Packet", "TestSupport"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Packet", "Forwarding"]),
        // Codec unit tests, plus tests that run as root in a network namespace of their own.
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "Packet", "TestSupport"]),
        // Pure control-plane rules of the data plane module (no EAL is started).
        .testTarget(
            name: "DataplaneTests",
            dependencies: ["Dataplane", "Forwarding", "Netlink", "Packet"],
            swiftSettings: dpdkTestSwift
        ),
        // Runs EAL in the test process (--no-huge --in-memory): rte_fib against the reference LPM;
        // the worker's fragmenter and ICMP responder on real mbufs (hence Dataplane).
        .testTarget(
            name: "DPDKTests",
            dependencies: ["DPDK", "Dataplane", "Forwarding", "Packet", "TestSupport"],
            swiftSettings: [.unsafeFlags(dpdkIncludes.flatMap { ["-Xcc", $0] } + ["-Xcc", "-msse4.2"])]
        ),
    ]
)
