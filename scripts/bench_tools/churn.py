"""Full-table load and route churn while swiftfwd forwards. See docs/performance.md ("Route
churn under load"). Run through scripts/bench_churn.

One worker forwards 64-byte UDP (IPv4 and IPv6) from net_pcap infinite_rx to two net_null
ports, A and B; every destination lies in a "traffic prefix" (198.19.0.0/18 /28s and
2001:db8:100::/48 /64s) that is routed from start to end. Over the console:

  1. baseline: the forwarding rate with a small table;
  2. load: `route load` of 1M IPv4 + 300k IPv6 prefixes (table entries only);
  3. churn from a file: `route load` of a churn file (replace the traffic prefixes' next hop
     between A and B, add and delete other prefixes; IPv4 and IPv6);
  4. churn over the console: the same kind of changes as `route add`/`route del` lines sent
     back to back on one session at a target rate.

Figures: time and rate of each phase, forwarding rate in each phase against the baseline,
packets lost (received but not forwarded: every destination is always routed, so any drop is a
loss), the effective blocked time (lost ÷ offered rate, and the forwarding deficit ÷ baseline
rate), process memory and DPDK heap before and after the load.
"""

import argparse
import glob
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (Hugepages)
import forwarder  # noqa: E402
import gen  # noqa: E402
import gen_churn  # noqa: E402
import telemetry  # noqa: E402

REPO = bench.REPO
CLK_TCK = os.sysconf("SC_CLK_TCK")
WORKER = "rte-worker-1"
PROMPT = b"swiftfwd> "
RX_MAC = "02:00:00:00:00:10"
SRC_MAC = "02:00:00:00:00:01"
GW4 = ["198.18.1.2", "198.18.2.2"]          # neighbors A (port a) and B (port b)
GW6 = ["2001:db8:1::2", "2001:db8:2::2"]
GW_MAC = ["02:00:00:00:00:21", "02:00:00:00:00:22"]


def log(msg=""):
    print(msg, flush=True)


