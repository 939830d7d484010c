"""swiftfwd against DPDK's l3fwd on the same input, core and measurement. See docs/performance.md.

Run through scripts/bench, which checks the packages first.
"""

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import shutil
import subprocess
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import forwarder  # noqa: E402
import gen  # noqa: E402
import l3fwd_build  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUGE_SYSFS = "/sys/kernel/mm/hugepages/hugepages-2048kB"

RX_MAC = "02:00:00:00:00:10"        # swiftfwd's RX port MAC = the pcap's Ethernet destination
SRC_MAC = "02:00:00:00:00:01"       # the pcap's Ethernet source
RX_ADDR = "198.18.0.1/24"           # swiftfwd's address on the RX port
SINK_ADDR = "198.18.255.1/24"       # swiftfwd's address on the sink port
NEXT_HOP = "198.18.255.2"           # every route's next hop, a static neighbor on the sink
NEXT_HOP_MAC = "02:00:00:00:00:21"
L3FWD_SINK_PORT = 1                 # l3fwd's port numbers follow the --vdev order
WORKER_CORE = 1                     # both forwarders' only worker; swiftfwd's main core is 0


def log(msg=""):
    print(msg, flush=True)


def parse_args():
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Benchmark swiftfwd against DPDK's l3fwd (LPM) on one worker core: "
                    "64-byte UDP from net_pcap infinite_rx into net_null, a small table and a "
                    "1M-route table, runs alternating, medians and ratios.")
    p.add_argument("--runs", type=int, default=5, help="measured runs per forwarder and table (5)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before each measurement (2)")
    p.add_argument("--window", type=float, default=5.0, help="seconds measured per run (5)")
    p.add_argument("--tables", default="small,1m", help="which tables: small, 1m or both (small,1m)")
    p.add_argument("--routes", type=int, default=1000000, help="prefixes in the large table (1000000)")
    p.add_argument("--small-routes", type=int, default=8, help="/16 routes in the small table (8)")
    p.add_argument("--destinations", type=int, default=16384,
                   help="distinct destinations = packets in the pcap (16384)")
    p.add_argument("--frame-size", type=int, default=64,
                   help="Ethernet frame size on the wire, FCS included (64)")
    p.add_argument("--min-cpu", type=float, default=0.95,
                   help="discard and repeat a measurement in which the worker thread was on its "
                        "CPU less than this fraction of the window (0.95)")
    p.add_argument("--retries", type=int, default=6,
                   help="repeats of a discarded measurement before keeping it anyway (6)")
    p.add_argument("--backoff", type=float, default=10.0,
                   help="seconds to wait before repeating a discarded measurement (10)")
    p.add_argument("--nice", type=int, default=0,
                   help="run both forwarders at this nice value, e.g. -10 to take the worker "
                        "core back from builds on a shared machine (0)")
    p.add_argument("--mode", choices=["pause", "restart"], default="pause",
                   help="pause: start each forwarder once per table and alternate them with "
                        "SIGSTOP/SIGCONT (the 1M table loads once); restart: start a fresh "
                        "process for every run (pause)")
    p.add_argument("--hugepages", choices=["auto", "yes", "no"], default="auto",
                   help="auto: use 2 MiB hugepages, reserving them for the run when root, else "
                        "--no-huge; both forwarders always get the same (auto)")
    p.add_argument("--memory-mb", type=int, default=4096,
                   help="EAL memory (-m) for each forwarder; swiftfwd's default, which holds two copies of full-size tables (4096)")
    p.add_argument("--mbufs", type=int, default=65536,
                   help="mbuf pool size for both forwarders; must exceed --destinations (65536)")
    p.add_argument("--only", choices=["l3fwd", "swiftfwd"], help="run one forwarder only")
    p.add_argument("--swiftfwd", default=os.path.join(REPO, ".build/release/swiftfwd"),
                   help="the swiftfwd binary (.build/release/swiftfwd)")
    p.add_argument("--startup-timeout", type=float, default=1800,
                   help="seconds a forwarder may take to start forwarding (1800)")
    p.add_argument("--timeout", type=float, default=7200,
                   help="seconds the whole benchmark may take (7200)")
    p.add_argument("--seed", type=int, default=1, help="seed for tables and packets (1)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = p.parse_args()
    a.tables = [t.strip() for t in a.tables.split(",") if t.strip()]
    for t in a.tables:
        if t not in ("small", "1m"):
            p.error(f"--tables: unknown table {t!r}; use small, 1m or small,1m")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    if a.mbufs < a.destinations + 8192:
        p.error("--mbufs must exceed --destinations by 8192: net_pcap's infinite_rx keeps "
                "every packet of the pcap in the pool")
    return a


# -- hugepages ---------------------------------------------------------------------------------

class Hugepages:
    """Decides hugepages or --no-huge for both forwarders. As root it reserves what is missing,
    tops the reservation up before each start (another process on a shared machine may take
    free pages in between), and at the end gives back exactly what it added, leaving any
    change others made meanwhile alone."""

    def __init__(self, mode, pages_needed, per_forwarder):
        self.use = False
        self.mount = None
        self.note = ""
        self.per_forwarder = per_forwarder
        self._added = 0
        self._mounted = False
        self._root = os.geteuid() == 0
        if mode == "no":
            self.note = "--no-huge (by --hugepages no)"
            return
        self.mount = self._find_mount()
        if self.mount is None and self._root:
            os.makedirs("/dev/hugepages", exist_ok=True)
            if subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev",
                               "/dev/hugepages"], stderr=subprocess.DEVNULL).returncode == 0:
                self.mount, self._mounted = "/dev/hugepages", True
        free = self._top_up(pages_needed)
        if self.mount is not None and free >= pages_needed:
            self.use = True
            self.note = (f"2 MiB hugepages from {self.mount} ({free} free, {pages_needed} needed"
                         + (f", {self._added} reserved for this run" if self._added else "") + ")")
        elif mode == "yes":
            self.release()
            raise SystemExit(f"bench: {pages_needed} free 2 MiB hugepages are needed, {free} are "
                             "free; run as root or reserve them in "
                             f"{HUGE_SYSFS}/nr_hugepages")
        else:
            self.release()
            self.note = f"--no-huge ({free} free 2 MiB hugepages, {pages_needed} needed)"

    def _top_up(self, pages):
        free = self._read("free_hugepages")
        if free < pages and self._root and self.mount is not None:
            nr = self._read("nr_hugepages")
            self._write("nr_hugepages", nr + pages - free)
            self._added += max(0, self._read("nr_hugepages") - nr)
            free = self._read("free_hugepages")
        return free

    def before_start(self):
        """Make sure one forwarder's pages are free right before it starts."""
        if self.use:
            self._top_up(self.per_forwarder)

    @staticmethod
    def _find_mount():
        with open("/proc/mounts") as f:
            for line in f:
                dev, path, fstype, opts = line.split()[:4]
                if fstype == "hugetlbfs" and ("pagesize=1G" not in opts):
                    return path
        return None

    @staticmethod
    def _read(name):
        try:
            with open(os.path.join(HUGE_SYSFS, name)) as f:
                return int(f.read())
        except OSError:
            return 0

    @staticmethod
    def _write(name, value):
        try:
            with open(os.path.join(HUGE_SYSFS, name), "w") as f:
                f.write(str(value))
        except OSError:
            pass

    def release(self):
        if self._added:
            self._write("nr_hugepages", max(0, self._read("nr_hugepages") - self._added))
            self._added = 0
        if self._mounted:
            # Fails, harmlessly, when someone else now uses or has mounted over it.
            subprocess.run(["umount", self.mount], stderr=subprocess.DEVNULL)
            self._mounted = False


