"""The console and the metrics endpoint of the real binary, over loopback only.

Debian's `telnet` client, driven through pexpect, does what an operator does: commands,
abbreviations, JSON, a route change, monitor, a password typed without echo, Ctrl-C. Raw
sockets do what a hostile or broken client does: binary garbage, an endless subnegotiation, 20
sessions at once, a client that never reads, disconnects in the middle of `monitor`. After each
abuse the forwarder must still be running and answering. /metrics is scraped over HTTP.

Topology (198.18.0.0/15 only): p0 is net_pcap reading FRAMES packets once, all to 198.18.1.2,
which is a neighbor on p1 (net_null), so every packet is forwarded and the counters are exact.
"""
import json
import os
import random
import re
import socket
import struct
import time
import urllib.request

import pexpect
import pytest

import pktlib as P
from e2elib import small_eal

PORT_MAC = {"p0": "02:00:00:00:00:00", "p1": "02:00:00:00:00:01"}
H1_MAC = "02:00:00:00:01:02"
H2_MAC = "02:00:00:00:02:02"
FRAMES = 300
PROMPT = "swiftfwd> "
IAC, SB, SE, IP = 255, 250, 240, 244
LISTEN_TIMEOUT = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path, prefix, console_port, metrics_port=None, password=None, max_sessions=None):
    frames = [P.ethernet(PORT_MAC["p0"], H1_MAC, P.ETH_IPV4,
                         P.ipv4("198.18.0.2", "198.18.1.2", P.udp(40000, 9, P.tagged(i, 64))))
              for i in range(FRAMES)]
    P.write_pcap(tmp_path / "in.pcap", frames)
    console = f"console:\n  listen: 127.0.0.1:{console_port}\n"
    if password:
        (tmp_path / "console.pw").write_text(password + "\n")
        console += "  password_file: console.pw\n"
    if max_sessions:
        console += f"  max_sessions: {max_sessions}\n"
    metrics = f"metrics:\n  listen: 127.0.0.1:{metrics_port}\n" if metrics_port else ""
    cfg = tmp_path / "console.yaml"
    # No hugepages: the console needs none, and so these tests never compete for them.
    eal = small_eal(prefix, console=True).replace(f"  file_prefix: {prefix}\n", f"  file_prefix: {prefix}\n  hugepages: false\n")
    cfg.write_text(eal + f"""\
ports:
  - name: p0
    device: "net_pcap0,rx_pcap={tmp_path / 'in.pcap'}"
    mac: "{PORT_MAC['p0']}"
    addresses: [198.18.0.1/24]
  - name: p1
    device: "net_null0,no-rx=1"
    mac: "{PORT_MAC['p1']}"
    addresses: [198.18.1.1/24]
neighbors:
  - {{address: 198.18.1.2, mac: "{H2_MAC}", port: p1}}
""" + console + metrics)
    return cfg


def wait_listening(fwd, port, timeout=LISTEN_TIMEOUT):
    """Waits for the log line that says the console is up, then for the port to accept."""
    line = f"swiftfwd: console listening on 127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in fwd.output():
            return
        if fwd.proc.poll() is not None:
            raise AssertionError(f"swiftfwd exited with {fwd.proc.returncode} before '{line}'\n{fwd.describe()}")
        time.sleep(0.05)
    raise AssertionError(f"no '{line}' within {timeout}s\n{fwd.describe()}")


@pytest.fixture
def console(forwarder, tmp_path, dpdk_prefix, needs_root):
    """Starts swiftfwd with a console (and metrics) on free loopback ports."""
    started = {}

    def start(**kwargs):
        port, mport = free_port(), free_port()
        cfg = write_config(tmp_path, dpdk_prefix, port, mport, **kwargs)
        fwd = forwarder(cfg).start()
        fwd.wait_forwarding()
        wait_listening(fwd, port)
        started.update(fwd=fwd, port=port, metrics_port=mport)
        return fwd, port, mport

    yield start
    fwd = started.get("fwd")
    if fwd and fwd.proc.poll() is None:
        status = fwd.stop()
        assert status == 0, f"swiftfwd exited with {status} after the console test\n{fwd.describe()}"


