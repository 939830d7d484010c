"""`swiftfwd check` and `swiftfwd run` on configs that must be refused.

Each refusal must exit 2 and print one line, `FILE:LINE:COL: key.path: message`, naming the
place of the mistake. In the configs below the offending line ends with `# HERE`; the column may
point at the line's list dash, its key, or the offending value (the token given in each case).
`run` must refuse the same way before it starts DPDK's EAL.
"""
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from e2elib import REPO, remove_dpdk_leftovers, run_check

LINE_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$")
PATH_RE = re.compile(r"^(?P<path>[A-Za-z0-9_.\[\]]+): (?P<message>.+)$")

GOOD = """\
eal:
  main_core: 0
  worker_cores: [1]
  memory_mb: 512
  file_prefix: {prefix}
fib:
  ipv4_max_routes: 1024
  ipv4_tbl8_groups: 256
  ipv6_max_routes: 1024
  ipv6_tbl8_groups: 256
ports:
  - name: p0
    device: net_null0,no-rx=1
    mac: "02:00:00:00:00:00"
    addresses:
      - 198.18.0.1/24
      - "2001:db8:0::1/64"
  - name: p1
    device: net_null1,no-rx=1
    mac: "02:00:00:00:00:01"
    addresses: [198.18.1.1/24, "2001:db8:1::1/64"]
routes:
  - prefix: 198.18.4.0/24
    via: 198.18.1.2
  - prefix: "2001:db8:4::/48"
    via: "2001:db8:1::2"
neighbors:
  - address: 198.18.1.2
    mac: "02:00:00:00:02:02"
    port: p1
"""


@dataclass
class Bad:
    id: str
    old: str                  # a line of GOOD (without its newline) ...
    new: str                  # ... replaced by these lines; the offending one ends in "# HERE"
    path: str                 # the key path the message must name (a regex, matched whole)
    token: str | None = None  # the offending value on the HERE line; None: any column
    words: list = field(default_factory=list)  # words the message must contain (case-insensitive)


CASES = [
    Bad("syntax_error", "  memory_mb: 512", "  memory_mb: 512: 1  # HERE", path=r".*", token=None),
    Bad("unknown_key_did_you_mean", "  worker_cores: [1]", "  worker_core: [1]  # HERE",
        path=r"eal\.worker_core", token="worker_core", words=["did you mean", "worker_cores"]),
    Bad("wrong_type", '    mac: "02:00:00:00:00:00"', '    mac: "02:00:00:00:00:00"\n    mtu: big  # HERE',
        path=r"ports\[0\]\.mtu", token="big", words=["integer"]),
    Bad("ipv6_port_mtu_below_1280", '    mac: "02:00:00:00:00:00"', '    mac: "02:00:00:00:00:00"\n    mtu: 1200  # HERE',
        path=r"ports\[0\]\.mtu", token="1200", words=["1280", "IPv6", "2001:db8::1/64"]),
    Bad("ipv4_prefix_33", "      - 198.18.0.1/24", "      - 198.18.0.1/33  # HERE",
        path=r"ports\[0\]\.addresses(\[0\])?", token="198.18.0.1/33"),
    Bad("ipv6_prefix_129", '  - prefix: "2001:db8:4::/48"', '  - prefix: "2001:db8:4::/129"  # HERE',
        path=r"routes\[1\]\.prefix", token='"2001:db8:4::/129"'),
    Bad("bad_mac", '    mac: "02:00:00:00:00:01"', '    mac: "02:00:00:00:00:zz"  # HERE',
        path=r"ports\[1\]\.mac", token='"02:00:00:00:00:zz"'),
    Bad("group_mac", '    mac: "02:00:00:00:00:01"', '    mac: "01:00:5e:00:00:01"  # HERE',
        path=r"ports\[1\]\.mac", token='"01:00:5e:00:00:01"'),
    Bad("duplicate_port_name", "  - name: p1", "  - name: p0  # HERE",
        path=r"ports\[1\]\.name", token="p0"),
    Bad("core_with_two_roles", "  worker_cores: [1]", "  worker_cores: [0]  # HERE",
        path=r"eal\.worker_cores(\[0\])?", token="0]"),
    Bad("queue_beyond_rx_queues", "neighbors:",
        "queue_map:\n  - core: 1\n    port: p0\n    queue: 0\n  - core: 1\n    port: p1\n    queue: 0\n"
        "  - core: 1\n    port: p1\n    queue: 1  # HERE\nneighbors:",
        path=r"queue_map\[2\]\.queue", token="1"),
    Bad("next_hop_off_subnet", "    via: 198.18.1.2", "    via: 198.18.9.1  # HERE",
        path=r"routes\[0\]\.via", token="198.18.9.1"),
]


