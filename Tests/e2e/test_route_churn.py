"""Route churn under traffic: every packet leaves by a port its route allowed, with that port's
neighbor MAC, and nothing is lost to a half-updated table.

Four af_packet ports on veth pairs whose other ends sit in a namespace of this test's own: `in`
receives the traffic, `a`, `b` and `c` each have one neighbor (IPv4 and IPv6). A sender in the
namespace sends numbered UDP frames round robin to one address in each of these prefixes, at
RATE frames per second, while one console session sends route changes back to back
(pipelined, batched by the forwarder):

  alternating  12 IPv4 /24 + 12 IPv6 /48, always routed; each one's next hop goes back and forth
               between two of the three ports (a/b, b/c or c/a) with `route add` (a replace):
               allowed on those two ports, never on the third; not one frame may be lost;
  flapping     6 IPv4 /24 added (via one port) and deleted in turn, under 198.19.64.0/18 via c:
               allowed on their port and on c, never lost; 6 IPv6 /48 added and deleted with
               nothing under them: allowed on their port, or dropped as no_route;
  unrouted     one IPv4 and one IPv6 prefix never routed: always no_route.

tcpdump captures what each port sends. Checked: every captured frame went out of a port its
prefix's route named at some moment, with the source MAC of that port and the destination MAC
of its neighbor, TTL or hop limit one less, a valid IPv4 checksum, and its number intact and
seen once; nothing went out of `in`; every frame to an always-routed prefix arrived; the
forwarder's counters add up (received = sent + dropped, sent per port = captured per port,
no_route = exactly the frames to flapping IPv6 and unrouted prefixes that did not arrive, no
other drop). Only 198.18.0.0/15 and 2001:db8::/32; the namespace and veths are removed
whatever happens.
"""
import ipaddress
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

import pktlib
from e2elib import small_eal

HERE = Path(__file__).resolve().parent
PROMPT = b"swiftfwd> "
RATE = 2000                 # frames per second from the sender
# The `in` port's af_packet ring, in frames: the worker may be starved of CPU for seconds on a
# loaded 2-core machine (tests run niced), and what the ring cannot hold the kernel drops before
# the forwarder sees it. 16384 frames is 8 s at RATE.
RING_FRAMES = 16384
WARMUP = 2.0                # seconds of traffic before the churn starts
CHURN = 12.0                # seconds of route changes
TAIL = 1.5                  # seconds of traffic after the last change
MIN_CHANGES = 20000         # the churn must reach at least this many changes to mean anything
PORTS = ["in", "a", "b", "c"]
PORT_V4 = {"in": "198.18.0", "a": "198.18.1", "b": "198.18.2", "c": "198.18.3"}
PORT_V6 = {"in": "2001:db8:0", "a": "2001:db8:1", "b": "2001:db8:2", "c": "2001:db8:3"}


class Plan:
    """The prefixes, which ports each may use, and one destination in each."""

    def __init__(self):
        egress = ["a", "b", "c"]
        # name -> (prefix, family, allowed ports, destination, kind)
        self.prefixes = {}
        for i in range(12):
            pair = (egress[i % 3], egress[(i + 1) % 3])
            self.prefixes[f"alt4-{i}"] = (f"198.19.{i}.0/24", 4, pair, f"198.19.{i}.7", "alternating")
            self.prefixes[f"alt6-{i}"] = (f"2001:db8:{0x100 + i:x}::/48", 6, pair, f"2001:db8:{0x100 + i:x}::7", "alternating")
        for i in range(6):
            port = egress[i % 3]
            self.prefixes[f"flap4-{i}"] = (f"198.19.{64 + i}.0/24", 4, (port, "c"), f"198.19.{64 + i}.7", "flapping")
            self.prefixes[f"flap6-{i}"] = (f"2001:db8:{0x200 + i:x}::/48", 6, (port,), f"2001:db8:{0x200 + i:x}::7", "flapping")
        self.prefixes["none4"] = ("198.19.200.0/24", 4, (), "198.19.200.7", "unrouted")
        self.prefixes["none6"] = ("2001:db8:ff00::/48", 6, (), "2001:db8:ff00::7", "unrouted")
        self.names = list(self.prefixes)

    @staticmethod
    def gateway(port, family):
        return f"{PORT_V4[port]}.2" if family == 4 else f"{PORT_V6[port]}::2"

    def may_drop(self, name):
        """Whether a frame to this prefix may be dropped (as no_route) at some moment."""
        prefix, family, allowed, _, kind = self.prefixes[name]
        return kind == "unrouted" or (kind == "flapping" and family == 6)


