"""Build DPDK's l3fwd example in a temporary folder, patched to run on virtual devices.

The source is Debian's dpdk-doc copy (/usr/share/dpdk/examples). It is copied whole because
l3fwd includes ../common. Nothing built here is ever placed inside the repository.

The edits, each checked to apply exactly once so a different DPDK version fails loudly
instead of benchmarking an unpatched binary:

  main.c      RX checksum offload request -> 0: net_pcap and net_null offer no offloads and
              rte_eth_dev_configure refuses the port otherwise.
  main.c      the mbuf pool floor (8192) -> a larger floor: net_pcap's infinite_rx keeps
              every packet of the input file in an mbuf of the pool for the whole run, so the
              pool must hold the pcap plus the rings. swiftfwd is given the same pool size.
  l3fwd_lpm.c IPV4_L3FWD_LPM_MAX_RULES 1024 -> enough for the 1M-route table, and
              IPV4_L3FWD_LPM_NUMBER_TBL8S 256 -> as many tbl8 groups as swiftfwd's default
              (each prefix longer than /24 needs a tbl8 group for its /24).
"""

import os
import re
import shutil
import subprocess
import sys

EXAMPLES = "/usr/share/dpdk/examples"


def _patch(path, pattern, replacement):
    with open(path) as f:
        text = f.read()
    new, count = re.subn(pattern, replacement, text)
    if count != 1:
        raise SystemExit(
            f"bench: cannot patch {path}: expected one match of {pattern!r}, found {count}; "
            "the l3fwd source differs from DPDK 22.11's, update scripts/bench_tools/l3fwd_build.py")
    with open(path, "w") as f:
        f.write(new)


def build(workdir, max_rules, tbl8_groups, min_mbufs, log):
    """Copy, patch and build l3fwd under workdir; return the binary's path."""
    if not os.path.isdir(os.path.join(EXAMPLES, "l3fwd")):
        raise SystemExit(f"bench: {EXAMPLES}/l3fwd is missing; install it with "
                         "`apt-get install dpdk-doc libdpdk-dev`")
    examples = os.path.join(workdir, "examples")
    shutil.copytree(EXAMPLES, examples)
    src = os.path.join(examples, "l3fwd")

    _patch(os.path.join(src, "main.c"),
           r"\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,", ".offloads = 0,")
    _patch(os.path.join(src, "main.c"),
           r"\(unsigned\)8192\)", f"(unsigned){min_mbufs})")
    _patch(os.path.join(src, "l3fwd_lpm.c"),
           r"#define IPV4_L3FWD_LPM_MAX_RULES\s+1024",
           f"#define IPV4_L3FWD_LPM_MAX_RULES {max_rules}")
    _patch(os.path.join(src, "l3fwd_lpm.c"),
           r"#define IPV4_L3FWD_LPM_NUMBER_TBL8S \(1 << 8\)",
           f"#define IPV4_L3FWD_LPM_NUMBER_TBL8S {tbl8_groups}")

    log(f"building l3fwd in {src} (max_rules {max_rules}, tbl8 groups {tbl8_groups}, "
        f"mbuf pool floor {min_mbufs})")
    res = subprocess.run(["make", "-C", src, "shared"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=900)
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-4000:])
        raise SystemExit("bench: building l3fwd failed (output above)")
    binary = os.path.join(src, "build", "l3fwd-shared")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"bench: l3fwd build produced no {binary}")
    return binary


TSC_SOURCE = r"""
#include <stdio.h>
#include <stdint.h>
#include <time.h>
#include <x86intrin.h>
/* Measures the TSC rate against CLOCK_MONOTONIC_RAW over 200 ms. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
int main(void) {
    double t0 = now();
    uint64_t c0 = __rdtsc();
    struct timespec d = {0, 200000000};
    nanosleep(&d, NULL);
    double t1 = now();
    uint64_t c1 = __rdtsc();
    printf("%.0f\n", (double)(c1 - c0) / (t1 - t0));
    return 0;
}
"""


def tsc_hz(workdir):
    """TSC rate in Hz: calibrated with a tiny C helper, else /proc/cpuinfo's cpu MHz.

    Returns (hz, how) where how says which source was used."""
    src = os.path.join(workdir, "tsc.c")
    exe = os.path.join(workdir, "tsc")
    with open(src, "w") as f:
        f.write(TSC_SOURCE)
    try:
        subprocess.run(["gcc", "-O2", "-o", exe, src], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples = sorted(float(subprocess.run([exe], check=True, timeout=10, text=True,
                                              stdout=subprocess.PIPE).stdout)
                         for _ in range(3))
        return samples[1], "calibrated against CLOCK_MONOTONIC_RAW"
    except (subprocess.SubprocessError, OSError, ValueError):
        pass
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6, "/proc/cpuinfo cpu MHz"
    raise SystemExit("bench: cannot determine the TSC rate")
