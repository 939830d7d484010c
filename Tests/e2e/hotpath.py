"""What the hot-path profile tests share (test_hot_path_profile.py, test_pipeline_hot_path.py):
the replayed traffic, the forwarder config around it, `perf record` of one thread and the
symbols it sampled, and the Swift runtime and allocator symbols GUIDE rule 4 forbids there."""
import re
import subprocess
from pathlib import Path

import pktlib as p

PORT_MAC = "02:00:00:00:00:10"
SINK_NEIGHBOR_MAC = "02:00:00:00:00:22"
FORBIDDEN = re.compile(
    r"^(swift_(retain|release|unknownObjectRetain|unknownObjectRelease|bridgeObjectRetain|"
    r"bridgeObjectRelease|beginAccess|endAccess|allocObject|deallocObject|once)\w*|"
    r"malloc|free|calloc|realloc|__libc_malloc|__libc_free|_int_malloc|_int_free|cfree)$")


def write_traffic(path: Path, *, router_every: int = 0) -> None:
    """512 IPv4 and 512 IPv6 UDP frames to routed destinations (198.19.0.0/16, 2001:db8:9::/48);
    with `router_every` N, also one frame to the router's own address before every Nth pair."""
    frames = []
    for i in range(512):
        if router_every and i % router_every == 0:
            frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV4,
                                     p.ipv4("198.18.0.2", "198.18.0.1", p.udp(1000 + i, 9, b"x" * 18))))
        data = p.udp(1000 + i, 2000, b"x" * 18)
        frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV4,
                                 p.ipv4("198.18.0.2", f"198.19.{i // 256}.{i % 256}", data)))
        frames.append(p.ethernet(PORT_MAC, "02:00:00:00:00:99", p.ETH_IPV6,
                                 p.ipv6("2001:db8::2", f"2001:db8:9::{i:x}", data)))
    p.write_pcap(path, frames)


def ports_and_routes(source: Path, *, in_device_extra: str = "") -> str:
    """The config after `eal` (and `threading`): `source` replayed forever on port "in", every
    packet routed out of the net_null port "out" to one static neighbor."""
    return f"""\
mempool:
  mbufs: 16383
ports:
  - name: in
    device: net_pcap0,rx_pcap={source},infinite_rx=1{in_device_extra}
    mac: "{PORT_MAC}"
    addresses: [198.18.0.1/24, "2001:db8::1/64"]
  - name: out
    device: net_null0,no-rx=1
    addresses: [198.18.255.1/24, "2001:db8:ff::1/64"]
routes:
  - prefix: 198.19.0.0/16
    via: 198.18.255.2
  - prefix: "2001:db8:9::/48"
    via: "2001:db8:ff::2"
neighbors:
  - address: 198.18.255.2
    mac: "{SINK_NEIGHBOR_MAC}"
    port: out
  - address: "2001:db8:ff::2"
    mac: "{SINK_NEIGHBOR_MAC}"
    port: out
"""


def thread_named(pid: int, pattern: str) -> int:
    """The thread of `pid` whose name matches `pattern` (EAL names lcore N's thread
    rte-worker-N or lcore-worker-N)."""
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        name = (task / "comm").read_text().strip()
        if re.search(pattern, name):
            return int(task.name)
        names.append(name)
    raise AssertionError(f"no thread matching {pattern!r} among {names}")


def profile(tid: int, data: Path, seconds: int = 3) -> list:
    """`perf record` of thread `tid` for `seconds`: the sampled symbols as (percent, name)."""
    record = subprocess.run(["perf", "record", "-q", "-t", str(tid), "-o", str(data), "--", "sleep", str(seconds)],
                            capture_output=True, text=True, timeout=60)
    assert record.returncode == 0, record.stderr
    report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                             "--sort", "sym", "--percent-limit", "0"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    symbols = []
    for line in report.stdout.splitlines():
        m = re.match(r"^\s+([0-9.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if m:
            symbols.append((float(m.group(1)), m.group(2)))
    return symbols


def forbidden(symbols: list) -> list:
    """The samples in runtime calls GUIDE rule 4 keeps off the hot path."""
    return [(pct, s) for pct, s in symbols if FORBIDDEN.match(s)]