class Net:
    """Four veth pairs; the forwarder's ends in the root namespace, the others in ours."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.ns = f"swc-{tag}"
        octets = ":".join(tag[i:i + 2] for i in (0, 2, 4))
        self.root = {p: f"swc{tag}{p[0]}" for p in PORTS}
        self.peer = {p: f"swc{tag}{p[0]}h" for p in PORTS}
        self.router_mac = {p: f"02:{octets}:00:{i:02x}" for i, p in enumerate(PORTS)}
        self.neighbor_mac = {p: f"02:{octets}:01:{i:02x}" for i, p in enumerate(PORTS)}

    def sh(self, *cmd):
        subprocess.run(cmd, check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)

    def up(self):
        self.sh("ip", "netns", "add", self.ns)
        # No IPv6 and no ARP on either end: the kernels send nothing of their own, so every
        # frame the forwarder sees is the test's, and every frame captured is the forwarder's.
        self.sh("ip", "netns", "exec", self.ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1")
        for p in PORTS:
            root, peer = self.root[p], self.peer[p]
            self.sh("ip", "link", "add", root, "address", self.router_mac[p], "type", "veth",
                    "peer", "name", peer, "address", self.neighbor_mac[p])
            with open(f"/proc/sys/net/ipv6/conf/{root}/disable_ipv6", "w") as f:
                f.write("1")
            self.sh("ip", "link", "set", root, "arp", "off", "up")
            self.sh("ip", "link", "set", peer, "netns", self.ns)
            self.sh("ip", "netns", "exec", self.ns, "sysctl", "-qw", f"net.ipv6.conf.{peer}.disable_ipv6=1")
            self.sh("ip", "-n", self.ns, "link", "set", peer, "arp", "off", "up")

    def down(self):
        for p in PORTS:
            subprocess.run(["ip", "link", "del", self.root[p]], capture_output=True, stdin=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)

    def leftovers(self):
        return ([self.ns] if os.path.exists(f"/run/netns/{self.ns}") else []) + \
               [r for r in self.root.values() if os.path.exists(f"/sys/class/net/{r}")]

    def config(self, path, prefix, console_port, plan):
        # No ICMP errors: the frames to prefixes without a route at that moment would get a
        # "no route" error back out of `in`, and this test checks what leaves by the routes only.
        lines = [small_eal(prefix, console=True), "icmp_errors: {enabled: false}", "ports:"]
        for i, p in enumerate(PORTS):
            ring = f",framecnt={RING_FRAMES}" if p == "in" else ""
            lines += [f"  - name: {p}", f"    device: net_af_packet{i},iface={self.root[p]}{ring}",
                      f"    mac: \"{self.router_mac[p]}\"",
                      f"    addresses: [{PORT_V4[p]}.1/24, \"{PORT_V6[p]}::1/64\"]"]
        lines.append("neighbors:")
        for p in PORTS[1:]:
            for family in (4, 6):
                lines.append(f"  - {{address: \"{plan.gateway(p, family)}\", mac: \"{self.neighbor_mac[p]}\", port: {p}}}")
        lines.append("routes:")
        lines.append(f"  - {{prefix: 198.19.64.0/18, via: {plan.gateway('c', 4)}}}")
        for name, (prefix, family, allowed, _, kind) in plan.prefixes.items():
            if kind == "alternating":
                lines.append(f"  - {{prefix: \"{prefix}\", via: \"{plan.gateway(allowed[0], family)}\"}}")
        lines.append(f"console:\n  listen: 127.0.0.1:{console_port}\n  idle_timeout: 0")
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture
def net(needs_root):
    n = Net()
    try:
        n.up()
        yield n
    finally:
        n.down()
    assert n.leftovers() == [], f"not removed: {n.leftovers()}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def templates(path, net, plan):
    """One tagged UDP frame per prefix, in plan order, addressed to the router's `in` port."""
    frames = []
    for name in plan.names:
        _, family, _, dst, _ = plan.prefixes[name]
        data = pktlib.tagged(0, 32)
        if family == 4:
            l3 = pktlib.ipv4("198.18.0.2", dst, pktlib.udp(4000, 9, data), ttl=64)
            frames.append(pktlib.ethernet(net.router_mac["in"], net.neighbor_mac["in"], pktlib.ETH_IPV4, l3))
        else:
            # UDP checksum 0: never looked at by a router, and the sender rewrites the data.
            l3 = pktlib.ipv6("2001:db8:0::2", dst, pktlib.udp(4000, 9, data), hop_limit=64)
            frames.append(pktlib.ethernet(net.router_mac["in"], net.neighbor_mac["in"], pktlib.ETH_IPV6, l3))
    pktlib.write_pcap(path, frames)


