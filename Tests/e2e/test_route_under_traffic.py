"""Route and neighbor changes from the console take effect under traffic, and nothing else is lost.

The demo lab (scripts/lib/lab.sh, config/demo.yaml) is built under names and MACs of this test's
own, so it never meets a running demo: hosts h1 (198.18.0.2, 2001:db8:0::2) behind p0 and h2
(198.18.1.2, 2001:db8:1::2) behind p1, the console on a free loopback port. h2 also owns a TARGET
address, on lo. h1 sends two steady UDP streams of numbered datagrams, RATE per second each: one to TARGET, one
to h2's own address (already routed). Over one console session (a raw socket speaking the
console's line protocol, so the test times the answers itself):

  1. before the change nothing reaches TARGET and the forwarder counts the drops (no_route, or
     no_neighbor for a neighbor that is not there);
  2. the add command (`route add` / `neighbor add`): the first datagram reaches h2 less than a
     second after the console answered; from then on every one arrives;
  3. the del command: the last datagram arrives less than a second after the answer;
  4. the stream to h2's own address lost nothing throughout (every sequence number arrived,
     intact), and every TARGET datagram that did not arrive is counted under the drop reason.

Datagram arrival times are CLOCK_MONOTONIC, which the namespaces share with the test.
Only 198.18.0.0/15 and 2001:db8::/32; the lab is removed whatever happens.
"""
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2elib import REPO

LIB = REPO / "scripts" / "lib"
PROMPT = b"swiftfwd> "
RATE = 1000                             # datagrams per second in each stream
EFFECT_LIMIT = 1.0                      # seconds: a change must show within this (issue 3)
BEFORE = 1.5                            # seconds of traffic before the add
HOLD = 2.5                              # seconds of traffic after each change
DRAIN = 1.0                             # seconds for the last datagrams to land after the senders stop
LISTEN_TIMEOUT = 90
# What the hosts' kernels send on their own (MLD reports, router solicitations) is dropped with
# these reasons; anything else would be a forwarding failure.
NOISE = {"eth_multicast", "eth_not_for_us", "unsupported_ethertype", "local"}


@dataclass
class Case:
    name: str
    target: str               # the address h2 gains, on lo
    target_prefix: str        # its length on lo
    background: str           # h2's own address: the stream that must lose nothing
    add: str                  # "{h2_mac}" stands for h2's MAC
    added: str                # the console's answer to `add`
    delete: str
    deleted: str
    reason: str               # what the forwarder counts while TARGET is unreachable


CASES = [
    Case("route_ipv4", "198.18.9.1", "32", "198.18.1.2",
         "route add 198.18.9.0/24 via 198.18.1.2", "route 198.18.9.0/24 via 198.18.1.2 added",
         "route del 198.18.9.0/24", "route 198.18.9.0/24 deleted", "no_route"),
    Case("route_ipv6", "2001:db8:9::1", "128", "2001:db8:1::2",
         "route add 2001:db8:9::/48 via 2001:db8:1::2", "route 2001:db8:9::/48 via 2001:db8:1::2 added",
         "route del 2001:db8:9::/48", "route 2001:db8:9::/48 deleted", "no_route"),
    # 198.18.1.7 is in p1's connected subnet; without a neighbor entry it cannot be sent.
    Case("neighbor_ipv4", "198.18.1.7", "32", "198.18.1.2",
         "neighbor add 198.18.1.7 {h2_mac} dev p1", "neighbor 198.18.1.7 {h2_mac} dev p1 added",
         "neighbor del 198.18.1.7", "neighbor 198.18.1.7 deleted", "no_neighbor"),
]


# --- the lab --------------------------------------------------------------------------------

