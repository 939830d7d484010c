"""Running the real swiftfwd binary from the end-to-end tests."""
import glob
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Every drop reason the binary counts, as named in --stats-json (docs/config.md, the contract).
DROP_REASONS = [
    "eth_too_short", "eth_not_for_us", "eth_multicast", "unsupported_ethertype",
    "ipv4_too_short", "ipv4_bad_version", "ipv4_bad_ihl", "ipv4_truncated_header",
    "ipv4_bad_checksum", "ipv4_bad_total_length", "ipv4_martian_source",
    "ipv4_martian_destination", "ipv4_multicast_destination", "ipv4_ttl_expired",
    "ipv6_too_short", "ipv6_bad_version", "ipv6_bad_payload_length", "ipv6_martian_source",
    "ipv6_martian_destination", "ipv6_multicast_destination", "ipv6_link_local",
    "ipv6_hop_limit_expired", "local", "no_route", "no_neighbor", "mtu_exceeded", "tx_queue_full",
    "ring_full", "fragment_no_mbuf",
]

FORWARDING_LINE = "swiftfwd: forwarding"
STARTUP_TIMEOUT = 90   # seconds: EAL with --no-huge on a busy 2-core machine can be slow
STOP_TIMEOUT = 30


def binary_path() -> Path:
    return Path(os.environ.get("SWIFTFWD_BIN", REPO / ".build" / "release" / "swiftfwd"))


def small_eal(prefix: str, console: bool = False) -> str:
    """The eal and fib sections every test config shares: one worker, sizes that fit --no-huge.
    The console is off unless asked for, so no test depends on port 5002 being free."""
    off = "" if console else "console:\n  enabled: false\n"
    return off + f"""\
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
"""


def pipeline_threading(rx_cores=(2,), workers=(1,), cpus=None) -> str:
    """A `threading` section for pipeline mode on this 2-CPU machine: lcores mapped onto CPUs
    with --lcores (by default each receive core shares CPU 0 with the mostly idle main core,
    and the workers have CPU 1). Functional testing only: lcores sharing a CPU take turns."""
    if cpus is None:
        cpus = {0: 0, **{c: 0 for c in rx_cores}, **{w: 1 for w in workers}}
    mapping = ", ".join(f"{lcore}: {cpu}" for lcore, cpu in sorted(cpus.items()))
    return f"""\
threading:
  mode: pipeline
  rx_cores: [{", ".join(map(str, rx_cores))}]
  lcore_cpus: {{{mapping}}}
"""


def remove_dpdk_leftovers(prefix: str) -> None:
    """Removes EAL's runtime folder and hugepage files for a file prefix used by one test."""
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    for path in glob.glob(f"/dev/hugepages/{prefix}map_*"):
        try:
            os.unlink(path)
        except OSError:
            pass


class Forwarder:
    """One `swiftfwd run` process with its stdout and stderr in files."""

    def __init__(self, binary: Path, config: Path, workdir: Path, *, duration=None, stats=True):
        self.stdout_path = workdir / "swiftfwd.stdout"
        self.stderr_path = workdir / "swiftfwd.stderr"
        self.stats_path = workdir / "stats.json" if stats else None
        self.args = [str(binary), "run", "--config", str(config)]
        if duration is not None:
            self.args += ["--duration", str(duration)]
        if self.stats_path:
            self.args += ["--stats-json", str(self.stats_path)]
        self.proc = None

    def start(self) -> "Forwarder":
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # Own session: a timeout can kill the process group, and a Ctrl-C at the test
            # runner's terminal does not reach the forwarder before the test does.
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        return self

    def output(self) -> str:
        text = ""
        for path in (self.stdout_path, self.stderr_path):
            try:
                text += path.read_text(errors="replace")
            except FileNotFoundError:
                pass
        return text

    def mark(self) -> tuple:
        """Where stdout and stderr end now; output_since() returns what came after."""
        return tuple(len(self._read_all(p)) for p in (self.stdout_path, self.stderr_path))

    def output_since(self, mark: tuple) -> str:
        return "".join(self._read_all(p)[m:] for p, m in zip((self.stdout_path, self.stderr_path), mark))

    @staticmethod
    def _read_all(path: Path) -> str:
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        return (f"command: {' '.join(self.args)}\n"
                f"--- stdout ---\n{self._read(self.stdout_path)}\n"
                f"--- stderr ---\n{self._read(self.stderr_path)}")

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(errors="replace")[-8000:]
        except FileNotFoundError:
            return "(none)"

    def wait_forwarding(self, timeout=STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if FORWARDING_LINE in self._read(self.stderr_path):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"swiftfwd exited with status {self.proc.returncode} before "
                                     f"printing '{FORWARDING_LINE}'\n{self.describe()}")
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"no '{FORWARDING_LINE}' within {timeout}s\n{self.describe()}")

    def wait(self, timeout=STOP_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"swiftfwd still running {timeout}s later; killed\n{self.describe()}")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT) -> int:
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def stats(self) -> dict:
        assert self.stats_path and self.stats_path.exists(), \
            f"swiftfwd wrote no --stats-json file\n{self.describe()}"
        with open(self.stats_path) as f:
            return json.load(f)


def two_port_pcaps(workdir: Path) -> dict:
    """The pcap files of a two-port net_pcap run: in_p0, in_p1 (read) and out_p0, out_p1 (written)."""
    return {f"{d}_{p}": workdir / f"{d}_{p}.pcap" for d in ("in", "out") for p in ("p0", "p1")}


def run_to_exit(binary: Path, config: Path, workdir: Path, prefix: str, *, duration=3, timeout=180):
    """Runs the forwarder for `duration` seconds (pcap inputs read once), waits for it to exit,
    and removes what EAL left under `prefix` whatever happened. Returns (forwarder, status)."""
    fwd = Forwarder(binary, config, workdir, duration=duration)
    try:
        fwd.start()
        status = fwd.wait(timeout=timeout)
    finally:
        fwd.kill()
        remove_dpdk_leftovers(prefix)
    return fwd, status


def run_check(binary: Path, config: Path, timeout=30) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "check", str(config)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def check_stats_shape(stats: dict) -> None:
    """The --stats-json layout of the contract: every key present, every drop reason listed."""
    assert set(stats) >= {"ports", "workers", "drops", "mempool"}, sorted(stats)
    for port in stats["ports"]:
        assert set(port) >= {"name", "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "hw"}, port
        assert set(port["hw"]) >= {"ipackets", "opackets", "ibytes", "obytes", "imissed", "ierrors",
                                   "oerrors", "rx_nombuf"}, port["hw"]
    for worker in stats["workers"]:
        assert set(worker) >= {"core", "role", "rx_packets", "tx_packets", "busy_cycles", "idle_cycles"}, worker
    assert stats["threading"] in ("run-to-completion", "pipeline"), stats["threading"]
    for ring in stats["rings"]:
        assert set(ring) >= {"name", "rx_core", "worker_core", "size", "count", "enqueued", "dequeued", "dropped"}, ring
    assert sorted(stats["drops"]) == sorted(DROP_REASONS), \
        f"drop reasons differ: missing {sorted(set(DROP_REASONS) - set(stats['drops']))}, " \
        f"unexpected {sorted(set(stats['drops']) - set(DROP_REASONS))}"
    assert set(stats["mempool"]) >= {"size", "available", "leaked"}, stats["mempool"]