def connect(port, timeout=10) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until(sock, marker: bytes, timeout=10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} within {timeout}s; got {data[-400:]!r}")
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before {marker!r}; got {data[-400:]!r}")
        data += chunk
    return data


def ask(port, line: str, timeout=10) -> str:
    """One command over a fresh raw connection; the answer without prompts."""
    with connect(port, timeout) as s:
        read_until(s, PROMPT.encode(), timeout)
        s.sendall(line.encode() + b"\r\n")
        out = read_until(s, PROMPT.encode(), timeout)
        s.sendall(b"quit\r\n")
    return out.decode(errors="replace").replace("\r\n", "\n")[: -len(PROMPT)]


def assert_alive(fwd, port):
    """The forwarder runs and a new session answers at once."""
    assert fwd.proc.poll() is None, f"swiftfwd died\n{fwd.describe()}"
    start = time.monotonic()
    assert "DPDK" in ask(port, "show version")
    assert time.monotonic() - start < 5, "the console answered slowly"


def closed_by_peer(sock, timeout=10) -> bool:
    """True when the server closes the connection (reading whatever it sent first)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def json_answer(port, line):
    text = ask(port, line)
    return json.loads(text)


def wait_counter(port, expected, timeout=20):
    """Waits until p0 has received every frame of the pcap."""
    deadline = time.monotonic() + timeout
    while True:
        ports = {p["name"]: p for p in json_answer(port, "show interfaces json")["interfaces"]}
        if ports["p0"]["counters"]["rx_packets"] >= expected or time.monotonic() > deadline:
            return ports
        time.sleep(0.2)


# --- the real telnet client -----------------------------------------------------------------

def spawn_telnet(port):
    child = pexpect.spawn("telnet", ["127.0.0.1", str(port)], encoding="utf-8", timeout=15,
                          env={**os.environ, "TERM": "dumb"})
    return child


def test_telnet_client_commands(console):
    fwd, port, _ = console()
    t = spawn_telnet(port)
    try:
        t.expect("Type \"help\" for the commands")
        t.expect_exact(PROMPT)

        t.sendline("help")
        t.expect("monitor interfaces")
        t.expect_exact(PROMPT)

        t.sendline("show version")
        t.expect(r"DPDK\s+\S+")
        t.expect(r"cores\s+main 0, workers 1")
        t.expect_exact(PROMPT)

        ports = wait_counter(port, FRAMES)
        assert ports["p0"]["counters"]["rx_packets"] == FRAMES, ports
        assert ports["p1"]["counters"]["tx_packets"] == FRAMES, ports

        t.sendline("sh int p0")                                   # abbreviations
        t.expect(r"p0: link up")
        t.expect(rf"rx\s+{FRAMES}\s")
        t.expect_exact(PROMPT)

        t.sendline("show workers")
        t.expect(r"core\s+queues\s+rx packets")
        t.expect(rf"\n\s*1\s+\S.*?\s{FRAMES}\s+{FRAMES}\s+0\s")
        t.expect_exact(PROMPT)

        t.sendline("show errors all")
        t.expect(r"no_route\s+0\s+0")
        t.expect_exact(PROMPT)

        t.sendline("shwo routes")                                 # a typo gets a suggestion
        t.expect_exact('error: unknown command "shwo"; did you mean "show"?')
        t.expect_exact(PROMPT)

        t.sendline("sh rou")
        t.expect_exact("ambiguous command")
        t.expect_exact(PROMPT)

        t.sendline("route add 198.18.4.0/24 via 198.18.1.2")
        t.expect_exact("route 198.18.4.0/24 via 198.18.1.2 added")
        t.expect_exact(PROMPT)
        t.sendline("show route 198.18.4.77")
        t.expect(r"198\.18\.4\.77 matches 198\.18\.4\.0/24")
        t.expect_exact(PROMPT)
        t.sendline("show routes 198.18.4.0/24")
        t.expect(r"198\.18\.4\.0/24\s+static\s+via 198\.18\.1\.2")
        t.expect_exact(PROMPT)
        t.sendline("route del 198.18.4.0/24")
        t.expect_exact("route 198.18.4.0/24 deleted")
        t.expect_exact(PROMPT)
        t.sendline("show route 198.18.4.77")
        t.expect_exact("no route matches 198.18.4.77")
        t.expect_exact(PROMPT)

        t.sendline("route add 198.18.5.0/24 via 198.18.9.9")       # the forwarder refuses with a sentence
        t.expect(r"error: \S.*198\.18\.9\.9")
        t.expect_exact(PROMPT)
        t.sendline("route del 198.18.77.0/24")
        t.expect(r"error: \S")
        t.expect_exact(PROMPT)

        t.sendline("neighbor add 198.18.1.7 02:00:00:00:01:07 dev p1")
        t.expect_exact("added")
        t.expect_exact(PROMPT)
        t.sendline("show neighbors")
        t.expect(r"198\.18\.1\.7\s+02:00:00:00:01:07\s+p1\s+console")
        t.expect_exact(PROMPT)
        t.sendline("neighbor del 198.18.1.7")
        t.expect_exact("deleted")
        t.expect_exact(PROMPT)

        t.sendline("clear counters")
        t.expect_exact("counters cleared")
        t.expect_exact(PROMPT)
        t.sendline("show interfaces p0")
        t.expect(r"rx\s+0\s+0 B")
        t.expect_exact(PROMPT)

        t.sendline("monitor interfaces")
        t.expect("refreshed every second")
        t.expect("refreshed every second")                       # a second frame a second later
        t.sendline("")                                            # Enter stops it (line mode)
        t.expect_exact(PROMPT)

        t.sendline("quit")
        t.expect_exact("bye")
        t.expect("Connection closed by foreign host")
        t.expect(pexpect.EOF)
    finally:
        t.close(force=True)
    assert_alive(fwd, port)
    # clear counters never reached the workers: the totals since start are intact.
    status = fwd.stop()
    assert status == 0
    stats = fwd.stats()
    assert {p["name"]: p for p in stats["ports"]}["p0"]["rx_packets"] == FRAMES


def test_json_answers_parse(console):
    fwd, port, _ = console()
    wait_counter(port, FRAMES)
    for line in ["show version", "show interfaces", "show interfaces p0 xstats", "show workers", "show errors all",
                 "show routes", "show route 198.18.1.2", "show neighbors", "show memory", "show config"]:
        answer = json_answer(port, line + " json")
        assert isinstance(answer, dict) and answer and "error" not in answer, (line, answer)
    interfaces = json_answer(port, "show interfaces json")["interfaces"]
    assert [p["name"] for p in interfaces] == ["p0", "p1"]
    assert interfaces[0]["counters"]["rx_packets"] == FRAMES
    errors = json_answer(port, "show errors all json")
    assert {d["name"] for d in errors["drops"]} >= {"no_route", "eth_not_for_us"}
    routes = json_answer(port, "show routes json")
    assert "198.18.1.0/24" in [r["prefix"] for r in routes["routes"]]
    assert json_answer(port, "route add 198.18.4.1/24 via 198.18.1.2 json")["error"] == \
        "198.18.4.1/24 has host bits set; did you mean 198.18.4.0/24?"


def test_telnet_password_is_not_echoed_and_ctrl_c_ends(console):
    fwd, port, _ = console(password="correct horse")
    t = spawn_telnet(port)
    try:
        t.expect_exact("Password: ")
        t.sendline("wrong guess")
        t.expect_exact("wrong password")
        t.expect_exact("Password: ")
        assert "wrong guess" not in t.before, "the password was echoed"
        t.sendline("correct horse")
        t.expect_exact(PROMPT)
        assert "correct horse" not in t.before, "the password was echoed"
        t.sendline("show version")                                # echo is back on: the command shows
        t.expect_exact("show version")
        t.expect(r"DPDK\s+\S+")
        t.expect_exact(PROMPT)
        t.sendcontrol("c")                                        # telnet sends IAC IP
        t.expect("Connection closed by foreign host")
    finally:
        t.close(force=True)
    with connect(port) as s:                                      # nothing runs before the password
        read_until(s, b"Password: ")
        s.sendall(b"route add 198.18.4.0/24 dev p1\r\n")
        read_until(s, b"wrong password", timeout=5)
    assert fwd.proc.poll() is None
    assert "198.18.4.0/24" not in ask_with_password(port, "correct horse", "show routes")


def ask_with_password(port, password, line):
    with connect(port) as s:
        read_until(s, b"Password: ")
        s.sendall(password.encode() + b"\r\n")
        read_until(s, PROMPT.encode())
        s.sendall(line.encode() + b"\r\n")
        return read_until(s, PROMPT.encode()).decode(errors="replace")


# --- raw sockets: abuse ---------------------------------------------------------------------

def test_binary_garbage(console):
    fwd, port, _ = console()
    rng = random.Random(1234)
    for _ in range(5):
        with connect(port) as s:
            read_until(s, PROMPT.encode())
            for _ in range(64):
                try:
                    s.sendall(bytes(rng.randrange(256) for _ in range(1024)))
                except (BrokenPipeError, ConnectionResetError):
                    break                                         # the console closed it: allowed
            s.settimeout(0.5)
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
    assert_alive(fwd, port)


def test_endless_subnegotiation_is_cut_off(console):
    fwd, port, _ = console()
    with connect(port) as s:
        read_until(s, PROMPT.encode())
        s.sendall(bytes([IAC, SB, 24]))
        text = b""
        closed = False
        for _ in range(200):                                      # far more than the 512-byte limit
            try:
                s.sendall(b"A" * 1024)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        s.settimeout(5)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                text += chunk
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
        assert closed, f"the console kept a session sending an endless subnegotiation; got {text!r}"
    assert_alive(fwd, port)


def test_twenty_simultaneous_sessions(console):
    fwd, port, _ = console()
    sockets = [connect(port) for _ in range(20)]
    try:
        admitted, refused = 0, 0
        for s in sockets:
            data = b""
            s.settimeout(10)
            while PROMPT.encode() not in data and b"too many console sessions" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if PROMPT.encode() in data:
                admitted += 1
            else:
                assert b"too many console sessions (8 open, the limit set by console.max_sessions)" in data, data
                assert closed_by_peer(s)
                refused += 1
        assert (admitted, refused) == (8, 12)
        for s in sockets[:8]:                                      # the admitted ones all work
            s.sendall(b"show version\r\n")
        for s in sockets[:8]:
            assert b"DPDK" in read_until(s, b"cores")
    finally:
        for s in sockets:
            s.close()
    time.sleep(0.5)
    assert_alive(fwd, port)                                        # the slots were given back


def test_client_that_stops_reading(console):
    fwd, port, _ = console()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)      # before connect, so the window stays small
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    read_until(s, PROMPT.encode())
    # Ask for far more output than any buffer holds, and never read it.
    s.settimeout(2)
    chunk = b"show interfaces\r\n" * 4000
    sent, pushed_back = 0, False
    try:
        while sent < 200_000_000:
            s.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, BlockingIOError):
        pushed_back = True                                        # the console stopped reading us: TCP pushed back
    assert pushed_back, f"the console read {sent} bytes of commands from a client that reads none of its answers"
    assert_alive(fwd, port)                                        # others are served meanwhile
    rss_kib = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{fwd.proc.pid}/status").read()).group(1))
    assert rss_kib < 2_000_000, f"swiftfwd grew to {rss_kib} KiB"
    # The console gives up on a client that leaves its output unread for 30 s.
    s.settimeout(1)
    deadline = time.monotonic() + 60
    ended = False
    while time.monotonic() < deadline and not ended:
        time.sleep(1)
        if "left its output unread for 30 s" in fwd.output():
            ended = True
    s.close()
    assert ended, f"the non-reading client was never closed\n{fwd.describe()}"
    assert_alive(fwd, port)


def test_disconnect_during_monitor(console):
    fwd, port, _ = console()
    for abrupt in (False, True) * 3:
        s = connect(port)
        read_until(s, PROMPT.encode())
        s.sendall(b"monitor interfaces\r\n")
        read_until(s, b"refreshed every second")
        read_until(s, b"refreshed every second", timeout=5)     # the timer runs
        if abrupt:                                               # RST instead of FIN
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(2.5)                                              # timers would have fired by now
    log = fwd.output()
    assert log.count("console: session from 127.0.0.1:") >= 12, log[-3000:]
    # Every slot came back: eight sessions at once are all admitted.
    sockets = [connect(port) for _ in range(8)]
    try:
        for s in sockets:
            read_until(s, PROMPT.encode())
    finally:
        for s in sockets:
            s.close()
    time.sleep(0.5)                                              # the server sees the closes
    assert_alive(fwd, port)


def test_over_long_line_is_refused_and_the_session_goes_on(console):
    # Over a raw socket: a terminal's line discipline would cut the line at 4095 bytes itself.
    fwd, port, _ = console()
    with connect(port) as s:
        read_until(s, PROMPT.encode())
        s.sendall(b"x" * 100_000 + b"\r\n")
        answer = read_until(s, PROMPT.encode()).decode()
        assert "error: a line of 100000 bytes was refused; lines are limited to 4096 bytes" in answer, answer
        s.sendall(b"show version\r\n")
        assert b"DPDK" in read_until(s, PROMPT.encode())
    assert_alive(fwd, port)


def test_ctrl_c_byte_and_iac_ip_end_the_session(console):
    fwd, port, _ = console()
    for interrupt in (b"\x03", bytes([IAC, IP])):
        with connect(port) as s:
            read_until(s, PROMPT.encode())
            s.sendall(b"show ver" + interrupt)
            assert closed_by_peer(s, timeout=5)
    assert_alive(fwd, port)


# --- metrics --------------------------------------------------------------------------------

def scrape(port) -> tuple[str, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{want}}}" if want else "")) + r" (\S+)"
    m = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    assert m, f"no {name} {labels} in\n{text}"
    return float(m.group(1))


def test_metrics_scrape(console):
    fwd, port, mport = console()
    assert f"swiftfwd: metrics listening on http://127.0.0.1:{mport}/metrics" in fwd.output()
    wait_counter(port, FRAMES)
    content_type, text = scrape(mport)
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    assert metric(text, "swiftfwd_port_rx_packets_total", port="p0") == FRAMES
    assert metric(text, "swiftfwd_port_tx_packets_total", port="p1") == FRAMES
    assert metric(text, "swiftfwd_worker_rx_packets_total", core="1") == FRAMES
    assert metric(text, "swiftfwd_drops_total", reason="no_route", core="1") == 0
    assert metric(text, "swiftfwd_mempool_mbufs") > 0
    assert metric(text, "swiftfwd_mempool_mbufs_in_use") + metric(text, "swiftfwd_mempool_mbufs_available") == \
        metric(text, "swiftfwd_mempool_mbufs")
    assert metric(text, "swiftfwd_routes", family="ipv4") >= 2
    assert metric(text, "swiftfwd_port_link_up", port="p0") in (0, 1)
    assert "# TYPE swiftfwd_drops_total counter" in text
    # clear counters is the console's view only; Prometheus counters never go down.
    ask(port, "clear counters")
    assert metric(scrape(mport)[1], "swiftfwd_port_rx_packets_total", port="p0") == FRAMES
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{mport}/nothing", timeout=10)
    assert err.value.code == 404
    assert_alive(fwd, port)
