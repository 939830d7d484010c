@testable import Console
import Foundation
import NIOCore
import Packet
import XCTest

/// Every command through a real session on an EmbeddedChannel, against the fake backend.
final class CommandTests: XCTestCase {
    func testGreetingAndPrompt() throws {
        let s = try Session()
        let text = try s.read()
        XCTAssertEqual(text, "swiftfwd 0.9.0-test console. Type \"help\" for the commands, \"quit\" or Ctrl-C to leave.\nswiftfwd> ")
        XCTAssertEqual(try s.run(""), "", "an empty line gives a new prompt")
    }

    func testEveryLineEndsInCRLF() throws {
        let s = try Session()
        _ = try s.readBytes()
        try s.send("show version\r\n")
        let bytes = try s.readBytes()
        for (i, b) in bytes.enumerated() where b == 0x0A {
            XCTAssertEqual(bytes[i - 1], 0x0D, "a bare LF at byte \(i)")
        }
    }

    func testHelp() throws {
        let s = try Session()
        let all = try s.run("help")
        for spec in CommandTable.specs { XCTAssertTrue(all.contains(spec.name), "help does not list \(spec.name)") }
        XCTAssertEqual(try s.run("help sh int"), """
        usage: show interfaces [NAME] [xstats] [json]
          ports: link, MAC, MTU, addresses, counters and rates
          Without NAME every port is shown. Rates are over the last interval of about a second.
          "show interfaces NAME xstats" lists the driver's extended statistics for one port.

        """)
        let show = try s.run("help show")
        XCTAssertTrue(show.contains("usage: show version") && show.contains("usage: show config"), show)
        XCTAssertFalse(show.contains("usage: route add"))
        XCTAssertEqual(try s.run("help frobnicate"), "error: unknown command \"frobnicate\"; type \"help\" for the list of commands\n")
        XCTAssertEqual(try s.run("h r a"), try s.run("help route add"))
    }

    func testCommandTableHasNoCommandInsideAnother() {
        for a in CommandTable.specs {
            for b in CommandTable.specs where a.name != b.name {
                XCTAssertFalse(b.words.starts(with: a.words), "\(a.name) is a prefix of \(b.name)")
            }
        }
    }