# -- tables --------------------------------------------------------------------------------------

def make_table(kind, args, work):
    """Generate one table's route list, pcap, l3fwd rule files and swiftfwd config."""
    d = os.path.join(work, kind)
    os.makedirs(d)
    t0 = time.monotonic()
    if kind == "small":
        routes = gen.small_table(args.small_routes, args.seed)
    else:
        routes = gen.million_table(args.routes, args.seed + 100)
    dsts = gen.destinations(routes, args.destinations, args.seed + 200)
    pcap = os.path.join(d, "in.pcap")
    gen.write_pcap(pcap, dsts, dst_mac=RX_MAC, src_mac=SRC_MAC, frame_len=args.frame_size - 4,
                   seed=args.seed + 300)
    rules4 = os.path.join(d, "l3fwd.rules4")
    rules6 = os.path.join(d, "l3fwd.rules6")
    gen.write_l3fwd_rules(rules4, routes, L3FWD_SINK_PORT)
    gen.write_l3fwd_rules_v6(rules6, L3FWD_SINK_PORT)
    return {"kind": kind, "dir": d, "routes": routes, "dsts": dsts, "pcap": pcap,
            "rules4": rules4, "rules6": rules6, "gen_seconds": time.monotonic() - t0}


def describe_table(t):
    mix = Counter(length for _, length in t["routes"])
    n = len(t["routes"])
    parts = []
    groups = [("/8-/15", range(8, 16)), ("/16-/23", range(16, 24)), ("/24", [24]),
              ("/25-/32", range(25, 33))]
    for label, lengths in groups:
        c = sum(mix[x] for x in lengths)
        if c:
            parts.append(f"{label} {100.0 * c / n:.1f}%")
    return f"{n} IPv4 prefixes ({', '.join(parts)}), {len(t['dsts'])} distinct destinations"


