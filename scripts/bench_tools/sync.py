"""How the kernel-route mirror keeps up with a full table. See docs/performance.md ("Kernel
routes: mirror lag with a full table"). Run through scripts/bench_sync.

swiftfwd runs inside a network namespace of this script's own, with `kernel: {enabled: true}`
and one data port (net_null, no traffic) whose twin (a net_tap in that namespace) is up with
198.18.0.1/24. Each run:

  1. load: 1M IPv4 routes (gen.py's length mix) `via 198.18.0.2 dev TWIN` into the namespace's
     main table with `ip -batch`; meanwhile `show sync json` is polled until the fast path
     holds them all;
  2. probe (with the table full): one /32 added with `ip route add`, timed until
     `show route` finds it, a few times;
  3. delete: the same routes removed with `ip -batch`, polled until the mirror holds none.

Figures per phase: time for `ip -batch` to return, time until the fast path had every route
(from the start and from ip's return), the lag `show sync` reports (netlink receipt of a
batch's oldest change to its FIB update), batches, resyncs and netlink overruns, CPU of ip and
of swiftfwd's sync thread, memory (process RSS, DPDK heap). Medians over --runs.

Routes exist only inside the namespace; it is deleted at the end (with its routes and twin),
and swiftfwd is stopped, whatever happens.
"""

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (REPO, HUGE_SYSFS)
import churn  # noqa: E402  (Console, memory, mib)
import forwarder  # noqa: E402
import gen  # noqa: E402
import gen_churn  # noqa: E402
import netns  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PORT_ADDR = "198.18.0.1/24"
GATEWAY = "198.18.0.2"
GATEWAY_MAC = "02:00:00:00:00:21"
PORT_MAC = "02:00:00:00:00:10"
PROBE = "198.18.77.1"          # outside the generated table (gen.py never uses 198.18.0.0/15)
SYNC_THREAD = "swiftfwd-sync"


def log(msg=""):
    print(msg, flush=True)


