#!/usr/bin/env python3
"""Shows the running forwarder's counters through its console with the real `telnet` client,
and checks them against the traffic the demo lab sent.

    demo_console.py --console 127.0.0.1:5002 --tx p0=N --tx p1=N --rx p0=N --rx p1=N

Debian's `telnet` is driven through pexpect (a pty, as an operator's terminal), in one session:
`show interfaces`, `show workers` and `show errors` (and in pipeline mode `show rings`) are
printed as the operator would see them, then their `json` forms are parsed and checked:
  - each port sent exactly the packets the demo forwarded out of it (--tx), and its driver agrees,
  - each port received at least what its host sent to the forwarder (--rx),
  - no port counts imissed, ierrors, oerrors or rx_nombuf,
  - the cores' counts add up to the ports', and each core received = sent + dropped (in pipeline
    mode the receive cores' rx is the ports' rx, the workers' tx the ports' tx, and what the
    receive cores handed over is what the workers took: every ring empty, none dropped),
  - `show errors` totals the workers' drops, and names only the hosts' own multicast and link
    noise, never a forwarding failure.
Prints one line per check; exits 0 only if every check holds, else 1 with a sentence on stderr.
"""
import argparse
import json
import os
import re
import sys
import time

from demo_verify import NOISE

PROMPT = "swiftfwd> "
TIMEOUT = 15          # seconds for any one answer; the console answers in milliseconds when idle
SHOWN = ["show interfaces", "show workers", "show errors"]
# Hosts' kernels may still send a late multicast report while the counters are read, between
# two commands; a reading whose parts disagree is taken again, this many times at most.
READINGS = 3


class ConsoleError(Exception):
    pass


class Telnet:
    """One session of the real telnet client in a pty."""

    def __init__(self, host: str, port: int):
        try:
            import pexpect
        except ImportError:
            raise ConsoleError("python3 has no pexpect module to drive telnet; run 'bash scripts/setup'")
        self.pexpect = pexpect
        self.child = pexpect.spawn("telnet", [host, str(port)], encoding="utf-8", timeout=TIMEOUT,
                                   env={**os.environ, "TERM": "dumb"})
        self.expect_prompt(f"no console prompt from telnet {host} {port}")

    def expect_prompt(self, what: str) -> str:
        try:
            self.child.expect_exact(PROMPT)
        except self.pexpect.EOF:
            raise ConsoleError(f"{what}: the connection closed; telnet said: {self.child.before.strip()!r}")
        except self.pexpect.TIMEOUT:
            raise ConsoleError(f"{what}: nothing within {TIMEOUT}s; got {self.child.before[-300:]!r}")
        return self.child.before

    def run(self, command: str) -> str:
        """The answer to one command, without the echoed command line and the prompt."""
        self.child.sendline(command)
        text = self.expect_prompt(f'no answer to "{command}"').replace("\r", "")
        # The pty echoes the line as typed (telnet's line mode); the answer follows it.
        echo, _, answer = text.partition("\n")
        if echo.strip() != command:
            answer = text
        return answer.rstrip("\n")

    def json(self, command: str) -> dict:
        answer = self.run(command + " json")
        try:
            data = json.loads(answer)
        except json.JSONDecodeError as error:
            raise ConsoleError(f'"{command} json" did not answer JSON ({error}): {answer[:300]!r}')
        if "error" in data:
            raise ConsoleError(f'"{command} json" answered an error: {data["error"]}')
        return data

    def quit(self) -> None:
        self.child.sendline("quit")
        try:
            self.child.expect_exact("bye")
            self.child.expect(self.pexpect.EOF)
        except (self.pexpect.EOF, self.pexpect.TIMEOUT):
            pass
        self.child.close(force=True)


def port_args(specs: list, flag: str) -> dict:
    out = {}
    for spec in specs:
        name, sep, n = spec.partition("=")
        if not sep or not n.isdigit():
            raise SystemExit(f"demo_console.py: {flag} takes PORT=N, not {spec!r}")
        out[name] = int(n)
    return out