def eal_common(args, huge):
    """l3fwd's EAL memory and device options, as swiftfwd sets its own: --huge-unlink so no
    page file outlives the process."""
    mem = ["-m", str(args.memory_mb)] + (["--huge-unlink"] if huge.use else ["--no-huge"])
    return mem + ["--no-pci", "--force-max-simd-bitwidth=512"]


def niced(args, cmd):
    return (["nice", "-n", str(args.nice)] if args.nice else []) + cmd


def l3fwd_forwarder(binary, t, args, huge, prefix, work):
    cmd = [binary, "-l", "1", "--file-prefix", prefix] + eal_common(args, huge) + [
        "--vdev", f"net_pcap0,rx_pcap={t['pcap']},infinite_rx=1",
        "--vdev", "net_null0,no-rx=1",
        "--", "-p", "0x3", "--config", "(0,0,1)", "--parse-ptype",
        f"--rule_ipv4={t['rules4']}", f"--rule_ipv6={t['rules6']}"]
    return forwarder.Forwarder("l3fwd", niced(args, cmd), prefix=prefix, ready="entering main loop",
                               ready_stream=None, quiet="LPM: Adding route",
                               huge_dir=huge.mount if huge.use else None,
                               log_path=os.path.join(t["dir"], "l3fwd.log"))


def swiftfwd_forwarder(binary, t, args, huge, prefix, duration):
    config = os.path.join(t["dir"], "swiftfwd.yaml")
    if not os.path.exists(config):
        gen.swiftfwd_config(config, routes=t["routes"], via=NEXT_HOP, pcap=t["pcap"],
                            rx_mac=RX_MAC, prefix=prefix, memory_mb=args.memory_mb,
                            hugepages=huge.use, mbufs=args.mbufs, max_routes=1300000,
                            tbl8_groups=65536, sink_addr=SINK_ADDR, neighbor_mac=NEXT_HOP_MAC,
                            rx_addr=RX_ADDR)
    t["swiftfwd_config"] = config
    stats = os.path.join(t["dir"], "swiftfwd-stats.json")
    t["swiftfwd_stats"] = stats
    cmd = [binary, "run", "--config", config, "--duration", str(int(duration)),
           "--stats-json", stats]
    return forwarder.Forwarder("swiftfwd", niced(args, cmd), prefix=prefix, ready="swiftfwd: forwarding",
                               ready_stream="stderr",
                               huge_dir=huge.mount if huge.use else None,
                               log_path=os.path.join(t["dir"], "swiftfwd.log"))