class Capture:
    """tcpdump on one namespace end: what the forwarder sent out of that port."""

    def __init__(self, net, port, workdir):
        self.path = workdir / f"{port}.pcap"
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", net.ns, "tcpdump", "-i", net.peer[port], "-Q", "in", "-U", "-n",
             "-B", "32768", "-w", str(self.path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        self.stderr = ""
        deadline = time.monotonic() + 20
        line = self.proc.stderr.readline()
        while "listening on" not in line:
            assert self.proc.poll() is None and time.monotonic() < deadline, f"tcpdump on {port} did not start: {line}"
            line = self.proc.stderr.readline()

    def stop(self):
        self.proc.send_signal(2)
        _, rest = self.proc.communicate(timeout=20)
        self.stderr = rest
        dropped = [l for l in rest.splitlines() if "dropped by kernel" in l]
        return int(dropped[0].split()[0]) if dropped else 0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Churn:
    """Route changes over one console session, sent back to back while a reader counts the
    answers. Records every port each prefix was ever routed to."""

    def __init__(self, port, plan):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        buffer = b""
        while PROMPT not in buffer:
            chunk = self.sock.recv(4096)
            assert chunk, "the console closed"
            buffer += chunk
        self.plan = plan
        self.sent = 0
        self.answers = 0
        self.errors = []
        self.ever = {name: set() for name in plan.names}
        for name, (_, _, allowed, _, kind) in plan.prefixes.items():
            if kind == "alternating":
                self.ever[name] = {allowed[0]}
            elif name.startswith("flap4"):
                self.ever[name] = {"c"}         # the covering /18
        self._stop = threading.Event()

    def _rounds(self):
        flapped = {name: False for name in self.plan.names if name.startswith("flap")}
        r = 0
        while not self._stop.is_set():
            lines = []
            for name, (prefix, family, allowed, _, kind) in self.plan.prefixes.items():
                if kind == "alternating":
                    port = allowed[(r + 1) % 2]
                    lines.append(f"route add {prefix} via {self.plan.gateway(port, family)}")
                    self.ever[name].add(port)
                elif kind == "flapping":
                    if flapped[name]:
                        lines.append(f"route del {prefix}")
                    else:
                        lines.append(f"route add {prefix} via {self.plan.gateway(allowed[0], family)}")
                        self.ever[name].add(allowed[0])
                    flapped[name] = not flapped[name]
            yield lines
            r += 1

    def run(self, seconds):
        def read():
            tail = b""
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    return
                buf = tail + data
                self.answers += buf.count(PROMPT)
                at = buf.find(b"error:")
                if at >= 0 and len(self.errors) < 5:
                    self.errors.append(buf[at:at + 200].split(b"\r\n")[0].decode(errors="replace"))
                tail = buf[-(len(PROMPT) - 1):]
                if self._stop.is_set() and self.answers >= self.sent:
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        started = time.monotonic()
        for lines in self._rounds():
            self.sock.sendall(("\r\n".join(lines) + "\r\n").encode())
            self.sent += len(lines)
            if time.monotonic() - started >= seconds:
                self._stop.set()
        reader.join(60)
        elapsed = time.monotonic() - started
        self.sock.sendall(b"quit\r\n")
        self.sock.close()
        return elapsed


def ask_json(port, line):
    """One console command's JSON answer, over a session of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        buffer = b""

        def until_prompt():
            nonlocal buffer
            while PROMPT not in buffer:
                chunk = sock.recv(65536)
                assert chunk, "the console closed"
                buffer += chunk
            answer, _, buffer = buffer.partition(PROMPT)
            return answer

        until_prompt()                                  # the greeting
        sock.sendall(line.encode() + b" json\r\n")
        return json.loads(until_prompt())


def wait_until_captured(port, sent, captures, timeout=30):
    """Waits until the forwarder has received all `sent` frames and sent or dropped each, and
    tcpdump has written every frame it sent: on a loaded machine the worker and tcpdump may lag
    behind the sender, and what is not written when tcpdump stops is never seen."""
    deadline = time.monotonic() + timeout
    while True:
        ports = {p["name"]: p["counters"] for p in ask_json(port, "show interfaces")["interfaces"]}
        dropped = sum(d["total"] for d in ask_json(port, "show errors all")["drops"])
        received = ports["in"]["rx_packets"]
        transmitted = sum(ports[p]["tx_packets"] for p in PORTS)
        try:
            captured = sum(len(pktlib.read_pcap(c.path)) for c in captures.values())
        except (ValueError, OSError):
            captured = -1       # a record half written: look again
        if received >= sent and transmitted + dropped >= received and captured >= transmitted:
            return
        assert time.monotonic() < deadline, f"after {timeout}s the forwarder had received {received} of {sent} frames, " \
                                             f"sent {transmitted} and dropped {dropped}; tcpdump had {captured}"
        time.sleep(0.2)


def test_route_churn_under_traffic(net, dpdk_prefix, forwarder, tmp_path):
    plan = Plan()
    console_port = free_port()
    fwd = forwarder(net.config(tmp_path / "churn.yaml", dpdk_prefix, console_port, plan)).start()
    fwd.wait_forwarding()
    deadline = time.monotonic() + 60
    while f"console listening on 127.0.0.1:{console_port}" not in fwd.output():
        assert fwd.proc.poll() is None and time.monotonic() < deadline, fwd.describe()
        time.sleep(0.05)

    templates(tmp_path / "templates.pcap", net, plan)
    captures = {p: Capture(net, p, tmp_path) for p in PORTS}
    sender = None
    try:
        sender = subprocess.Popen(["ip", "netns", "exec", net.ns, "python3", str(HERE / "rawsend.py"), net.peer["in"],
                                   str(tmp_path / "templates.pcap"), str(RATE)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        time.sleep(WARMUP)
        churn = Churn(console_port, plan)
        churn_seconds = churn.run(CHURN)
        time.sleep(TAIL)
        sender.send_signal(15)
        out, _ = sender.communicate(timeout=20)
        assert sender.returncode == 0, out
        sent = int(out.split("sent=")[1].split()[0])
        wait_until_captured(console_port, sent, captures)
        kernel_drops = {p: c.stop() for p, c in captures.items()}
    finally:
        if sender and sender.poll() is None:
            sender.kill()
        for c in captures.values():
            c.kill()
    status = fwd.stop()
    assert status == 0, fwd.describe()
    stats = fwd.stats()
    rate = churn.answers / churn_seconds
    print(f"churn: {churn.answers} changes in {churn_seconds:.1f} s = {rate:.0f}/s; frames sent {sent}")
    assert churn.errors == [], churn.errors
    assert churn.answers == churn.sent, f"{churn.sent} changes sent, {churn.answers} answered"
    assert churn.answers >= MIN_CHANGES, f"only {churn.answers} changes in {churn_seconds:.1f} s"
    assert kernel_drops == {p: 0 for p in PORTS}, f"tcpdump lost frames: {kernel_drops}"

    # Every captured frame: right port for its prefix at some moment, rewritten for that port.
    seen = {}
    per_name_port = {}
    for port in PORTS:
        for frame in pktlib.read_pcap(captures[port].path):
            assert port != "in", f"a frame went back out of the input port: {frame.hex()}"
            eth = pktlib.parse_ethernet(frame)
            seq = pktlib.find_tag(frame)
            assert seq is not None and seq < sent, f"{port}: a frame the sender did not send: {frame.hex()}"
            assert seq not in seen, f"frame {seq} left twice ({seen[seq]} and {port})"
            seen[seq] = port
            name = plan.names[seq % len(plan.names)]
            prefix, family, allowed, dst, kind = plan.prefixes[name]
            assert port in churn.ever[name], \
                f"frame {seq} to {dst} ({kind} {prefix}) left by {port}, but its route only ever named {sorted(churn.ever[name])}"
            assert eth["src"] == net.router_mac[port] and eth["dst"] == net.neighbor_mac[port], \
                f"frame {seq} on {port}: MACs {eth['src']} -> {eth['dst']}, expected {net.router_mac[port]} -> {net.neighbor_mac[port]}"
            if family == 4:
                ip = pktlib.parse_ipv4(eth["payload"])
                assert eth["ethertype"] == pktlib.ETH_IPV4 and ip["dst"] == dst and ip["ttl"] == 63, (seq, ip)
                assert pktlib.ipv4_header_valid(ip["header"]), f"frame {seq}: bad IPv4 checksum"
            else:
                ip = pktlib.parse_ipv6(eth["payload"])
                assert eth["ethertype"] == pktlib.ETH_IPV6 and ipaddress.ip_address(ip["dst"]) == ipaddress.ip_address(dst) \
                    and ip["hop_limit"] == 63, (seq, ip)
            per_name_port.setdefault(name, set()).add(port)

    ports = {p["name"]: p for p in stats["ports"]}
    drops = {k: v for k, v in stats["drops"].items() if v}
    print(f"frames sent {sent}, captured {len(seen)}; forwarder sent " +
          ", ".join(f"{p} {ports[p]['tx_packets']}" for p in PORTS[1:]) + f"; drops {drops}")
    # Every frame sent reached the forwarder; otherwise what follows cannot tell its losses apart.
    assert ports["in"]["rx_packets"] == sent and ports["in"]["hw"]["imissed"] == 0, \
        f"{sent} frames sent, the forwarder received {ports['in']['rx_packets']} ({ports['in']['hw']}): the kernel " \
        f"dropped frames before the forwarder (its af_packet ring holds {RING_FRAMES}; was the worker starved of CPU?)"
    # Frames to always-routed prefixes: not one lost.
    lost = [s for s in range(sent) if s not in seen and not plan.may_drop(plan.names[s % len(plan.names)])]
    assert lost == [], f"{len(lost)} frames to always-routed prefixes did not arrive, first {lost[:10]} " \
                       f"({[plan.names[s % len(plan.names)] for s in lost[:10]]})"
    # The churn really moved the traffic: each alternating prefix used both its ports.
    for name, (_, _, allowed, _, kind) in plan.prefixes.items():
        if kind == "alternating":
            assert per_name_port.get(name) == set(allowed), f"{name} left only by {per_name_port.get(name)}"
    assert not per_name_port.get("none4") and not per_name_port.get("none6")

    # The forwarder's counters add up, and agree with the captures.
    rx = sum(p["rx_packets"] for p in ports.values())
    tx = sum(p["tx_packets"] for p in ports.values())
    assert rx == tx + sum(drops.values()), f"received {rx} != sent {tx} + dropped {drops}"
    for port in PORTS:
        captured = sum(1 for p in seen.values() if p == port)
        assert ports[port]["tx_packets"] == captured, f"{port}: forwarder sent {ports[port]['tx_packets']}, captured {captured}"
    not_arrived = sum(1 for s in range(sent) if s not in seen)
    assert drops == ({"no_route": not_arrived} if not_arrived else {}), f"drops {drops}; {not_arrived} frames did not arrive"
    assert stats["mempool"]["leaked"] == 0
    assert "route changes:" in fwd.output(), "the forwarder logs what the batches did at exit"
