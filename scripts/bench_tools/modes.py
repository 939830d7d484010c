"""Pipeline mode against run-to-completion: the same swiftfwd binary, table and input, in the
same run, alternating. See docs/performance.md ("Pipeline against run-to-completion").

Input and sink as in bench.py (net_pcap infinite_rx of 64-byte UDP into net_null, small table).
Run-to-completion: one worker on CPU 1 polls and forwards. Pipeline: a receive core polls and
hands packets over an SP/SC ring to the worker on CPU 1. This machine has two CPUs, so the
receive core (lcore 2) shares CPU 0 with the main core, which only does control work here (the
console is off): pipeline mode gets two CPUs, run-to-completion one. Printed: each mode's median
Mpps, its cycles per packet on the worker's CPU, and the ratio pipeline/run-to-completion.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import forwarder  # noqa: E402
import gen  # noqa: E402
import l3fwd_build  # noqa: E402

PIPELINE = """\
threading:
  mode: pipeline
  rx_cores: [2]
  ring_size: {ring}
  ring_burst: 32
  lcore_cpus: {{0: 0, 1: 1, 2: 0}}
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="measured runs per mode (5)")
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--window", type=float, default=5.0)
    p.add_argument("--ring-size", type=int, default=1024)
    p.add_argument("--memory-mb", type=int, default=2048)
    p.add_argument("--mbufs", type=int, default=65536)
    p.add_argument("--hugepages", choices=["auto", "yes", "no"], default="auto")
    p.add_argument("--swiftfwd", default=os.path.join(bench.REPO, ".build/release/swiftfwd"))
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def main():
    args = parse_args()
    work = tempfile.mkdtemp(prefix="swiftfwd-modes-")
    huge = bench.Hugepages(args.hugepages, (args.memory_mb // 2) * 2, args.memory_mb // 2)
    try:
        routes = gen.small_table(8, args.seed)
        dsts = gen.destinations(routes, 16384, args.seed + 200)
        pcap = os.path.join(work, "in.pcap")
        gen.write_pcap(pcap, dsts, dst_mac=bench.RX_MAC, src_mac=bench.SRC_MAC, frame_len=60, seed=args.seed + 300)
        tsc, _ = l3fwd_build.tsc_hz(work)
        fwds = []
        for mode in ("run-to-completion", "pipeline"):
            prefix = f"modes-{mode[:4]}-{os.getpid()}"
            config = os.path.join(work, f"{mode}.yaml")
            gen.swiftfwd_config(config, routes=routes, via=bench.NEXT_HOP, pcap=pcap, rx_mac=bench.RX_MAC,
                                prefix=prefix, memory_mb=args.memory_mb, hugepages=huge.use, mbufs=args.mbufs,
                                max_routes=1024, tbl8_groups=256, sink_addr=bench.SINK_ADDR,
                                neighbor_mac=bench.NEXT_HOP_MAC, rx_addr=bench.RX_ADDR)
            with open(config, "a") as f:
                f.write("console: {enabled: false}\n")
                if mode == "pipeline":
                    f.write(PIPELINE.format(ring=args.ring_size))
            fwds.append(forwarder.Forwarder(mode, [args.swiftfwd, "run", "--config", config], prefix=prefix,
                                            ready="swiftfwd: forwarding", ready_stream="stderr",
                                            huge_dir=huge.mount if huge.use else None,
                                            log_path=os.path.join(work, f"{mode}.log")))
        bench.log(f"input: 64-byte UDP/IPv4 from net_pcap infinite_rx into net_null, 8 routes, 16384 destinations; "
                  f"memory: {huge.note}; {args.runs} runs x {args.window:.0f} s per mode, alternating")
        for f in fwds:
            huge.before_start()
            f.start(600)
            f.pause()
        results = {f.name: [] for f in fwds}
        for r in range(args.runs):
            for f in (fwds if r % 2 == 0 else list(reversed(fwds))):
                f.resume()
                m = f.measure(args.warmup, args.window, bench.WORKER_CORE)
                f.pause()
                results[f.name].append(m.pps)
                bench.log(f"   run {r + 1} {f.name:18s} {m.pps / 1e6:7.2f} Mpps {bench.cycles(tsc, m.pps):>7s} "
                          f"cycles/packet (worker CPU)   delivered {100 * m.delivered:5.1f}%   {bench.describe(m)}")
        for f in fwds:
            f.stop()
        med = {name: statistics.median(v) for name, v in results.items()}
        for name, v in med.items():
            bench.log(f"{name:18s} {v / 1e6:7.2f} Mpps {bench.cycles(tsc, v):>7s} cycles/packet "
                      f"(runs {min(results[name]) / 1e6:.2f}-{max(results[name]) / 1e6:.2f})")
        bench.log(f"ratio pipeline/run-to-completion: {med['pipeline'] / med['run-to-completion']:.2f}")
    finally:
        huge.release()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