    func testAbbreviations() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("sh int"), try s.run("show interfaces"))
        XCTAssertEqual(try s.run("s v"), try s.run("show version"))
        XCTAssertEqual(try s.run("SH WORK"), try s.run("show workers"))
        XCTAssertEqual(try s.run("sh e a"), try s.run("show errors all"))
        XCTAssertEqual(try s.run("sh route 198.18.4.7"), try s.run("show route 198.18.4.7"), "an exact word beats a longer one")
        XCTAssertEqual(try s.run("sh rou"), "error: ambiguous command \"sh rou\": did you mean \"show routes\" or \"show route\"?\n")
        XCTAssertEqual(try s.run("sh int p0 x"), try s.run("show interfaces p0 xstats"))
    }

    func testUnknownCommandsSuggestTheClosest() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("shwo version"), "error: unknown command \"shwo\"; did you mean \"show\"?\n")
        XCTAssertEqual(try s.run("show interfeces"), "error: unknown command \"show interfeces\"; did you mean \"show interfaces\"?\n")
        XCTAssertEqual(try s.run("route dell 198.18.4.0/24"), "error: unknown command \"route dell\"; did you mean \"route del\"?\n")
        XCTAssertEqual(try s.run("xyzzy"), "error: unknown command \"xyzzy\"; type \"help\" for the list of commands\n")
        XCTAssertEqual(try s.run("show"), "error: incomplete command \"show\"; add one of: version, interfaces, workers, rings, punt, sync, errors, routes, route, neighbors, memory, config\n")
        XCTAssertEqual(try s.run("show bananas"), "error: unknown command \"show bananas\"; after \"show\" give one of: version, interfaces, workers, rings, punt, sync, errors, routes, route, neighbors, memory, config\n")
        XCTAssertEqual(try s.run("show version please"), "error: unexpected \"please\" after show version; usage: show version [json]\n")
        let long = String(repeating: "z", count: 300)
        XCTAssertEqual(try s.run(long), "error: unknown command \"\(String(repeating: "z", count: 37))...\"; type \"help\" for the list of commands\n",
                       "echoed words are cut short")
        XCTAssertTrue(s.isOpen)
    }

    func testShowVersion() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show version"), """
        swiftfwd  0.9.0-test
        DPDK      DPDK 22.11.4
        started   2025-06-15 15:06:40 UTC, up 1d 01:01:01
        cores     main 0, workers 1 2

        """)
        let j = try s.json("show version json")
        XCTAssertEqual(j["version"] as? String, "0.9.0-test")
        XCTAssertEqual(j["dpdk_version"] as? String, "DPDK 22.11.4")
        XCTAssertEqual(j["uptime_seconds"] as? Int, 90061)
        XCTAssertEqual(j["worker_cores"] as? [Int], [1, 2])
        XCTAssertEqual(j["started_at"] as? String, "2025-06-15T15:06:40Z")
    }

    func testShowInterfacesWithRates() throws {
        let s = try Session()
        s.core.takeSample()                                     // t = 1000
        s.backend.advance(seconds: 1, packets: 1_000_000)       // t = 1001: 1 Mpps, 64-byte packets
        let text = try s.run("show interfaces")
        XCTAssertEqual(text, """
        p0: link up, 10 Gbps, mtu 1500, mac 02:00:00:00:00:00
          device     net_pcap0,rx_pcap=in.pcap (driver net_pcap)
          addresses  198.18.0.1/24, 2001:db8::1/64
          rx queues  1, RSS off
                 packets     bytes  packet rate  bit rate
          rx     1001000  61.1 MiB    1.00 Mpps  512 Mbps
          tx          10     640 B        0 pps     0 bps
          hw rx  1001001  61.1 MiB
          hw tx       10     640 B
          errors  imissed 3  ierrors 0  rx_nombuf 0  oerrors 0

        p1: link down, unknown, mtu 1280, mac 02:00:00:00:00:01
          device     net_null0,no-rx=1 (driver net_null)
          addresses  198.18.1.1/24
          rx queues  1, RSS off
                 packets     bytes  packet rate  bit rate
          rx           0       0 B        0 pps     0 bps
          tx     1000990  61.1 MiB    1.00 Mpps  512 Mbps
          hw rx        0       0 B
          hw tx      990  61.9 KiB
          errors  imissed 0  ierrors 0  rx_nombuf 0  oerrors 0

        """)
        let one = try s.run("show interfaces p1")
        XCTAssertTrue(one.hasPrefix("p1: link down"), one)
        XCTAssertFalse(one.contains("p0:"))
        XCTAssertEqual(try s.run("show interfaces p2"), "error: no port named \"p2\"; did you mean \"p0\"?\n")
        XCTAssertEqual(try s.run("show interfaces eth0"), "error: no port named \"eth0\"; the ports are p0, p1\n")

        let j = try s.json("show interfaces json")
        let ports = try XCTUnwrap(j["interfaces"] as? [[String: Any]])
        XCTAssertEqual(ports.map { $0["name"] as? String }, ["p0", "p1"])
        let counters = try XCTUnwrap(ports[0]["counters"] as? [String: Any])
        XCTAssertEqual(counters["rx_packets"] as? Int, 1_001_000)
        XCTAssertEqual(counters["imissed"] as? Int, 3)
        let rates = try XCTUnwrap(ports[0]["rates"] as? [String: Any])
        XCTAssertEqual(rates["rx_pps"] as? Double, 1_000_000)
        XCTAssertEqual(rates["rx_bps"] as? Double, 512_000_000)
        XCTAssertEqual(ports[0]["addresses"] as? [String], ["198.18.0.1/24", "2001:db8::1/64"])
        XCTAssertEqual(ports[1]["link_up"] as? Bool, false)
        XCTAssertEqual(j["interval_seconds"] as? Double, 1)
        XCTAssertEqual(try s.json("sh int p0 json")["interfaces"].map { ($0 as? [Any])?.count }, 1)
    }

    func testShowXstats() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show interfaces p0 xstats"), """
        p0 extended statistics (totals from the driver):
          xstat             value
          rx_good_packets    1001
          rx_good_bytes     64064
          rx_missed_errors      3

        """)
        let j = try s.json("show interfaces p0 xstats json")
        XCTAssertEqual((j["xstats"] as? [String: Any])?["rx_good_bytes"] as? Int, 64064)
        XCTAssertEqual(try s.run("show interfaces xstats"), "error: xstats needs a port: show interfaces NAME xstats\n")
        XCTAssertEqual(try s.run("show interfaces p0 extra"), "error: expected \"xstats\" after show interfaces p0, found \"extra\"\n")
    }

    func testShowWorkers() throws {
        let s = try Session()
        s.core.takeSample()
        s.backend.advance(seconds: 2, packets: 4_000_000, busyCyclesPerPacket: 60)
        XCTAssertEqual(try s.run("show workers"), """
        threading: run-to-completion
        core  queues  rx packets  tx packets  drops   busy  cycles/packet  Mpps
           1  p0:0       4001000     4001000      0  99.6%           60.0  2.00
           2  p1:0             0           0      0   0.0%              -  0.00
        (busy, cycles/packet and Mpps over the last 2.0 s)

        """)
        let j = try s.json("show workers json")
        let workers = try XCTUnwrap(j["workers"] as? [[String: Any]])
        XCTAssertEqual(workers[0]["cycles_per_packet"] as? Double, 60)
        XCTAssertEqual(workers[0]["mpps"] as? Double, 2)
        XCTAssertEqual(workers[0]["busy_percent"] as? Double, 99.6)
        XCTAssertTrue(workers[1]["cycles_per_packet"] is NSNull)
        XCTAssertEqual(workers[0]["queues"] as? [String], ["p0:0"])
    }

    /// The fragmentation columns appear once a core has fragmented, and follow clear counters.
    func testShowWorkersWithFragmentation() throws {
        let s = try Session()
        s.core.takeSample()
        s.backend.fragment(packets: 300, into: 900)
        XCTAssertEqual(try s.run("show workers"), """
        threading: run-to-completion
        core  queues  rx packets  tx packets  drops  fragmented  fragments  busy  cycles/packet  Mpps
           1  p0:0          1300        1900      0         300        900  0.0%            0.0  0.00
           2  p1:0             0           0      0           0          0  0.0%              -  0.00
        (busy, cycles/packet and Mpps over the last 1.0 s)

        """)
        let j = try s.json("show workers json")
        let workers = try XCTUnwrap(j["workers"] as? [[String: Any]])
        XCTAssertEqual(workers[0]["ipv4_fragmented"] as? Int, 300)
        XCTAssertEqual(workers[0]["ipv4_fragments"] as? Int, 900)
        XCTAssertEqual(workers[1]["ipv4_fragments"] as? Int, 0)
        _ = try s.run("clear counters")
        let cleared = try s.json("show workers json")
        XCTAssertEqual((cleared["workers"] as? [[String: Any]])?[0]["ipv4_fragmented"] as? Int, 0)
        XCTAssertFalse(try s.run("show workers").contains("fragmented"), "no column while nothing was fragmented since the clear")
    }

    func testRatesBeforeASecondSampleAreZero() throws {
        let s = try Session()
        let text = try s.run("show workers")
        XCTAssertTrue(text.hasSuffix("(rates need a second sample; try again in a second)\n"), text)
        XCTAssertTrue(try s.json("show interfaces json")["interval_seconds"] is NSNull)
    }

    func testShowErrors() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show errors"), """
        reason            core 1  core 2  total  meaning
        ipv4_ttl_expired       7       0      7  TTL was 1 or 0
        no_route               5       1      6  no route matches the destination

        """)
        let all = try s.run("show errors all")
        XCTAssertTrue(all.contains("eth_too_short          0       0      0  frame shorter than an Ethernet header"), all)
        let j = try s.json("show errors all json")
        let drops = try XCTUnwrap(j["drops"] as? [[String: Any]])
        XCTAssertEqual(drops.count, 3)
        XCTAssertEqual(drops[2]["total"] as? Int, 6)
        XCTAssertEqual((drops[2]["per_core"] as? [String: Any])?["2"] as? Int, 1)
        XCTAssertEqual(j["total"] as? Int, 13)
        XCTAssertEqual(try s.json("show errors json")["drops"].map { ($0 as? [Any])?.count }, 2)
    }

    func testClearCountersKeepsABaselineAndWritesNothingToTheBackend() throws {
        let s = try Session()
        let cleared = try s.run("clear counters")
        XCTAssertEqual(cleared, "counters cleared: the console shows them from zero now (the workers' own counters are not changed)\n")
        XCTAssertEqual(try s.run("show errors"), "no drops counted (\"show errors all\" lists every reason)\n")
        let ports = try XCTUnwrap(try s.json("show interfaces json")["interfaces"] as? [[String: Any]])
        XCTAssertEqual((ports[0]["counters"] as? [String: Any])?["rx_packets"] as? Int, 0)
        s.backend.advance(seconds: 1, packets: 5)
        let after = try XCTUnwrap(try s.json("show interfaces json")["interfaces"] as? [[String: Any]])
        XCTAssertEqual((after[0]["counters"] as? [String: Any])?["rx_packets"] as? Int, 5)
        XCTAssertEqual(s.backend.sample().interfaces[0].counters.rxPackets, 1005, "the backend's totals are untouched")
        XCTAssertEqual(s.backend.changes, [])
        // The baseline is the console's: another session sees the cleared counters too.
        let other = try Session(backend: s.backend, core: s.core)
        XCTAssertTrue(try other.run("show workers").contains("      5"))
        XCTAssertEqual(try s.json("clear counters json")["cleared"] as? Bool, true)
    }

    func testShowRoutes() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show routes"), """
        IPv4: 5 of 1024 routes, IPv6: 1 of 1024 routes
        prefix         kind       next hop               resolved
        198.18.0.0/24  connected  dev p0                 yes
        198.18.0.1/32  local      local                  yes
        198.18.1.0/24  connected  dev p1                 yes
        198.18.4.0/24  static     via 198.18.1.2 dev p1  yes
        198.18.8.0/24  static     via 198.18.1.9 dev p1  no
        2001:db8::/64  connected  dev p0                 yes

        """)
        XCTAssertEqual(try s.run("show routes 198.18.0.0/24"), """
        IPv4: 5 of 1024 routes, IPv6: 1 of 1024 routes
        prefix         kind       next hop  resolved
        198.18.0.0/24  connected  dev p0    yes
        198.18.0.1/32  local      local     yes

        """)
        XCTAssertEqual(try s.run("show routes 2001:db8:1::/48"), "IPv4: 5 of 1024 routes, IPv6: 1 of 1024 routes\nno routes inside 2001:db8:1::/48\n")
        let j = try s.json("show routes json")
        let routes = try XCTUnwrap(j["routes"] as? [[String: Any]])
        XCTAssertEqual(routes.count, 6)
        XCTAssertEqual(routes[3]["next_hop"] as? String, "via 198.18.1.2 dev p1")
        XCTAssertTrue(routes[1]["port"] is NSNull)
        XCTAssertEqual((j["usage"] as? [String: Any])?["ipv4_capacity"] as? Int, 1024)
        XCTAssertEqual(try s.json("show routes 2001:db8:9::/48 json")["routes"].map { ($0 as? [Any])?.count }, 0)
    }

    func testShowRoute() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show route 198.18.4.7"), """
        198.18.4.7 matches 198.18.4.0/24 (static)
          next hop  via 198.18.1.2 dev p1
          resolved  yes

        """)
        XCTAssertEqual(try s.run("show route 198.18.8.1"), """
        198.18.8.1 matches 198.18.8.0/24 (static)
          next hop  via 198.18.1.9 dev p1
          resolved  no (no neighbor entry yet; packets are dropped as no_neighbor)

        """)
        XCTAssertEqual(try s.run("show route 198.19.0.1"), "no route matches 198.19.0.1 (packets to it are dropped as no_route)\n")
        XCTAssertEqual(try s.run("show route 2001:db8::77"), "2001:db8::77 matches 2001:db8::/64 (connected)\n  next hop  dev p0\n  resolved  yes\n")
        let j = try s.json("show route 198.18.4.7 json")
        XCTAssertEqual((j["route"] as? [String: Any])?["prefix"] as? String, "198.18.4.0/24")
        XCTAssertTrue(try s.json("show route 198.19.0.1 json")["route"] is NSNull)
        XCTAssertEqual(try s.run("show route"), "error: show route needs an address: show route ADDRESS, e.g. show route 198.18.4.7\n")
        XCTAssertEqual(try s.run("show route 198.18.4.0/24"), "error: show route takes an address, not a prefix; to list the routes inside 198.18.4.0/24 use show routes 198.18.4.0/24\n")
        XCTAssertEqual(try s.run("show route banana"), "error: expected an address such as 198.18.1.2 or 2001:db8::2, found \"banana\"\n")
    }

    func testShowNeighborsMemoryConfig() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("show neighbors"), """
        address      mac                port  source
        198.18.1.2   02:00:00:00:01:02  p1    static
        2001:db8::2  02:00:00:00:01:03  p0    console

        """)
        XCTAssertEqual((try s.json("show neighbors json")["neighbors"] as? [[String: Any]])?.first?["mac"] as? String, "02:00:00:00:01:02")
        XCTAssertEqual(try s.run("show memory"), """
        mbuf pool  8192 mbufs, 2048 in use (25.0%), 6144 free; 19.0 MiB
        hugepages  1.00 GiB, 512 MiB free
        DPDK heap  1.00 GiB, 300 MiB used (29.3%)
        FIB        67.0 MiB

        """)
        let m = try s.json("show memory json")
        XCTAssertEqual((m["mbufs"] as? [String: Any])?["in_use"] as? Int, 2048)
        XCTAssertEqual((m["hugepages"] as? [String: Any])?["free_mb"] as? Int, 512)
        XCTAssertEqual(m["fib_bytes"] as? Int, 67 << 20)
        let config = try s.run("show config")
        XCTAssertTrue(config.contains("  password: \"********\""), config)
        XCTAssertFalse(config.contains("hunter2"))
        XCTAssertFalse((try s.json("show config json")["config"] as? String ?? "hunter2").contains("hunter2"))
    }

    func testPasswordsAreHiddenInEveryYAMLSpelling() {
        let cases: [(String, String)] = [
            ("  password: hunter2", "  password: \"********\""),
            ("  password: \"hun # ter\"  # the secret", "  password: \"********\"  # the secret"),
            ("  password: 'it''s'", "  password: \"********\""),
            ("  password: correct horse battery", "  password: \"********\""),
            ("console: {listen: 127.0.0.1:5002, password: s3cret, max_sessions: 2}",
             "console: {listen: 127.0.0.1:5002, password: \"********\", max_sessions: 2}"),
            ("  password_file: console.pw", "  password_file: console.pw"),
            ("  # no password: here is prose", "  # no password: \"********\""),
        ]
        for (line, expected) in cases { XCTAssertEqual(Views.redactPasswords(line), expected, line) }
        XCTAssertEqual(Views.redactPasswords("console:\n  password: |\n    line one\n    line two\n  max_sessions: 2\nlog:\n"),
                       "console:\n  password: \"********\"\n  max_sessions: 2\nlog:\n")
    }

    func testRouteAndNeighborChanges() throws {
        let s = try Session()
        XCTAssertEqual(try s.run("route add 198.18.16.0/24 via 198.18.1.2"), "route 198.18.16.0/24 via 198.18.1.2 added\n")
        XCTAssertEqual(try s.run("r a 2001:db8:4::/48 d p1"), "route 2001:db8:4::/48 dev p1 added\n")
        XCTAssertEqual(try s.run("route del 198.18.16.0/24"), "route 198.18.16.0/24 deleted\n")
        XCTAssertEqual(try s.run("neighbor add 198.18.1.7 02:00:00:00:01:07 dev p1"), "neighbor 198.18.1.7 02:00:00:00:01:07 dev p1 added\n")
        XCTAssertEqual(try s.run("neighbor del 198.18.1.7"), "neighbor 198.18.1.7 deleted\n")
        let j = try s.json("route add 198.18.17.0/24 via 198.18.1.2 json")
        XCTAssertEqual(j["ok"] as? Bool, true)
        XCTAssertEqual(s.backend.changes, ["add 198.18.16.0/24 via 198.18.1.2", "add 2001:db8:4::/48 dev p1", "del 198.18.16.0/24",
                                           "neighbor 198.18.1.7 02:00:00:00:01:07 p1", "neighbor del 198.18.1.7",
                                           "add 198.18.17.0/24 via 198.18.1.2"])
        s.backend.refuseNext = ConsoleError("no route 198.18.99.0/24 to delete")
        XCTAssertEqual(try s.run("route del 198.18.99.0/24"), "error: no route 198.18.99.0/24 to delete\n")
        s.backend.refuseNext = ConsoleError("the IPv4 table is full (1024 routes)")
        XCTAssertEqual(try s.json("route add 198.18.99.0/24 dev p0 json")["error"] as? String, "the IPv4 table is full (1024 routes)")
        XCTAssertTrue(s.log.lines.contains("info: console: route 198.18.16.0/24 via 198.18.1.2 added (session from 127.0.0.1:40000)"),
                      "\(s.log.lines)")
    }

    func testRouteAndNeighborParseErrors() throws {
        let s = try Session()
        let cases: [(String, String)] = [
            ("route add", "route add needs a prefix and a next hop: route add PREFIX via ADDRESS or route add PREFIX dev PORT"),
            ("route add 198.18.4.0/24", "route add 198.18.4.0/24 needs a next hop: route add PREFIX via ADDRESS or route add PREFIX dev PORT"),
            ("route add 198.18.4.1/24 via 198.18.1.2", "198.18.4.1/24 has host bits set; did you mean 198.18.4.0/24?"),
            ("route add 2001:db8:4::1/48 dev p1", "2001:db8:4::1/48 has host bits set; did you mean 2001:db8:4::/48?"),
            ("route add 198.18.4.0/33 via 198.18.1.2", "the prefix length in \"198.18.4.0/33\" must be between 0 and 32 for IPv4"),
            ("route add 198.18.4.0 via 198.18.1.2", "\"198.18.4.0\" has no prefix length; write it as 198.18.4.0/32 for this one address, or give the length of the network"),
            ("route add banana/24 via 198.18.1.2", "expected a prefix such as 198.18.4.0/24 or 2001:db8:4::/48, found \"banana/24\""),
            ("route add 198.18.4.0/24 through 198.18.1.2", "expected \"via\" or \"dev\" after route add 198.18.4.0/24, found \"through\""),
            ("route add 198.18.4.0/24 via", "route add 198.18.4.0/24 via needs a next-hop address"),
            ("route add 198.18.4.0/24 dev", "route add 198.18.4.0/24 dev needs a port name"),
            ("route add 198.18.4.0/24 via 2001:db8::1", "route 198.18.4.0/24 is IPv4 but its next hop 2001:db8::1 is IPv6; give an IPv4 next hop"),
            ("route add 198.18.4.0/24 via 198.18.1.2/32", "expected a next-hop address without a prefix length, found \"198.18.1.2/32\""),
            ("route add 198.18.4.0/24 dev p9", "no port named \"p9\"; did you mean \"p0\"?"),
            ("route add 198.18.4.0/24 via 198.18.1.2 now", "unexpected \"now\" after route add 198.18.4.0/24 via 198.18.1.2; usage: route add PREFIX via ADDRESS or route add PREFIX dev PORT"),
            ("route del", "route del needs a prefix: route del PREFIX, e.g. route del 198.18.4.0/24"),
            ("route del 198.18.4.0/24 extra", "unexpected \"extra\" after route del; usage: route del PREFIX [json]"),
            ("neighbor add 198.18.1.7", "neighbor add needs an address, a MAC and a port: neighbor add ADDRESS MAC dev PORT, e.g. neighbor add 198.18.1.2 02:00:00:00:01:02 dev p1"),
            ("neighbor add 198.18.1.7 02:00:00:00:01 dev p1", "expected a MAC address such as 02:00:00:00:01:02, found \"02:00:00:00:01\""),
            ("neighbor add 198.18.1.7 01:00:5e:00:00:01 dev p1", "01:00:5e:00:00:01 is a group (multicast) MAC address, but a neighbor needs a unicast MAC (first octet even)"),
            ("neighbor add 198.18.1.7 00:00:00:00:00:00 dev p1", "00:00:00:00:00:00 is not a usable MAC address; a neighbor needs a unicast MAC"),
            ("neighbor add 198.18.1.7 02:00:00:00:01:07 port p1", "expected \"dev\" after neighbor add 198.18.1.7 02:00:00:00:01:07, found \"port\""),
            ("neighbor add 198.18.1.7 02:00:00:00:01:07 dev p7", "no port named \"p7\"; did you mean \"p0\"?"),
            ("neighbor add 198.18.1.0/24 02:00:00:00:01:07 dev p1", "expected a neighbor address without a prefix length, found \"198.18.1.0/24\""),
            ("neighbor del", "neighbor del needs an address: neighbor del ADDRESS"),
            ("neighbor del banana", "expected a neighbor address such as 198.18.1.2 or 2001:db8::2, found \"banana\""),
        ]
        for (line, message) in cases {
            XCTAssertEqual(try s.run(line), "error: \(message)\n", line)
        }
        XCTAssertEqual(try s.json("route add 198.18.4.1/24 via 198.18.1.2 json")["error"] as? String,
                       "198.18.4.1/24 has host bits set; did you mean 198.18.4.0/24?")
        XCTAssertEqual(s.backend.changes, [], "nothing reached the backend")
        XCTAssertTrue(s.isOpen)
    }

    func testEveryCommandGivesJSONThatParses() throws {
        let s = try Session()
        s.core.takeSample()
        s.backend.advance(seconds: 1, packets: 100)
        let lines = ["show version", "show interfaces", "show interfaces p0", "show interfaces p0 xstats", "show workers", "show errors",
                     "show errors all", "show routes", "show routes 198.18.0.0/16", "show route 198.18.4.1", "show route 198.19.0.1",
                     "show neighbors", "show memory", "show config", "clear counters", "route add 198.18.4.0/24 via 198.18.1.2",
                     "route add 198.18.4.0/24 dev p1", "route del 198.18.4.0/24", "neighbor add 198.18.1.3 02:00:00:00:00:09 dev p1",
                     "neighbor del 198.18.1.3", "show interfaces nosuch", "route add x via y"]
        for line in lines {
            let object = try s.json(line + " json")
            XCTAssertFalse(object.isEmpty, line)
        }
    }

    func testRoutesStreamAsTheClientReads() throws {
        let backend = FakeBackend()
        backend.setRoutes((0..<20_000).map { i in
            RouteInfo(prefix: .v4(IPv4Prefix(address: IPv4Address(UInt32(0xC612_0000) + UInt32(i) << 8), length: 24)!),
                      kind: "static", nextHop: "via 198.18.1.2 dev p1", port: "p1", resolved: true)
        })
        let s = try Session(backend: backend)
        _ = try s.read()
        try s.send("show routes\r\n")
        var text = try s.read()
        XCTAssertTrue(text.hasSuffix("swiftfwd> "))
        XCTAssertEqual(text.split(separator: "\n").count, 20_003, "usage, header, 20,000 routes and the prompt")

        // A client that stops reading: output stops at the first piece after the channel
        // becomes unwritable, and resumes when it is writable again.
        try s.send("show routes json\r\n")
        var received = try s.readBytes()
        s.channel.isWritable = false
        s.channel.pipeline.fireChannelWritabilityChanged()
        try s.send("show routes\r\n")
        received += try s.readBytes()
        XCTAssertTrue(String(decoding: received, as: UTF8.self).hasSuffix("swiftfwd> "), "the first answer was written while writable")
        XCTAssertEqual(try s.readBytes(), [], "nothing is produced while the client does not read")
        s.channel.isWritable = true
        s.channel.pipeline.fireChannelWritabilityChanged()
        text = try s.read()
        XCTAssertTrue(text.hasSuffix("swiftfwd> "))
        XCTAssertEqual(text.split(separator: "\n").count, 20_003)
        let json = try JSONSerialization.jsonObject(with: Data(String(decoding: received, as: UTF8.self).dropLast("swiftfwd> ".count).utf8))
        XCTAssertEqual(((json as? [String: Any])?["routes"] as? [Any])?.count, 20_000)
    }

    func testQuitAndCtrlDAndCtrlC() throws {
        let s = try Session()
        _ = try s.read()
        try s.send("quit\r\n")
        XCTAssertEqual(try s.read(), "bye\n")
        XCTAssertFalse(s.isOpen)

        let d = try Session()
        try d.send([0x04])
        XCTAssertFalse(d.isOpen, "Ctrl-D on an empty line ends the session")

        for interrupt: [UInt8] in [[0x03], [255, 244], Array("show ver".utf8) + [255, 244]] {
            let c = try Session()
            try c.send(interrupt)
            XCTAssertFalse(c.isOpen, "\(interrupt) did not end the session")
        }
    }
}