class Lab:
    """scripts/lib/lab.sh's lab under unique names and MACs.

    Unique MACs matter: DPDK's af_packet PMD opens its socket for every interface and binds it to
    its own only after setting up the ring, so a forwarder starting up may take in a few frames
    from any other interface of the root namespace. With MACs of its own, a frame from another
    lab is dropped as eth_not_for_us instead of being forwarded, in either direction."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.ns = [f"swr-{tag}-h1", f"swr-{tag}-h2"]
        self.ports = [f"swr{tag}p0", f"swr{tag}p1"]
        octets = ":".join(tag[i:i + 2] for i in (0, 2, 4))
        self.port_mac = [f"02:{octets}:00:00", f"02:{octets}:00:01"]
        self.host_mac = [f"02:{octets}:01:02", f"02:{octets}:02:02"]

    def _bash(self, body: str) -> None:
        script = (f'set -euo pipefail; source "{LIB}/common.sh"; source "{LIB}/lab.sh"; '
                  f'LAB_NS=({" ".join(self.ns)}); LAB_PORT=({" ".join(self.ports)}); '
                  f'LAB_PORT_MAC=({" ".join(self.port_mac)}); LAB_HOST_MAC=({" ".join(self.host_mac)}); {body}')
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"{body} failed ({result.returncode}):\n{result.stdout}{result.stderr}"

    def up(self) -> None:
        self._bash("lab_down; lab_up")

    def down(self) -> None:
        self._bash("lab_down")

    def leftovers(self) -> list:
        return ([n for n in self.ns if os.path.exists(f"/run/netns/{n}")] +
                [p for p in self.ports if os.path.exists(f"/sys/class/net/{p}")])

    def run(self, host: int, *cmd: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.ns[host], *cmd], check=True, timeout=30,
                       capture_output=True, stdin=subprocess.DEVNULL)

    def config(self, tmp_path: Path, prefix: str, console_port: int) -> Path:
        """config/demo.yaml with this lab's ports and MACs, its own EAL prefix and console port."""
        text = (REPO / "config" / "demo.yaml").read_text()
        for old, new in [("iface=swf-p0", f"iface={self.ports[0]}"), ("iface=swf-p1", f"iface={self.ports[1]}"),
                         ('"02:00:00:00:00:00"', f'"{self.port_mac[0]}"'),
                         ('"02:00:00:00:00:01"', f'"{self.port_mac[1]}"'),
                         # This test drives the fast path alone: static neighbors, no kernel twins
                         # (whose punts would not be counted as the drops it checks).
                         ("kernel:\n  enabled: true\n", ""),
                         # No hugepages: this test never competes with the demo or others for them.
                         ("file_prefix: swiftfwd-demo", f"file_prefix: {prefix}\n  hugepages: false")]:
            assert old in text, f"config/demo.yaml no longer has {old!r}; update this test"
            text = text.replace(old, new)
        text += f"\nconsole:\n  listen: 127.0.0.1:{console_port}\n"
        text += "neighbors:\n" + "".join(
            f'  - {{address: "{address}", mac: "{self.host_mac[i]}", port: p{i}}}\n'
            for i, addresses in enumerate((("198.18.0.2", "2001:db8:0::2"), ("198.18.1.2", "2001:db8:1::2")))
            for address in addresses)
        path = tmp_path / "route_under_traffic.yaml"
        path.write_text(text)
        return path


@pytest.fixture
def lab(needs_root):
    lab = Lab()
    try:
        lab.up()
        yield lab
    finally:
        lab.down()
    assert lab.leftovers() == [], f"the lab was not removed: {lab.leftovers()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(fwd, port, timeout=LISTEN_TIMEOUT) -> None:
    line = f"swiftfwd: console listening on 127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while line not in fwd.output():
        assert fwd.proc.poll() is None, f"swiftfwd exited with {fwd.proc.returncode} before '{line}'\n{fwd.describe()}"
        assert time.monotonic() < deadline, f"no '{line}' within {timeout}s\n{fwd.describe()}"
        time.sleep(0.05)


# --- the console ----------------------------------------------------------------------------

class Console:
    """One console session over a raw socket: a line out, the answer up to the next prompt."""

    def __init__(self, port: int, timeout=10):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self._until_prompt()

    def _until_prompt(self) -> bytes:
        deadline = time.monotonic() + self.timeout
        while PROMPT not in self.buffer:
            assert time.monotonic() < deadline, f"no prompt within {self.timeout}s; got {self.buffer[-400:]!r}"
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            assert chunk, f"the console closed the session; got {self.buffer[-400:]!r}"
            self.buffer += chunk
        answer, _, self.buffer = self.buffer.partition(PROMPT)
        return answer

    def timed(self, line: str) -> tuple:
        """(answer, time sent, time the answer was complete) on time.monotonic()."""
        sent = time.monotonic()
        self.sock.sendall(line.encode() + b"\r\n")
        answer = self._until_prompt().decode(errors="replace").replace("\r\n", "\n").strip()
        return answer, sent, time.monotonic()

    def ask(self, line: str) -> str:
        return self.timed(line)[0]

    def json(self, line: str) -> dict:
        answer = self.ask(line + " json")
        data = json.loads(answer)
        assert "error" not in data, (line, data)
        return data

    def drops(self) -> dict:
        return {d["name"]: d["total"] for d in self.json("show errors all")["drops"]}

    def close(self) -> None:
        try:
            self.sock.sendall(b"quit\r\n")
        except OSError:
            pass
        self.sock.close()


