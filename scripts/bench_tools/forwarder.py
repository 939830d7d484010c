"""One forwarder process under benchmark: start, pause, resume, measure, stop.

Both forwarders are driven the same way: started in their own session with their output read
by threads, measured through DPDK telemetry on their sink port, paused with SIGSTOP while the
other one runs on the shared worker core, and killed if this harness dies (PR_SET_PDEATHSIG).
"""

import ctypes
import glob
import os
import shutil
import signal
import subprocess
import threading
import time

import telemetry

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class StartError(Exception):
    pass


CLK_TCK = os.sysconf("SC_CLK_TCK")


class Measurement:
    def __init__(self, pps, delivered, worker_share, steal, others_busy):
        self.others_busy = others_busy
        self.pps = pps
        self.delivered = delivered
        self.worker_share = worker_share
        self.steal = steal


def _cpu_ticks():
    """/proc/stat counters per CPU number: user nice system idle iowait irq softirq steal..."""
    cpus = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                cpus[int(name[3:])] = [int(x) for x in values]
    return cpus


class Forwarder:
    def __init__(self, name, cmd, *, prefix, ready, ready_stream, quiet=None, huge_dir=None,
                 log_path):
        self.name = name
        self.cmd = cmd
        self.prefix = prefix
        self.ready = ready                # a substring that says the workers are running
        self.ready_stream = ready_stream  # "stdout", "stderr" or None for either
        self.quiet = quiet                # a substring of lines to count, not keep
        self.huge_dir = huge_dir
        self.log_path = log_path
        self.proc = None
        self.tel = None
        self.quiet_count = 0
        self.lines = []
        self.startup_seconds = None
        self.sink_port = None
        self.rx_port = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    # -- process lifetime ---------------------------------------------------------------

    def _reader(self, stream, label):
        with open(self.log_path, "a") as log:
            for raw in stream:
                line = raw.rstrip("\n")
                if self.quiet and self.quiet in line:
                    self.quiet_count += 1
                    continue
                with self._lock:
                    self.lines.append((label, line))
                log.write(f"{label}: {line}\n")
                log.flush()
                if self.ready_stream in (None, label) and self.ready in line:
                    self._ready.set()

    def start(self, timeout):
        """Start the process and return once it forwards and its telemetry answers."""
        self._cleanup_runtime()
        self.lines = []
        self.quiet_count = 0
        self._ready.clear()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, errors="replace",
                                     start_new_session=True, preexec_fn=_die_with_parent)
        self._threads = [threading.Thread(target=self._reader, args=(self.proc.stdout, "stdout"),
                                          daemon=True),
                         threading.Thread(target=self._reader, args=(self.proc.stderr, "stderr"),
                                          daemon=True)]
        for t in self._threads:
            t.start()
        deadline = t0 + timeout
        while not self._ready.wait(0.2):
            if self.proc.poll() is not None:
                raise StartError(f"{self.name} exited with status {self.proc.returncode} before "
                                 f"forwarding; last output:\n{self.tail(25)}")
            if time.monotonic() > deadline:
                raise StartError(f"{self.name} did not print {self.ready!r} within {timeout:.0f} s; "
                                 f"last output:\n{self.tail(25)}")
        self.startup_seconds = time.monotonic() - t0
        self.tel = telemetry.wait_for(self.prefix, time.monotonic() + 30)
        if self.tel is None:
            raise StartError(f"{self.name}: no telemetry socket at "
                             f"{telemetry.socket_path(self.prefix)} within 30 s")
        self._find_ports()

    def _find_ports(self):
        """The sink is the net_null port, the source the net_pcap port, found by ethdev name
        (asked a few times: the reply can come before the ports are fully set up)."""
        replies = []
        for attempt in range(5):
            replies = []
            for port in self.tel.query("/ethdev/list") or []:
                info = self.tel.query(f"/ethdev/info,{port}")
                replies.append((port, info))
                name = info.get("name", "") if isinstance(info, dict) else ""
                if name.startswith("net_null"):
                    self.sink_port = port
                elif name.startswith("net_pcap"):
                    self.rx_port = port
            if self.sink_port is not None and self.rx_port is not None:
                return
            time.sleep(1)
        shown = "; ".join(f"port {p}: {str(i)[:200]}" for p, i in replies)
        raise StartError(f"{self.name}: cannot find the net_pcap and net_null ports in "
                         f"telemetry ({shown})")

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while self._state() not in ("T", "t", None) and time.monotonic() < deadline:
            time.sleep(0.01)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def _state(self):
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return None

    def stop(self, timeout=60):
        """SIGINT, wait (swiftfwd drains and writes its stats), then SIGKILL. Returns status."""
        if self.tel is not None:
            self.tel.close()
            self.tel = None
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
                os.kill(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        for t in self._threads:
            t.join(5)
        self._cleanup_runtime()
        return self.proc.returncode

    def _cleanup_runtime(self):
        """EAL leaves its runtime folder and, with hugepages, the page files behind."""
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
        if self.huge_dir:
            for path in glob.glob(os.path.join(self.huge_dir, f"{self.prefix}map_*")):
                try:
                    os.unlink(path)
                except OSError:
                    pass

    # -- measurement ---------------------------------------------------------------------

    def measure(self, warmup, window, core):
        """A Measurement over `window` seconds after `warmup`: packets per second leaving the
        sink port, the fraction of received packets that left (1.0 when nothing is dropped),
        how much of the window the busiest thread (the worker) was on a CPU, how much of
        `core` the hypervisor stole, and how busy the other CPUs were (a sibling hyperthread
        or a shared cache kept busy by other work slows the worker without preempting it):
        the ways a shared machine disturbs a run."""
        time.sleep(warmup)
        threads0, cpu0 = self._thread_ticks(), _cpu_ticks()
        t0, out0 = self.tel.port_stats(self.sink_port)
        _, in0 = self.tel.port_stats(self.rx_port)
        time.sleep(window)
        t1, out1 = self.tel.port_stats(self.sink_port)
        _, in1 = self.tel.port_stats(self.rx_port)
        threads1, cpu1 = self._thread_ticks(), _cpu_ticks()
        if self.proc.poll() is not None:
            raise StartError(f"{self.name} exited during the measurement; last output:\n"
                             f"{self.tail(25)}")
        sent = out1["opackets"] - out0["opackets"]
        received = in1["ipackets"] - in0["ipackets"]
        busiest = max((threads1[t] - threads0.get(t, 0) for t in threads1), default=0)
        delta = {c: [b - a for a, b in zip(cpu0[c], cpu1[c])] for c in cpu1 if c in cpu0}
        mine = delta.get(core, [0] * 8)
        steal = mine[7] / sum(mine) if sum(mine) > 0 else 0.0
        others = [d for c, d in delta.items() if c != core and sum(d) > 0]
        others_busy = (sum(1 - (d[3] + d[4]) / sum(d) for d in others) / len(others)
                       if others else 0.0)
        return Measurement(pps=sent / (t1 - t0),
                           delivered=sent / received if received else 0.0,
                           worker_share=busiest / CLK_TCK / (t1 - t0),
                           steal=steal, others_busy=others_busy)

    def _thread_ticks(self):
        """utime + stime in clock ticks of each thread of the process."""
        ticks = {}
        for path in glob.glob(f"/proc/{self.proc.pid}/task/*/stat"):
            try:
                with open(path) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks[path] = int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return ticks

    def memory(self):
        """Memory figures of the running process: /proc status lines and DPDK heap use."""
        fields = {}
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem",
                               "HugetlbPages"):
                        fields[key] = int(value.split()[0]) * 1024
        except OSError:
            pass
        heap = self.tel.heap_bytes() if self.tel else None
        if heap is not None:
            fields["dpdk_heap_allocated"] = heap
        return fields

    def tail(self, n):
        with self._lock:
            return "\n".join(f"  {label}: {line}" for label, line in self.lines[-n:])

    def output(self, stream=None):
        with self._lock:
            return [line for label, line in self.lines if stream in (None, label)]