def parse_args():
    p = argparse.ArgumentParser(prog="scripts/bench_churn", description=__doc__.split("\n\n")[0])
    p.add_argument("--ipv4", type=int, default=1000000, help="IPv4 prefixes in the full table (1000000)")
    p.add_argument("--ipv6", type=int, default=300000, help="IPv6 prefixes in the full table (300000)")
    p.add_argument("--churn", type=int, default=1000000, help="changes in the churn file (1000000)")
    p.add_argument("--console-rate", type=int, default=100000,
                   help="changes per second offered over the console (100000)")
    p.add_argument("--console-seconds", type=float, default=10.0, help="seconds of console churn (10)")
    p.add_argument("--baseline", type=float, default=5.0, help="seconds of baseline measurement (5)")
    p.add_argument("--memory-mb", type=int, default=4096, help="EAL memory (4096, swiftfwd's default)")
    p.add_argument("--hugepages", choices=["auto", "yes", "no"], default="auto")
    p.add_argument("--nice", type=int, default=0, help="run swiftfwd at this nice value (0)")
    p.add_argument("--swiftfwd", default=os.path.join(REPO, ".build/release/swiftfwd"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return p.parse_args()


# -- console --------------------------------------------------------------------------------------

class Console:
    def __init__(self, port, timeout=600):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.until_prompt()

    def until_prompt(self):
        while PROMPT not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"console closed: {self.buffer[-300:]!r}")
            self.buffer += chunk
        answer, _, self.buffer = self.buffer.partition(PROMPT)
        return answer.decode(errors="replace").replace("\r\n", "\n").strip()

    def ask(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.until_prompt()

    def json(self, line):
        return json.loads(self.ask(line + " json"))

    def pipelined(self, lines, rate, chunk=500):
        """Sends `lines` back to back at about `rate` lines/s (a chunk at a time) while another
        thread counts the answers; returns (seconds until the last answer, answers, errors)."""
        payload = [("\r\n".join(lines[i:i + chunk]) + "\r\n").encode() for i in range(0, len(lines), chunk)]
        result = {}

        def receive():
            answers = errors = 0
            tail = b""
            first_error = None
            while answers < len(lines):
                data = self.sock.recv(1 << 20)
                if not data:
                    break
                buf = tail + data
                answers += buf.count(PROMPT)
                n = buf.count(b"error:")
                if n and first_error is None:
                    i = buf.index(b"error:")
                    first_error = buf[i:i + 200].split(b"\r\n")[0].decode(errors="replace")
                errors += n
                tail = buf[-(len(PROMPT) - 1):]
            result.update(answers=answers, errors=errors, first_error=first_error, done=time.monotonic())

        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        t0 = time.monotonic()
        sent = 0
        for block in payload:
            self.sock.sendall(block)
            sent += chunk
            ahead = t0 + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        reader.join(600)
        return result.get("done", time.monotonic()) - t0, result.get("answers", 0), result.get("errors", 0), result.get("first_error")

    def close(self):
        try:
            self.sock.sendall(b"quit\r\n")
        except OSError:
            pass
        self.sock.close()


# -- counters over time ---------------------------------------------------------------------------

class Sampler:
    """Every 0.1 s: port counters through DPDK telemetry (in: received; a and b: sent) and the
    CPU time of each thread of the forwarder (/proc), so each phase can be told apart from
    what the rest of a shared machine did to it."""

    def __init__(self, tel, ports, pid):
        self.tel, self.ports, self.pid = tel, ports, pid
        self.samples = []       # (monotonic, rx, tx, {thread name: CPU seconds})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def threads(self):
        out = {}
        for path in glob.glob(f"/proc/{self.pid}/task/*"):
            try:
                with open(f"{path}/comm") as f:
                    name = f.read().strip()
                with open(f"{path}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
            except (OSError, IndexError, ValueError):
                pass
        return out

    def _run(self):
        while not self._stop.is_set():
            try:
                t, rx = self.tel.port_stats(self.ports["in"])
                tx = sum(self.tel.port_stats(self.ports[p])[1]["opackets"] for p in ("a", "b"))
                self.samples.append((t, rx["ipackets"], tx, self.threads()))
            except (OSError, RuntimeError, ValueError):
                pass
            self._stop.wait(0.1)

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def window(self, t0, t1):
        """(seconds, received, sent, {thread: CPU seconds}) between the samples closest to t0 and t1."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return 0.0, 0, 0, {}
        a, b = inside[0], inside[-1]
        return b[0] - a[0], b[1] - a[1], b[2] - a[2], {k: v - a[3].get(k, 0) for k, v in b[3].items()}


def find_ports(tel):
    ports = {}
    for port in tel.query("/ethdev/list") or []:
        name = tel.query(f"/ethdev/info,{port}").get("name", "")
        if name.startswith("net_pcap"):
            ports["in"] = port
        elif name == "net_null0":
            ports["a"] = port
        elif name == "net_null1":
            ports["b"] = port
    if set(ports) != {"in", "a", "b"}:
        raise SystemExit(f"bench_churn: ports not found in telemetry: {ports}")
    return ports


def memory(pid, con):
    """Process memory from /proc and DPDK's heap and the FIBs' share from `show memory`."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "VmHWM", "HugetlbPages"):
                out[key] = int(value.split()[0]) * 1024
    shown = con.json("show memory")
    out["heap"] = shown["heap"]["used_bytes"]
    out["fib"] = shown["fib_bytes"]
    out["mbufs"] = shown["mbufs"]["bytes"]
    return out


def mib(n):
    return f"{n / 1048576:.0f} MiB"


# -- the run --------------------------------------------------------------------------------------

def write_config(path, *, work, pcap, prefix, console_port, args, huge):
    traffic = os.path.join(work, "traffic.routes")
    t4, t6 = gen_churn.traffic_prefixes()
    with open(traffic, "w") as f:
        for p in t4:
            f.write(f"{gen_churn.prefix_text(p)} via {GW4[0]}\n")
        for p in t6:
            f.write(f"{gen_churn.prefix_text(p)} via {GW6[0]}\n")
    with open(path, "w") as f:
        f.write(f"""eal:
  main_core: 0
  worker_cores: [1]
  file_prefix: {prefix}
  memory_mb: {args.memory_mb}
  hugepages: {'true' if huge.use else 'false'}
mempool:
  mbufs: 65536
ports:
  - name: in
    device: net_pcap0,rx_pcap={pcap},infinite_rx=1
    mac: "{RX_MAC}"
    addresses: [198.18.0.1/24, "2001:db8::1/64"]
  - name: a
    device: net_null0,no-rx=1
    addresses: [198.18.1.1/24, "2001:db8:1::1/64"]
  - name: b
    device: net_null1,no-rx=1
    addresses: [198.18.2.1/24, "2001:db8:2::1/64"]
neighbors:
  - {{address: {GW4[0]}, mac: "{GW_MAC[0]}", port: a}}
  - {{address: "{GW6[0]}", mac: "{GW_MAC[0]}", port: a}}
  - {{address: {GW4[1]}, mac: "{GW_MAC[1]}", port: b}}
  - {{address: "{GW6[1]}", mac: "{GW_MAC[1]}", port: b}}
routes_file: {traffic}
console:
  listen: 127.0.0.1:{console_port}
  idle_timeout: 0
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phase(sampler, baseline, name, t0, t1, drops_before, drops_after):
    """Forwarding during a phase: packets lost (every destination is always routed, so each drop
    is one) and the effective blocked time they make at the baseline rate; and the forwarding
    rate per second of CPU the worker got, against the baseline's, which is what the changes
    cost the worker once the rest of the machine's load is taken out."""
    seconds, rx, tx, cpu = sampler.window(t0, t1)
    lost = sum(drops_after.values()) - sum(drops_before.values())
    worker = cpu.get(WORKER, 0)
    per_cpu = tx / worker if worker else 0
    share = worker / seconds if seconds else 0
    blocked = lost / baseline["pps"] if baseline["pps"] else 0
    slower = 1 - per_cpu / baseline["per_cpu"] if baseline["per_cpu"] else 0
    log(f"   {name}: {tx / seconds / 1e6 if seconds else 0:.2f} Mpps over {seconds:.1f} s with the worker on its core "
        f"{100 * share:.0f}% of the time: {per_cpu / 1e6:.2f} Mpps per worker CPU second "
        f"({100 * per_cpu / baseline['per_cpu'] if baseline['per_cpu'] else 0:.0f}% of the baseline's); lost {lost} packets = "
        f"{1e3 * blocked:.3f} ms blocked at the baseline rate")
    return {"seconds": seconds, "pps": tx / seconds if seconds else 0, "worker_share": share, "per_cpu": per_cpu,
            "lost": lost, "blocked_ms": 1e3 * blocked, "slower": slower, "cpu": cpu}


def control_cpu(cpu):
    """CPU seconds of the control plane: the control queue's thread(s) and the console's loop."""
    return sum(v for k, v in cpu.items() if "qos" in k or "NIO" in k or k == "swiftfwd")


def drops(con):
    return {d["name"]: d["total"] for d in con.json("show errors all")["drops"]}


def main():
    args = parse_args()
    work = tempfile.mkdtemp(prefix="swiftfwd-churn-")
    huge = bench.Hugepages(args.hugepages, args.memory_mb // 2, args.memory_mb // 2)
    fwd = None
    results = {}
    try:
        log(f"== bench_churn: {args.ipv4} IPv4 + {args.ipv6} IPv6 prefixes, churn {args.churn} changes from a file, "
            f"{args.console_rate}/s over the console for {args.console_seconds:.0f} s; EAL memory: {huge.note}")
        t = time.monotonic()
        v4 = gen.million_table(args.ipv4, args.seed + 100)
        v6 = gen_churn.ipv6_table(args.ipv6, args.seed + 600)
        full = os.path.join(work, "full.routes")
        gen_churn.write_route_file(full, v4, v6, GW4[0], GW6[0])
        churn = os.path.join(work, "churn.routes")
        churn_lines = gen_churn.churn_lines(args.churn, args.seed + 700, GW4, GW6)
        with open(churn, "w") as f:
            f.write("\n".join(churn_lines) + "\n")
        pcap = os.path.join(work, "in.pcap")
        frames = gen_churn.write_traffic_pcap(pcap, dst_mac=RX_MAC, src_mac=SRC_MAC, frame_len=60, seed=args.seed)
        log(f"   tables generated in {time.monotonic() - t:.0f} s: tbl8 groups needed: IPv4 {gen_churn.ipv4_tbl8_groups(v4)} "
            f"of 65536, IPv6 {gen_churn.ipv6_tbl8_groups(v6)} used and {gen_churn.ipv6_tbl8_reserved(v6)} reserved by rte_fib6 "
            f"of 524288 (the default fib sizes); {frames} frames in the pcap")

        prefix = f"swf-churn-{os.getpid()}"
        console_port = free_port()
        config = os.path.join(work, "swiftfwd.yaml")
        write_config(config, work=work, pcap=pcap, prefix=prefix, console_port=console_port, args=args, huge=huge)
        stats_path = os.path.join(work, "stats.json")
        cmd = ([] if not args.nice else ["nice", "-n", str(args.nice)]) + [
            args.swiftfwd, "run", "--config", config, "--stats-json", stats_path]
        fwd = forwarder.Forwarder("swiftfwd", cmd, prefix=prefix, ready="swiftfwd: forwarding", ready_stream="stderr",
                                  huge_dir=huge.mount if huge.use else None, log_path=os.path.join(work, "swiftfwd.log"))
        huge.before_start()
        fwd.start(600)
        tel = fwd.tel
        ports = find_ports(tel)
        deadline = time.monotonic() + 60
        while not any(f"console listening on 127.0.0.1:{console_port}" in l for l in fwd.output()):
            if time.monotonic() > deadline:
                raise SystemExit("bench_churn: the console did not start")
            time.sleep(0.1)
        con = Console(console_port)
        sampler = Sampler(tel, ports, fwd.proc.pid)
        sampler.start()
        time.sleep(1.0)

        # 1. baseline
        d0 = drops(con)
        t0 = time.monotonic()
        time.sleep(args.baseline)
        t1 = time.monotonic()
        seconds, rx, tx, cpu = sampler.window(t0, t1)
        baseline = {"pps": tx / seconds, "per_cpu": tx / cpu[WORKER] if cpu.get(WORKER) else 0}
        log(f"   baseline: {baseline['pps'] / 1e6:.2f} Mpps forwarded with the small table (2048 traffic prefixes), the worker "
            f"on its core {100 * cpu.get(WORKER, 0) / seconds:.0f}% of the time: {baseline['per_cpu'] / 1e6:.2f} Mpps per worker CPU second")
        mem0 = memory(fwd.proc.pid, con)

        # 2. the full table
        d1 = drops(con)
        t0 = time.monotonic()
        report = con.json(f"route load {full}")
        t1 = time.monotonic()
        d2 = drops(con)
        mem1 = memory(fwd.proc.pid, con)
        for refusal in report["refusals"][:3]:
            log(f"     refused: {refusal}")
        log(f"   load: {report['applied']} of {report['changes']} prefixes in {t1 - t0:.2f} s wall "
            f"(file read {report['parse_seconds']:.2f} s, applied in {report['apply_seconds']:.2f} s = "
            f"{report['changes_per_second']:.0f} changes/s, {report['updates']} updates; control thread CPU "
            f"{report['cpu_seconds']:.2f} s = {report['applied'] / report['cpu_seconds']:.0f} changes per CPU second); "
            f"table now {report['ipv4_routes']} IPv4, {report['ipv6_routes']} IPv6; tbl8 groups reserved {report['tbl8_groups']}")
        results["load"] = phase(sampler, baseline, "during the load", t0, t1, d1, d2)
        results["load"].update(report=report, wall=t1 - t0)
        grown = mem1["RssAnon"] - mem0["RssAnon"]
        millions = (report["ipv4_routes"] + report["ipv6_routes"] - 2 * 1024) / 1e6
        capacity = 1.3 + 0.33    # the default fib sizes, in millions of routes
        log(f"   memory: the two table copies reserve {mib(mem0['fib'])} of DPDK memory at startup for the default "
            f"capacity (1.3M IPv4 + 330k IPv6 routes) = {mib(mem0['fib'] / capacity)} per million routes of capacity; "
            f"DPDK heap in use {mib(mem0['heap'])} before the load, {mib(mem1['heap'])} after")
        log(f"   memory: process RSS {mib(mem0['VmRSS'])} -> {mib(mem1['VmRSS'])}; anonymous (Swift control plane) "
            f"{mib(mem0['RssAnon'])} -> {mib(mem1['RssAnon'])}: {mib(grown)} for {millions:.2f}M routes = "
            f"{mib(grown / millions)} per million routes")
        results["memory"] = {"before": mem0, "after": mem1, "per_million_anon": grown / millions}

        # 3. churn from a file
        time.sleep(1.0)
        d3 = drops(con)
        t0 = time.monotonic()
        report = con.json(f"route load {churn}")
        t1 = time.monotonic()
        d4 = drops(con)
        for refusal in report["refusals"][:3]:
            log(f"     refused: {refusal}")
        log(f"   churn file: {report['applied']} of {report['changes']} changes ({report['refused']} refused) in "
            f"{report['apply_seconds']:.2f} s = {report['changes_per_second']:.0f} changes/s, {report['updates']} updates; "
            f"control thread CPU {report['cpu_seconds']:.2f} s = {report['changes'] / report['cpu_seconds']:.0f} changes per CPU second; "
            f"tbl8 groups reserved {report['tbl8_groups']}")
        results["churn_file"] = phase(sampler, baseline, "during the churn file", t0, t1, d3, d4)
        results["churn_file"].update(report=report)

        # 4. churn over the console, pipelined
        time.sleep(1.0)
        count = int(args.console_rate * args.console_seconds)
        lines = []
        for line in gen_churn.churn_lines(count, args.seed + 800, GW4, GW6, flap_pool=8192):
            if line.startswith("del "):
                lines.append("route del " + line[4:])
            else:
                lines.append("route add " + line)
        # The churn file's flap prefixes stay; re-adding one is a replacement, and the console
        # run deletes only prefixes it added itself, so every line is valid.
        d5 = drops(con)
        t0 = time.monotonic()
        seconds, answers, errors, first_error = con.pipelined(lines, args.console_rate)
        t1 = time.monotonic()
        d6 = drops(con)
        log(f"   console churn: {answers} of {count} lines answered in {seconds:.2f} s = {answers / seconds:.0f} changes/s "
            f"(offered {args.console_rate}/s); {errors} errors" + (f", first: {first_error}" if first_error else ""))
        results["console"] = phase(sampler, baseline, "during the console churn", t0, t1, d5, d6)
        results["console"].update(answers=answers, errors=errors, rate=answers / seconds)
        spent = control_cpu(results["console"]["cpu"])
        log(f"   console churn: control plane CPU {spent:.2f} s (console event loop and control queue) = "
            f"{answers / spent if spent else 0:.0f} changes per CPU second")
        con.close()
        sampler.stop()
        status = fwd.stop()
        with open(stats_path) as f:
            final = json.load(f)
        rx = sum(p["rx_packets"] for p in final["ports"])
        tx = sum(p["tx_packets"] for p in final["ports"])
        dropped = sum(final["drops"].values())
        log(f"   at exit (status {status}): received {rx}, sent {tx}, dropped {dropped} "
            f"({', '.join(f'{k} {v}' for k, v in final['drops'].items() if v) or 'nothing'}); rx = tx + drops: {rx == tx + dropped}; "
            f"mbufs leaked {final['mempool']['leaked']}")
        for l in fwd.output():
            if "route changes:" in l:
                log(f"   {l}")
        log(json.dumps({k: {kk: vv for kk, vv in v.items() if kk not in ("report", "cpu")} for k, v in results.items()}))
    finally:
        if fwd is not None:
            fwd.stop()
        huge.release()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