def checks(reading: dict, want_tx: dict, want_rx: dict) -> list:
    """(ok, sentence) for every check over one reading of the JSON answers. With the kernel
    control plane on (`show punt`), what a port sent that came from its twin is not counted as
    forwarded, and packets handed to or taken from the kernel count in each core's balance."""
    punt = reading.get("punt", {})
    kernel = punt.get("enabled", False)
    from_kernel = {t["port"]: t["from_kernel"] - t["from_kernel_dropped"] for t in punt.get("twins", [])}
    ports = {p["name"]: p["counters"] for p in reading["interfaces"]["interfaces"]}
    workers = reading["workers"]["workers"]
    errors = reading["errors"]
    pipeline = reading["workers"].get("threading", {}).get("mode") == "pipeline"
    out = []

    for name in sorted(set(want_tx) | set(want_rx)):
        if name not in ports:
            out.append((False, f"the console shows no port {name} (it shows {', '.join(ports) or 'none'})"))
    for name, c in ports.items():
        if name in want_tx and kernel:
            forwarded = c["tx_packets"] - from_kernel.get(name, 0)
            out.append((forwarded == want_tx[name],
                        f"{name} sent {forwarded} packets to its host (and {from_kernel.get(name, 0)} from its twin), expected {want_tx[name]}"))
        elif name in want_tx:
            out.append((c["tx_packets"] == want_tx[name],
                        f"{name} sent {c['tx_packets']} packets to its host, expected {want_tx[name]}"))
        out.append((c["hw_tx_packets"] == c["tx_packets"],
                    f"{name}: driver's tx {c['hw_tx_packets']} == swiftfwd's tx {c['tx_packets']}"))
        if name in want_rx:
            out.append((c["rx_packets"] >= want_rx[name],
                        f"{name} received {c['rx_packets']} packets, at least the {want_rx[name]} its host sent"))
        out.append((c["hw_rx_packets"] == c["rx_packets"],
                    f"{name}: driver's rx {c['hw_rx_packets']} == swiftfwd's rx {c['rx_packets']}"))
        bad = {k: c[k] for k in ("imissed", "ierrors", "oerrors", "rx_nombuf") if c[k]}
        out.append((not bad, f"{name}: no imissed, ierrors, oerrors or rx_nombuf (found: {bad or 'none'})"))

    # Who receives from the ports and who transmits: the workers in run-to-completion; the
    # receive cores and the workers in pipeline mode.
    receivers = [w for w in workers if w.get("role") == "rx"] if pipeline else workers
    senders = [w for w in workers if w.get("role", "worker") == "worker"]
    w_rx = sum(w["rx_packets"] for w in receivers)
    w_tx = sum(w["tx_packets"] for w in senders)
    w_drops = sum(w["drops"] for w in workers)
    p_rx = sum(c["rx_packets"] for c in ports.values())
    p_tx = sum(c["tx_packets"] for c in ports.values())
    who = "receive cores" if pipeline else "workers"
    out.append((w_rx == p_rx, f"{who} received {w_rx} == ports received {p_rx}"))
    out.append((w_tx == p_tx, f"workers sent {w_tx} == ports sent {p_tx}"))
    if pipeline:
        handed = sum(w["tx_packets"] for w in receivers)
        taken = sum(w["rx_packets"] for w in senders)
        out.append((handed == taken, f"receive cores handed over {handed} == workers took {taken}"))
        for r in reading["rings"]["rings"]:
            out.append((r["enqueued"] == r["dequeued"] and r["count"] == 0 and r["dropped"] == 0,
                        f"ring {r['name']}: enqueued {r['enqueued']} == dequeued {r['dequeued']}, "
                        f"{r['count']} left in it, {r['dropped']} dropped"))
    if kernel:
        # Per class totals only: the balance is checked over all the workers together.
        punted = sum(c["punted"] for c in punt["classes"])
        injected = sum(from_kernel.values())
        for w in receivers if pipeline else []:
            out.append((w["rx_packets"] == w["tx_packets"] + w["drops"],
                        f"core {w['core']}: received {w['rx_packets']} == sent {w['tx_packets']} + dropped {w['drops']}"))
        taken = sum(w["rx_packets"] for w in senders)
        sent = sum(w["tx_packets"] for w in senders)
        dropped = sum(w["drops"] for w in senders)
        out.append((taken + injected == sent + dropped + punted,
                    f"workers: received {taken} + from the kernel {injected} == sent {sent} + dropped {dropped} + to the kernel {punted}"))
    else:
        for w in workers:
            out.append((w["rx_packets"] == w["tx_packets"] + w["drops"],
                        f"core {w['core']}: received {w['rx_packets']} == sent {w['tx_packets']} + dropped {w['drops']}"))
    out.append((errors["total"] == w_drops, f"show errors total {errors['total']} == workers' drops {w_drops}"))
    unexpected = {d["name"]: d["total"] for d in errors["drops"] if d["total"] and d["name"] not in NOISE}
    out.append((not unexpected, f"show errors names no forwarding drop (found: {unexpected or 'none'})"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--console", required=True, help="HOST:PORT the console listens on")
    parser.add_argument("--tx", action="append", default=[], help="PORT=N: packets PORT must have sent")
    parser.add_argument("--rx", action="append", default=[], help="PORT=N: PORT must have received at least N")
    args = parser.parse_args()
    want_tx, want_rx = port_args(args.tx, "--tx"), port_args(args.rx, "--rx")
    m = re.fullmatch(r"\[?([^\]]+)\]?:(\d+)", args.console)
    if not m:
        print(f"demo: console address {args.console!r} is not HOST:PORT", file=sys.stderr)
        return 1
    host, port = m.group(1), int(m.group(2))

    try:
        session = Telnet(host, port)
        try:
            # The threading mode decides what else to show and check.
            pipeline = session.json("show workers").get("threading", {}).get("mode") == "pipeline"
            kernel = session.json("show punt").get("enabled", False)
            shown = SHOWN + (["show rings"] if pipeline else []) + (["show punt", "show sync"] if kernel else [])
            for command in shown:
                answer = session.run(command)
                print(f"  {PROMPT}{command}")
                print("\n".join("    " + line if line else "" for line in answer.split("\n")))
                if answer.startswith("error:"):
                    raise ConsoleError(f'"{command}" answered {answer!r}')
            for attempt in range(READINGS):
                reading = {"interfaces": session.json("show interfaces"),
                           "workers": session.json("show workers"),
                           "errors": session.json("show errors")}
                if pipeline:
                    reading["rings"] = session.json("show rings")
                if kernel:
                    reading["punt"] = session.json("show punt")
                results = checks(reading, want_tx, want_rx)
                if all(ok for ok, _ in results):
                    break
                time.sleep(0.5)
        finally:
            session.quit()
    except ConsoleError as error:
        print(f"  FAIL {error}")
        print(f"demo: the console check could not run: {error}", file=sys.stderr)
        return 1

    print("  console counters (JSON forms), checked against the traffic sent:")
    for ok, sentence in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {sentence}")
    failed = [sentence for ok, sentence in results if not ok]
    if failed:
        print(f"demo: the console's counters do not match the traffic sent: {failed[0]}"
              + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