# -- the run -------------------------------------------------------------------------------------

def fmt_bytes(n):
    return f"{n / 1048576:.0f} MiB"


def run_table(t, fwds, args, tsc, results, huge):
    kind = t["kind"]
    label = "small table" if kind == "small" else "large table"
    log(f"== {label}: {describe_table(t)}")
    started = set()
    try:
        if args.mode == "pause":
            for f in fwds:
                huge.before_start()
                f.start(args.startup_timeout)
                started.add(f.name)
                log(f"   {f.name} started in {f.startup_seconds:.1f} s"
                    + (f" ({f.quiet_count} 'LPM: Adding route' lines)" if f.quiet else ""))
                f.pause()
        for r in range(args.runs):
            order = fwds if r % 2 == 0 else list(reversed(fwds))
            for f in order:
                if args.mode == "pause":
                    f.resume()
                else:
                    huge.before_start()
                    f.start(args.startup_timeout)
                    started.add(f.name)
                for attempt in range(args.retries + 1):
                    m = f.measure(args.warmup, args.window, WORKER_CORE)
                    disturbed = m.worker_share < args.min_cpu
                    log(f"   run {r + 1} {f.name:8s} {m.pps / 1e6:7.2f} Mpps "
                        f"{cycles(tsc, m.pps):>7s} cycles/packet   {describe(m)}"
                        + ("  -> discarded, measuring again" if disturbed and attempt < args.retries
                           else "  -> kept, still disturbed" if disturbed else ""))
                    if not disturbed:
                        break
                    if attempt < args.retries:
                        t["discarded"] = t.get("discarded", 0) + 1
                        time.sleep(args.backoff)
                    else:
                        t["kept_disturbed"] = t.get("kept_disturbed", 0) + 1
                if kind == "1m" and r == args.runs - 1:
                    t.setdefault("memory", {})[f.name] = f.memory()
                if args.mode == "pause":
                    f.pause()
                else:
                    check_exit(f, f.stop(), t)
                results[kind][f.name].append(m.pps)
                if f.name == "l3fwd":
                    t["l3fwd_added"] = f.quiet_count
    finally:
        for f in fwds:
            if f.name in started or f.proc is not None:
                status = f.stop()
                if args.mode == "pause" and f.name in started:
                    check_exit(f, status, t)
                if f.name == "swiftfwd":
                    t["swiftfwd_log"] = f.output()
                    t["swiftfwd_startup"] = f.startup_seconds
                if f.name == "l3fwd":
                    t["l3fwd_startup"] = f.startup_seconds


def cycles(tsc, pps):
    return f"{tsc / pps:.1f}" if pps > 0 else "inf"


def describe(m):
    # The two ports are read one after the other, so a few milliseconds of packets can fall
    # between them; below 99% something was really dropped.
    note = "" if m.delivered > 0.99 else f", only {100 * m.delivered:.2f}% of received left"
    return (f"(worker on CPU {100 * m.worker_share:3.0f}%, steal {100 * m.steal:2.0f}%, "
            f"other CPUs busy {100 * m.others_busy:3.0f}%{note})")


def check_exit(f, status, t):
    if status not in (0, None, -signal.SIGINT):
        log(f"   warning: {f.name} exited with status {status}; last output:\n{f.tail(15)}")
    t.setdefault("exit", {})[f.name] = status