def parse_args():
    p = argparse.ArgumentParser(prog="scripts/bench_sync", description=__doc__.split("\n\n")[0])
    p.add_argument("--routes", type=int, default=1000000, help="IPv4 routes loaded into the kernel (1000000)")
    p.add_argument("--runs", type=int, default=3, help="load/probe/delete runs; medians are printed (3)")
    p.add_argument("--probes", type=int, default=5, help="single-route probes per run with the table full (5)")
    p.add_argument("--poll", type=float, default=0.02, help="seconds between `show sync` polls during a phase (0.02)")
    p.add_argument("--timeout", type=float, default=900, help="seconds a phase may take before the run is failed (900)")
    p.add_argument("--memory-mb", type=int, default=0, help="EAL memory (0: sized from the FIB, see below)")
    p.add_argument("--hugepages", choices=["auto", "yes", "no"], default="auto",
                   help="auto: hugepages if enough are free, else --no-huge; never reserves any (auto)")
    p.add_argument("--swiftfwd", default=os.path.join(bench.REPO, ".build/release/swiftfwd"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return p.parse_args()


# -- set-up ---------------------------------------------------------------------------------------

def fib_sizes(routes):
    """fib: keys for the table: room for every route plus slack, tbl8 groups for the /25-/32s
    with half again as many spare; IPv6 at its minimum (no IPv6 routes here)."""
    groups = gen_churn.ipv4_tbl8_groups(routes)
    return {"ipv4_max_routes": max(1024, len(routes) + 65536), "ipv4_tbl8_groups": max(1024, groups * 3 // 2),
            "ipv6_max_routes": 1024, "ipv6_tbl8_groups": 1024}


def memory_needed(fib):
    """MiB of EAL memory: per table copy the 64 MiB first levels of DIR-24-8 and of the IPv6
    trie, 1 KiB per IPv4 tbl8 group and about 420 bytes per IPv4 route of capacity (the RIB;
    fitted to `show memory`'s FIB line: 1174 MiB for 1,065,536 routes and 29,977 groups), twice;
    plus 256 MiB for the mbufs and the rest."""
    per_copy = 128 + fib["ipv4_tbl8_groups"] / 1024 + fib["ipv4_max_routes"] * 420 / 1048576
    return int(2 * per_copy + 256 + 255) // 256 * 256


def hugepages_free():
    try:
        with open(os.path.join(bench.HUGE_SYSFS, "free_hugepages")) as f:
            return int(f.read())
    except OSError:
        return 0


def hugepage_mount():
    with open("/proc/mounts") as f:
        for line in f:
            _, path, fstype, opts = line.split()[:4]
            if fstype == "hugetlbfs" and "pagesize=1G" not in opts:
                return path
    return None


def write_config(path, *, prefix, memory_mb, huge, fib, twin):
    fib_lines = "\n".join(f"  {k}: {v}" for k, v in fib.items())
    with open(path, "w") as f:
        f.write(f"""eal:
  main_core: 0
  worker_cores: [1]
  file_prefix: {prefix}
  memory_mb: {memory_mb}
  hugepages: {'true' if huge else 'false'}
mempool:
  mbufs: 8192
fib:
{fib_lines}
ports:
  - name: s0
    device: net_null0,no-rx=1
    mac: "{PORT_MAC}"
    kernel_interface: {twin}
    addresses: [{PORT_ADDR}]
neighbors:
  - {{address: {GATEWAY}, mac: "{GATEWAY_MAC}", port: s0}}
kernel:
  enabled: true
console:
  listen: 127.0.0.1:5002
  idle_timeout: 0
""")


class SyncForwarder(forwarder.Forwarder):
    """swiftfwd with one net_null port and no traffic: nothing to find in telemetry."""

    def _find_ports(self):
        pass


def write_batches(work, routes, twin):
    add = os.path.join(work, "add.batch")
    delete = os.path.join(work, "del.batch")
    with open(add, "w") as a, open(delete, "w") as d:
        for net, length in routes:
            p = f"{gen.int_to_ip(net)}/{length}"
            a.write(f"route add {p} via {GATEWAY} dev {twin} proto bgp\n")
            d.write(f"route del {p} via {GATEWAY} dev {twin} proto bgp\n")
    return add, delete


# -- measurement ----------------------------------------------------------------------------------

def thread_cpu(pid, name):
    """CPU seconds (user + system) of the forwarder's threads called `name`."""
    total = 0.0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                if f.read().strip() != name:
                    continue
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_batch_phase(name, ns, con, pid, batch_file, *, want_routes, timeout, poll):
    """Runs `ip -batch` on batch_file in the namespace and polls `show sync json` until the
    mirror holds `want_routes` routes and ip has returned. Returns the phase's figures."""
    before = con.json("show sync")
    cpu0 = thread_cpu(pid, SYNC_THREAD)
    errors_path = batch_file + ".err"
    t0 = time.monotonic()
    with open(errors_path, "w") as err:
        proc = subprocess.Popen(["ip", "-n", ns.name, "-force", "-batch", batch_file],
                                stdout=subprocess.DEVNULL, stderr=err)
    ip_done = None
    ip_status = None
    ip_cpu = 0.0
    done = None
    last = before
    lags = []           # last_lag_us of each batch seen while polling
    queued = []         # changes read and not applied yet, at each poll
    seen_batches = before["batches"]
    polls = 0
    while True:
        if ip_done is None:
            pid_, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid_ == proc.pid:
                ip_done = time.monotonic()
                ip_status = os.waitstatus_to_exitcode(status)
                ip_cpu = usage.ru_utime + usage.ru_stime
                proc.returncode = ip_status
        last = con.json("show sync")
        polls += 1
        queued.append(last.get("queued", 0))
        if last["batches"] != seen_batches:
            lags.append(last["last_lag_us"])
            seen_batches = last["batches"]
        now = time.monotonic()
        if done is None and last["routes"] == want_routes:
            done = now
        if done is not None and ip_done is not None:
            break
        if now - t0 > timeout:
            proc.kill()
            raise SystemExit(f"bench_sync: {name}: after {timeout:.0f} s the mirror holds {last['routes']} routes, "
                             f"expected {want_routes}; ip {'returned' if ip_done else 'still running'}")
        time.sleep(poll)
    cpu = thread_cpu(pid, SYNC_THREAD) - cpu0
    with open(errors_path) as f:
        ip_errors = sum(1 for line in f if line.strip() and not line.startswith("Command failed"))
    result = {
        "ip_seconds": ip_done - t0,
        "fib_seconds": done - t0,
        "fib_after_ip": done - ip_done,
        "ip_status": ip_status,
        "ip_errors": ip_errors,
        "ip_cpu": ip_cpu,
        "sync_cpu": cpu,
        "batches": last["batches"] - before["batches"],
        "resyncs": last["resyncs"] - before["resyncs"],
        "overruns": last["overruns"] - before["overruns"],
        "refused": last["refused"] - before["refused"],
        # max_lag_us is the largest since start: it belongs to this phase only if it grew.
        "max_lag_us": max(lags + [last["last_lag_us"]] + ([last["max_lag_us"]] if last["max_lag_us"] > before["max_lag_us"] else [])),
        "max_queued_seen": max(queued) if queued else 0,
        "largest_batch_total": last.get("largest_batch", 0),
        "last_lag_us": last["last_lag_us"],
        "max_lag_us_total": last["max_lag_us"],
        "routes": last["routes"],
        "polls": polls,
    }
    return result


def describe_phase(name, count, r):
    log(f"   {name}: ip -batch returned after {r['ip_seconds']:.2f} s ({count / r['ip_seconds']:.0f} routes/s, status "
        f"{r['ip_status']}, {r['ip_errors']} error lines, ip CPU {r['ip_cpu']:.2f} s incl. the kernel's work); "
        f"fast path complete after {r['fib_seconds']:.2f} s from the start = {r['fib_after_ip']:.2f} s after ip returned; "
        f"{r['batches']} batches (largest so far {r['largest_batch_total']}), lag per batch up to "
        f"{r['max_lag_us'] / 1e3:.0f} ms, last {r['last_lag_us'] / 1e3:.1f} ms; queued up to {r['max_queued_seen']} (seen); resyncs {r['resyncs']}, overruns {r['overruns']}, refused {r['refused']}; "
        f"sync thread CPU {r['sync_cpu']:.2f} s = {count / r['sync_cpu'] if r['sync_cpu'] else 0:.0f} routes per CPU second")


def probe(ns, con, twin, *, present):
    """Adds (present=True) or deletes the /32 PROBE route with `ip route`, and returns seconds
    from just before ip started until `show route PROBE` shows the change."""
    verb = "add" if present else "del"
    t0 = time.monotonic()
    subprocess.run(["ip", "-n", ns.name, "route", verb, f"{PROBE}/32", "via", GATEWAY, "dev", twin],
                   check=True, capture_output=True)
    while True:
        answer = con.json(f"show route {PROBE}")
        if ((answer.get("route") or {}).get("prefix") == f"{PROBE}/32") == present:
            return time.monotonic() - t0
        if time.monotonic() - t0 > 30:
            raise SystemExit(f"bench_sync: the probe route was not {'added' if present else 'removed'} within 30 s: {answer}")
        time.sleep(0.0005)


def probes(ns, con, twin, count):
    adds, dels = [], []
    for _ in range(count):
        adds.append(probe(ns, con, twin, present=True))
        dels.append(probe(ns, con, twin, present=False))
        time.sleep(0.2)
    return adds, dels


def check_sample(con, routes, rng, count=200):
    """Looks up `count` random routes' addresses through `show route` and checks the fast path
    answers with the longest matching prefix of the table (computed here)."""
    table = set(routes)
    bad = []
    for net, length in rng.sample(routes, count):
        addr = net | rng.randrange(1 << (32 - length))
        expected = None
        for l in range(32, -1, -1):
            key = (addr & ((0xFFFFFFFF << (32 - l)) & 0xFFFFFFFF), l)
            if key in table:
                expected = f"{gen.int_to_ip(key[0])}/{l}"
                break
        got = (con.json(f"show route {gen.int_to_ip(addr)}").get("route") or {}).get("prefix")
        if got != expected:
            bad.append((gen.int_to_ip(addr), expected, got))
    return bad


def kernel_route_count(ns):
    out = subprocess.run(["ip", "-n", ns.name, "-4", "route", "show", "table", "main", "proto", "bgp"],
                         capture_output=True, text=True).stdout
    return out.count("\n")


def med(values):
    return statistics.median(values) if values else 0.0


# -- the run --------------------------------------------------------------------------------------

def main():
    args = parse_args()
    tag = f"{os.getpid() % 100000}"
    ns = netns.Namespace(f"swfsync{tag}")
    twin = f"swsync{tag}"
    work = tempfile.mkdtemp(prefix="swiftfwd-sync-")
    fwd = None

    def stop_on_signal(signum, _frame):
        raise SystemExit(f"bench_sync: signal {signum}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop_on_signal)

    try:
        t = time.monotonic()
        routes = gen.million_table(args.routes, args.seed + 100)
        add_file, del_file = write_batches(work, routes, twin)
        fib = fib_sizes(routes)
        memory_mb = args.memory_mb or memory_needed(fib)
        pages = memory_mb // 2
        mount = hugepage_mount()
        free = hugepages_free()
        huge = args.hugepages != "no" and mount is not None and free >= pages
        if args.hugepages == "yes" and not huge:
            raise SystemExit(f"bench_sync: {pages} free 2 MiB hugepages are needed, {free} are free")
        lengths = {}
        for _, length in routes:
            lengths[length] = lengths.get(length, 0) + 1
        log(f"== bench_sync: {len(routes)} IPv4 routes into the kernel with ip -batch, {args.runs} runs; "
            f"generated in {time.monotonic() - t:.1f} s; /24 {100 * lengths.get(24, 0) / len(routes):.1f}%, "
            f"shorter {100 * sum(v for k, v in lengths.items() if k < 24) / len(routes):.1f}%, "
            f"longer {100 * sum(v for k, v in lengths.items() if k > 24) / len(routes):.1f}%")
        log(f"   fib: {fib}; EAL memory {memory_mb} MiB, "
            + (f"2 MiB hugepages from {mount} ({free} free)" if huge else f"--no-huge ({free} free 2 MiB hugepages, {pages} needed)"))
        log(f"   nice: this script runs at nice {os.nice(0)} (swiftfwd and ip inherit it)")

        ns.create()
        prefix = f"swf-sync-{tag}"
        config = os.path.join(work, "swiftfwd.yaml")
        write_config(config, prefix=prefix, memory_mb=memory_mb, huge=huge, fib=fib, twin=twin)
        stats_path = os.path.join(work, "stats.json")
        cmd = ns.exec_prefix() + [args.swiftfwd, "run", "--config", config, "--stats-json", stats_path]
        fwd = SyncForwarder("swiftfwd", cmd, prefix=prefix, ready="swiftfwd: forwarding", ready_stream="stderr",
                            huge_dir=mount if huge else None, log_path=os.path.join(work, "swiftfwd.log"))
        fwd.start(600)
        pid = fwd.proc.pid
        deadline = time.monotonic() + 60
        while not any("console listening on 127.0.0.1:5002" in l for l in fwd.output()):
            if time.monotonic() > deadline:
                raise SystemExit("bench_sync: the console did not start")
            time.sleep(0.1)
        con = ns.call(lambda: churn.Console(5002))
        # The twin is up with its address (KernelSync does it before the sync thread starts).
        shown = ns.ip("-4", "addr", "show", "dev", twin)
        if PORT_ADDR not in shown:
            raise SystemExit(f"bench_sync: the twin {twin} lacks {PORT_ADDR}:\n{shown}")
        base = con.json("show sync")
        base_routes = base["routes"]
        mem_start = churn.memory(pid, con)
        log(f"   swiftfwd started in {fwd.startup_seconds:.1f} s in namespace {ns.name}, twin {twin}; mirror holds "
            f"{base_routes} routes, {base['neighbors']} neighbors; RSS {churn.mib(mem_start['VmRSS'])}, "
            f"DPDK heap in use {churn.mib(mem_start['heap'])} (FIB {churn.mib(mem_start['fib'])})")

        empty_adds, empty_dels = probes(ns, con, twin, args.probes)
        log(f"   probe, empty table: ip route add -> show route sees it: median {1e3 * med(empty_adds):.1f} ms "
            f"(max {1e3 * max(empty_adds):.1f}); del: median {1e3 * med(empty_dels):.1f} ms")

        rng = random.Random(args.seed + 5)
        runs = []
        for run in range(args.runs):
            log(f"-- run {run + 1} of {args.runs}")
            r = {}
            r["load"] = run_batch_phase("load", ns, con, pid, add_file, want_routes=base_routes + len(routes),
                                        timeout=args.timeout, poll=args.poll)
            describe_phase("load", len(routes), r["load"])
            r["mem_full"] = churn.memory(pid, con)
            in_kernel = kernel_route_count(ns)
            bad = check_sample(con, routes, rng)
            log(f"   full: the kernel holds {in_kernel} of the routes; {200 - len(bad)} of 200 sampled lookups in the "
                f"fast path give the table's longest match" + (f"; first wrong: {bad[0]}" if bad else ""))
            log(f"   memory full: RSS {churn.mib(r['mem_full']['VmRSS'])} (anonymous {churn.mib(r['mem_full']['RssAnon'])}, "
                f"+{churn.mib(r['mem_full']['RssAnon'] - mem_start['RssAnon'])} since start), peak {churn.mib(r['mem_full']['VmHWM'])}; "
                f"DPDK heap in use {churn.mib(r['mem_full']['heap'])}")
            r["kernel_routes"] = in_kernel
            r["sample_bad"] = len(bad)
            adds, dels = probes(ns, con, twin, args.probes)
            r["probe_add"], r["probe_del"] = adds, dels
            log(f"   probe, full table: ip route add -> show route sees it: median {1e3 * med(adds):.1f} ms "
                f"(max {1e3 * max(adds):.1f}); del: median {1e3 * med(dels):.1f} ms (max {1e3 * max(dels):.1f})")
            r["delete"] = run_batch_phase("delete", ns, con, pid, del_file, want_routes=base_routes,
                                          timeout=args.timeout, poll=args.poll)
            describe_phase("delete", len(routes), r["delete"])
            r["mem_empty"] = churn.memory(pid, con)
            log(f"   memory after the delete: RSS {churn.mib(r['mem_empty']['VmRSS'])} (anonymous {churn.mib(r['mem_empty']['RssAnon'])}); "
                f"DPDK heap in use {churn.mib(r['mem_empty']['heap'])}")
            runs.append(r)

        log(f"== medians over {len(runs)} runs ({len(routes)} routes)")
        summary = {}
        for phase in ("load", "delete"):
            m = {k: med([r[phase][k] for r in runs]) for k in
                 ("ip_seconds", "fib_seconds", "fib_after_ip", "max_lag_us", "batches", "sync_cpu", "ip_cpu",
                  "max_queued_seen")}
            m["resyncs"] = sum(r[phase]["resyncs"] for r in runs)
            m["overruns"] = sum(r[phase]["overruns"] for r in runs)
            m["refused"] = sum(r[phase]["refused"] for r in runs)
            m["ip_errors"] = sum(r[phase]["ip_errors"] for r in runs)
            summary[phase] = m
            log(f"   {phase}: ip -batch {m['ip_seconds']:.2f} s ({len(routes) / m['ip_seconds']:.0f} routes/s); fast path "
                f"complete {m['fib_seconds']:.2f} s from the start, {m['fib_after_ip']:.2f} s after ip returned; "
                f"largest batch lag {m['max_lag_us'] / 1e3:.0f} ms; {m['batches']:.0f} batches; queued up to "
                f"{m['max_queued_seen']:.0f}; sync thread CPU "
                f"{m['sync_cpu']:.2f} s; ip CPU {m['ip_cpu']:.2f} s; over all runs: resyncs {m['resyncs']}, overruns "
                f"{m['overruns']}, refused {m['refused']}, ip errors {m['ip_errors']}")
        summary["probe_full_add_ms"] = 1e3 * med([x for r in runs for x in r["probe_add"]])
        summary["probe_full_del_ms"] = 1e3 * med([x for r in runs for x in r["probe_del"]])
        summary["probe_empty_add_ms"] = 1e3 * med(empty_adds)
        summary["rss_full_mib"] = med([r["mem_full"]["VmRSS"] for r in runs]) / 1048576
        summary["anon_full_mib"] = med([r["mem_full"]["RssAnon"] for r in runs]) / 1048576
        summary["anon_start_mib"] = mem_start["RssAnon"] / 1048576
        summary["heap_full_mib"] = med([r["mem_full"]["heap"] for r in runs]) / 1048576
        summary["fib_mib"] = mem_start["fib"] / 1048576
        log(f"   probe (one /32, ip route add until show route sees it): {summary['probe_full_add_ms']:.1f} ms with "
            f"the table full, {summary['probe_empty_add_ms']:.1f} ms empty; delete {summary['probe_full_del_ms']:.1f} ms full")
        log(f"   memory full: RSS {summary['rss_full_mib']:.0f} MiB, anonymous {summary['anon_full_mib']:.0f} MiB "
            f"({summary['anon_start_mib']:.0f} at start); DPDK heap in use {summary['heap_full_mib']:.0f} MiB "
            f"(FIB copies {summary['fib_mib']:.0f} MiB, reserved at start)")
        con.close()
        status = fwd.stop()
        log(f"   swiftfwd exited with status {status}")
        log(json.dumps(summary))
    finally:
        if fwd is not None:
            fwd.stop()
        ns.delete()
        if ns.exists():
            log(f"bench_sync: could not delete namespace {ns.name}")
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