def make_config(tmp_path: Path, case: Bad, prefix: str) -> tuple[Path, int, set]:
    """Writes the bad config; returns its path, the HERE line (1-based) and acceptable columns."""
    good = GOOD.format(prefix=prefix)
    assert good.count(case.old + "\n") == 1, f"{case.id}: {case.old!r} is not a unique line of GOOD"
    text = good.replace(case.old + "\n", case.new + "\n")
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(text)
    lines = text.splitlines()
    here = [i for i, line in enumerate(lines) if line.rstrip().endswith("# HERE")]
    assert len(here) == 1
    line = lines[here[0]]
    if case.token is None:
        return path, here[0] + 1, set()                      # any column on the line
    stripped = line.lstrip()
    indent = len(line) - len(stripped)
    columns = {indent + 1}                                   # a list item's dash, or the key
    if stripped.startswith("- "):
        columns.add(indent + 3)                              # the key after the dash
    at = line.rfind(case.token, 0, line.index("# HERE"))
    assert at >= 0, f"{case.id}: token {case.token!r} not on its line"
    columns.add(at + 1)                                      # the offending value
    if "[" in line:
        columns.add(line.index("[") + 1)                     # a flow list holding it
    return path, here[0] + 1, columns


def assert_refusal(case: Bad, stderr: str, path: Path, line: int, columns: set) -> None:
    lines = [l for l in stderr.splitlines() if l.strip()]
    matching = [l for l in lines if l.startswith(f"{path}:")]
    assert matching, f"{case.id}: no line starting with '{path}:' on stderr:\n{stderr}"
    m = LINE_RE.match(matching[0])
    assert m, f"{case.id}: not FILE:LINE:COL: ...: {matching[0]!r}"
    got_line, got_col = int(m["line"]), int(m["col"])
    assert got_line == line, f"{case.id}: line {got_line}, expected {line}: {matching[0]!r}"
    if columns:
        assert got_col in columns, f"{case.id}: column {got_col}, expected one of {sorted(columns)}: {matching[0]!r}"
    if case.id != "syntax_error":
        pm = PATH_RE.match(m["rest"])
        assert pm, f"{case.id}: no 'key.path: message' after FILE:LINE:COL: {matching[0]!r}"
        assert re.fullmatch(case.path, pm["path"]), \
            f"{case.id}: key path {pm['path']!r}, expected /{case.path}/: {matching[0]!r}"
        message = pm["message"].lower()
    else:
        message = m["rest"].lower()
    assert message.strip(), f"{case.id}: empty message"
    for word in case.words:
        assert word.lower() in message, f"{case.id}: message lacks {word!r}: {matching[0]!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_refuses(case, swiftfwd_bin, tmp_path, dpdk_prefix):
    path, line, columns = make_config(tmp_path, case, dpdk_prefix)
    result = run_check(swiftfwd_bin, path)
    assert result.returncode == 2, \
        f"{case.id}: exit {result.returncode}, expected 2\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"{case.id}: expected exactly one line on stderr, got:\n{result.stderr}"
    assert_refusal(case, result.stderr, path, line, columns)


def test_check_accepts_good_config(swiftfwd_bin, tmp_path, dpdk_prefix):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD.format(prefix=dpdk_prefix))
    result = run_check(swiftfwd_bin, path)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}"


def test_check_accepts_demo_config(swiftfwd_bin):
    result = run_check(swiftfwd_bin, REPO / "config" / "demo.yaml")
    assert result.returncode == 0, f"config/demo.yaml: exit {result.returncode}\n{result.stderr}"


def test_check_missing_file(swiftfwd_bin, tmp_path):
    path = tmp_path / "absent.yaml"
    result = run_check(swiftfwd_bin, path)
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stderr}"
    assert str(path) in result.stderr, result.stderr


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ("bad_mac", "next_hop_off_subnet", "wrong_type")],
                         ids=lambda c: c.id)
def test_run_refuses_before_eal(case, swiftfwd_bin, tmp_path, dpdk_prefix):
    path, line, columns = make_config(tmp_path, case, dpdk_prefix)
    started = time.monotonic()
    result = subprocess.run([str(swiftfwd_bin), "run", "--config", str(path), "--duration", "1"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    assert result.returncode == 2, \
        f"{case.id}: exit {result.returncode}, expected 2\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert_refusal(case, result.stderr, path, line, columns)
    output = result.stdout + result.stderr
    assert "EAL:" not in output, f"{case.id}: EAL started before the config was validated:\n{output}"
    assert not os.path.exists(f"/var/run/dpdk/{dpdk_prefix}"), \
        f"{case.id}: EAL created /var/run/dpdk/{dpdk_prefix} for a refused config"
    assert elapsed < 20, f"{case.id}: took {elapsed:.1f}s to refuse"
    remove_dpdk_leftovers(dpdk_prefix)