def report_swiftfwd(t, mode):
    """Drops and own counters from --stats-json, written when swiftfwd exits."""
    path = t.get("swiftfwd_stats")
    if not path:
        return
    try:
        with open(path) as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        log(f"   swiftfwd stats: cannot read {path}: {e}")
        return
    drops = {k: v for k, v in stats.get("drops", {}).items() if v}
    rx = sum(p.get("rx_packets", 0) for p in stats.get("ports", []))
    total = sum(drops.values())
    if drops:
        text = ", ".join(f"{k} {v}" for k, v in sorted(drops.items()))
        log(f"   swiftfwd drops: {text} ({100.0 * total / max(rx, 1):.3f}% of {rx} received)")
    else:
        log(f"   swiftfwd drops: none of {rx} received packets")
    busy = sum(w.get("busy_cycles", 0) for w in stats.get("workers", []))
    txp = sum(w.get("tx_packets", 0) for w in stats.get("workers", []))
    if txp and mode == "restart":
        # In pause mode the poll that SIGSTOP interrupts counts the pause as busy time.
        log(f"   swiftfwd's own counters, last run: {busy / txp:.1f} busy cycles/packet sent")
    mp = stats.get("mempool", {})
    if mp.get("leaked"):
        log(f"   swiftfwd mempool: {mp.get('leaked')} mbufs leaked")


def report_memory(t):
    mem = t.get("memory", {})
    for name in ("l3fwd", "swiftfwd"):
        m = mem.get(name)
        if not m:
            continue
        parts = []
        for key, label in (("VmRSS", "RSS"), ("VmHWM", "peak RSS"), ("HugetlbPages", "hugepages mapped"),
                           ("dpdk_heap_allocated", "DPDK heap allocated")):
            if key in m:
                parts.append(f"{label} {fmt_bytes(m[key])}")
        log(f"   {name} memory with the 1M table: {', '.join(parts)}")
    startup = []
    for l in t.get("swiftfwd_log", []):
        if l.startswith("swiftfwd: forwarding"):
            break
        startup.append(l)
    lines = [l for l in startup if l.startswith("swiftfwd:")
             and any(w in l.lower() for w in ("mib", "fib", "route", "mbuf", "hugepage", "memory",
                                              "config", "loaded"))]
    if lines:
        log("   swiftfwd startup log (memory and table):")
        for l in lines:
            log(f"     {l}")


def summary(args, tsc, results, tables):
    ratios = {}
    log("== summary (median of runs; cycles/packet = TSC Hz x 1 core / packet rate)")
    for t in tables:
        kind = t["kind"]
        label = "small table" if kind == "small" else f"{len(t['routes'])} routes"
        med = {}
        for name in ("l3fwd", "swiftfwd"):
            runs = results[kind][name]
            if not runs:
                continue
            m = statistics.median(runs)
            med[name] = m
            log(f"{name:8s} {label:16s} {m / 1e6:7.2f} Mpps {cycles(tsc, m):>7s} cycles/packet "
                f"(runs {min(runs) / 1e6:.2f}-{max(runs) / 1e6:.2f} Mpps, n={len(runs)})")
        if med.get("l3fwd") and "swiftfwd" in med:
            ratios[kind] = med["swiftfwd"] / med["l3fwd"]
            # Run i of each forwarder ran back to back, so their ratio cancels the machine's
            # slower drifts (on a shared VM the rate of either forwarder alone moves by a third
            # between runs): the median of these is the steadier figure of the two.
            pairs = [s / l for l, s in zip(results[kind]["l3fwd"], results[kind]["swiftfwd"]) if l > 0]
            if pairs:
                log(f"paired   {label:16s} swiftfwd/l3fwd of each run's back-to-back pair: median "
                    f"{statistics.median(pairs):.2f} ({', '.join(f'{x:.2f}' for x in pairs)})")
    for t in tables:
        if t.get("discarded") or t.get("kept_disturbed"):
            log(f"{t['kind']} table: {t.get('discarded', 0)} disturbed measurements discarded and "
                f"repeated, {t.get('kept_disturbed', 0)} kept after {args.retries} repeats")
    for t in tables:
        if t.get("swiftfwd_startup") is not None:
            log(f"swiftfwd startup (config load + table + ports) {t['kind']}: "
                f"{t['swiftfwd_startup']:.1f} s; l3fwd: "
                + (f"{t['l3fwd_startup']:.1f} s" if t.get("l3fwd_startup") else "n/a"))

    def r(kind):
        return f"{ratios[kind]:.2f}" if kind in ratios else "n/a"
    log(f"ratio swiftfwd/l3fwd: {r('small')} (small table), {r('1m')} (1M routes)")