# --- the streams ----------------------------------------------------------------------------

class Stream:
    """A receiver in h2 logging each datagram's arrival, and a sender in h1 at RATE per second."""

    def __init__(self, lab: Lab, workdir: Path, name: str, address: str, port: int):
        self.lab, self.name, self.address, self.port = lab, name, address, port
        self.log = workdir / f"{name}.log"
        self.ready = workdir / f"{name}.ready"
        self.receiver = self.sender = None
        self.sent = None

    def _spawn(self, host: int, args: list) -> subprocess.Popen:
        # `ip netns exec` execs python3, so a signal to this pid reaches the stream itself.
        return subprocess.Popen(["ip", "netns", "exec", self.lab.ns[host], "python3",
                                 str(LIB / "udp_stream.py"), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)

    def start_receiver(self) -> None:
        self.receiver = self._spawn(1, ["recv", "--bind", self.address, "--port", str(self.port), "--count", "0",
                                        "--ready", str(self.ready), "--log", str(self.log)])
        deadline = time.monotonic() + 20
        while not self.ready.exists():
            assert self.receiver.poll() is None, f"{self.name} receiver exited: {self.receiver.stdout.read()}"
            assert time.monotonic() < deadline, f"{self.name} receiver not ready within 20s"
            time.sleep(0.02)

    def start_sender(self) -> None:
        self.sender = self._spawn(0, ["send", "--to", self.address, "--port", str(self.port), "--count", "0",
                                      "--rate", str(RATE)])

    def stop_sender(self) -> int:
        self.sender.send_signal(signal.SIGTERM)
        out, _ = self.sender.communicate(timeout=20)
        assert self.sender.returncode == 0, f"{self.name} sender failed: {out}"
        self.sent = int(out.split("sent=")[1].split()[0])
        return self.sent

    def stop_receiver(self) -> str:
        self.receiver.send_signal(signal.SIGTERM)
        out, _ = self.receiver.communicate(timeout=20)
        assert self.receiver.returncode == 0, f"{self.name} receiver failed: {out}"
        return out.strip()

    def arrivals(self) -> list:
        """[(seq, monotonic time)] in arrival order."""
        if not self.log.exists():
            return []
        return [(int(s), float(t)) for s, t in (line.split() for line in self.log.read_text().splitlines())]

    def count_now(self) -> int:
        try:
            return self.log.read_text().count("\n")
        except FileNotFoundError:
            return 0

    def kill(self) -> None:
        for proc in (self.sender, self.receiver):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()


# --- the test -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_change_under_traffic(case, lab, dpdk_prefix, forwarder, tmp_path):
    add, added = (text.format(h2_mac=lab.host_mac[1]) for text in (case.add, case.added))
    lab.run(1, "ip", "addr", "add", f"{case.target}/{case.target_prefix}", "dev", "lo")
    console_port = free_port()
    fwd = forwarder(lab.config(tmp_path, dpdk_prefix, console_port)).start()
    fwd.wait_forwarding()
    wait_listening(fwd, console_port)

    target = Stream(lab, tmp_path, "target", case.target, 9100)
    steady = Stream(lab, tmp_path, "steady", case.background, 9101)
    con = Console(console_port)
    try:
        # TARGET is unreachable before the change.
        if case.reason == "no_route":
            assert con.json(f"show route {case.target}")["route"] is None
        else:
            assert case.target not in [n["address"] for n in con.json("show neighbors")["neighbors"]]
        drops_at_start = con.drops()

        for stream in (target, steady):
            stream.start_receiver()
        for stream in (steady, target):
            stream.start_sender()
        # The path through the forwarder works before anything is measured.
        deadline = time.monotonic() + 20
        while steady.count_now() == 0:
            assert time.monotonic() < deadline, f"nothing reached {case.background} within 20s\n{fwd.describe()}"
            time.sleep(0.05)

        # 1. No way to TARGET: nothing arrives, the forwarder counts the reason.
        before = con.drops()[case.reason]
        time.sleep(BEFORE)
        during = con.drops()[case.reason]
        assert target.count_now() == 0, f"datagrams reached {case.target} before `{add}`"
        assert during - before >= RATE * BEFORE / 4, \
            f"{case.reason} went from {before} to {during} in {BEFORE}s while {RATE}/s went to {case.target}"

        # 2. The add: TARGET's datagrams arrive within EFFECT_LIMIT of the answer.
        answer, add_sent, add_answered = con.timed(add)
        assert answer == added, f"`{add}` answered {answer!r}"
        time.sleep(HOLD)
        assert target.count_now() > 0, f"nothing reached {case.target} {HOLD}s after `{add}`\n{fwd.describe()}"
        if case.reason == "no_route":
            route = con.json(f"show route {case.target}")["route"]
            assert route and route["kind"] == "static" and route["resolved"], route
        else:
            neighbors = {n["address"]: n for n in con.json("show neighbors")["neighbors"]}
            assert neighbors.get(case.target, {}).get("source") == "console", neighbors

        # 3. The del: they stop within EFFECT_LIMIT of the answer.
        answer, del_sent, del_answered = con.timed(case.delete)
        assert answer == case.deleted, f"`{case.delete}` answered {answer!r}"
        time.sleep(HOLD)

        for stream in (target, steady):
            stream.stop_sender()
        time.sleep(DRAIN)
        summaries = {s.name: s.stop_receiver() for s in (target, steady)}
        drops_at_end = con.drops()
    finally:
        target.kill()
        steady.kill()
        con.close()

    got = target.arrivals()
    timing = (f"add sent at {add_sent:.3f}, answered at {add_answered:.3f}; del sent at {del_sent:.3f}, "
              f"answered at {del_answered:.3f}; target: sent {target.sent}, {summaries['target']}")
    assert got, f"nothing reached {case.target} ({timing})"
    seqs = [s for s, _ in got]
    first, last = got[0][1], got[-1][1]
    assert first >= add_sent, f"a datagram reached {case.target} before `{add}` was sent ({timing})"
    assert first - add_answered < EFFECT_LIMIT, \
        f"the first datagram reached {case.target} {first - add_answered:.3f}s after `{add}` answered ({timing})"
    assert last - del_answered < EFFECT_LIMIT, \
        f"datagrams still reached {case.target} {last - del_answered:.3f}s after `{case.delete}` answered ({timing})"
    # While the way was there, not one datagram to TARGET was lost (or duplicated).
    missing = sorted(set(range(min(seqs), max(seqs) + 1)) - set(seqs))
    assert not missing and len(seqs) == len(set(seqs)), \
        f"between its first and last datagram {case.target} missed {len(missing)} (first: {missing[:10]}) " \
        f"and got {len(seqs) - len(set(seqs))} twice ({timing})"

    # Nothing else was lost: every datagram of the steady stream arrived, once, intact.
    steady_seqs = [s for s, _ in steady.arrivals()]
    missing = sorted(set(range(steady.sent)) - set(steady_seqs))
    assert not missing and len(steady_seqs) == steady.sent, \
        f"the steady stream to {case.background} lost {len(missing)} of {steady.sent} " \
        f"(first missing: {missing[:10]}); {summaries['steady']}; {timing}"
    assert "corrupt=0" in summaries["steady"] and "corrupt=0" in summaries["target"], summaries

    # Every TARGET datagram that did not arrive was counted under the reason, and nothing else
    # was dropped but the hosts' own multicast chatter.
    counted = drops_at_end[case.reason] - drops_at_start[case.reason]
    assert counted == target.sent - len(seqs), \
        f"{case.reason} counted {counted}, but {target.sent - len(seqs)} of {target.sent} datagrams " \
        f"to {case.target} did not arrive ({timing})"
    other = {k: v - drops_at_start.get(k, 0) for k, v in drops_at_end.items()
             if k != case.reason and k not in NOISE and v != drops_at_start.get(k, 0)}
    assert not other, f"unexpected drops during the test: {other}"

    status = fwd.stop()
    assert status == 0, f"swiftfwd exited with {status}\n{fwd.describe()}"
    assert fwd.stats()["mempool"]["leaked"] == 0
    print(f"{case.name}: first datagram {first - add_answered:+.3f}s after the add answered "
          f"(add took {add_answered - add_sent:.3f}s), last {last - del_answered:+.3f}s after the del answered "
          f"(del took {del_answered - del_sent:.3f}s); steady stream {steady.sent}/{steady.sent}")