def main():
    args = parse_args()

    def on_alarm(*_):
        raise TimeoutError(f"the benchmark exceeded --timeout {args.timeout:.0f} s")

    def on_term(*_):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(int(args.timeout))

    names = ["l3fwd", "swiftfwd"] if args.only is None else [args.only]
    if "swiftfwd" in names and not os.access(args.swiftfwd, os.X_OK):
        raise SystemExit(f"bench: {args.swiftfwd} does not exist; build it with "
                         "`swift build -c release` or pass --swiftfwd PATH (or --only l3fwd)")
    if os.geteuid() != 0:
        raise SystemExit("bench: run as root (DPDK's runtime folder, hugepages, telemetry)")

    work = tempfile.mkdtemp(prefix="swiftfwd-bench-")
    tag = f"{os.getpid()}"
    pages = (args.memory_mb // 2) * (len(names) if args.mode == "pause" else 1)
    huge = Hugepages(args.hugepages, pages, args.memory_mb // 2)
    results = {k: {"l3fwd": [], "swiftfwd": []} for k in args.tables}
    tables = []
    failed = []
    try:
        l3fwd = None
        if "l3fwd" in names:
            l3fwd = l3fwd_build.build(work, max_rules=max(2 * args.routes, 1024),
                                      tbl8_groups=65536, min_mbufs=args.mbufs, log=log)
        tsc, how = l3fwd_build.tsc_hz(work)
        log(f"machine: {os.cpu_count()} CPUs, TSC {tsc / 1e6:.0f} MHz ({how}), "
            f"load average {os.getloadavg()[0]:.2f}")
        log(f"memory: {huge.note}, -m {args.memory_mb} for each forwarder, "
            f"{args.mbufs} mbufs each")
        log(f"input: {args.frame_size}-byte UDP/IPv4 frames (FCS included) from net_pcap "
            f"infinite_rx, sources in 198.19.0.0/16, into net_null; worker on core 1; "
            f"{args.runs} runs x {args.window:.0f} s after {args.warmup:.0f} s warm-up, "
            f"alternating ({args.mode} mode); rate = sink opackets via DPDK telemetry; "
            f"a run whose worker had under {100 * args.min_cpu:.0f}% of its CPU is repeated "
            f"(up to {args.retries} times, {args.backoff:.0f} s apart)" + (f"; forwarders at nice {args.nice}" if args.nice else ""))
        for kind in args.tables:
            t = make_table(kind, args, work)
            tables.append(t)
            fwds = []
            for name in names:
                prefix = f"bench-{name}-{tag}"
                if name == "l3fwd":
                    fwds.append(l3fwd_forwarder(l3fwd, t, args, huge, prefix, work))
                else:
                    fwds.append(swiftfwd_forwarder(args.swiftfwd, t, args, huge, prefix,
                                                   args.timeout))
            try:
                run_table(t, fwds, args, tsc, results, huge)
            except forwarder.StartError as e:
                log(f"   bench: {e}")
                failed.append(kind)
            if "l3fwd" in names and t.get("l3fwd_added") is not None:
                want = len(t["routes"]) + 1
                if t["l3fwd_added"] != want:
                    log(f"   warning: l3fwd added {t['l3fwd_added']} routes, expected {want}")
            if "swiftfwd" in names:
                report_swiftfwd(t, args.mode)
            if kind == "1m":
                report_memory(t)
        summary(args, tsc, results, tables)
        if failed:
            log(f"bench: incomplete: the {' and '.join(failed)} table run(s) failed (see above)")
            sys.exit(1)
    except (TimeoutError, KeyboardInterrupt) as e:
        log(f"bench: stopped: {e or 'interrupted'}")
        sys.exit(1)
    finally:
        signal.alarm(0)
        huge.release()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
