"""The demo lab end to end: `scripts/demo --check` builds two namespaces, starts swiftfwd on
af_packet ports, pings both ways over IPv4 and IPv6, streams UDP both ways, reads the live
counters through the console with the real telnet client and checks them against that traffic,
checks the forwarder's final counters and removes the lab.

It runs twice: with config/demo.yaml (run-to-completion, with the kernel control plane and no
static neighbors: the hosts also ping the router's own addresses) and with `--config
config/demo-pipeline.yaml` (pipeline mode: a receive core hands packets to the worker over a
ring), which must pass the same checks and also show its rings."""
import os
import re
import shutil
import subprocess

import pytest

from e2elib import REPO, binary_path


def lab_leftovers() -> list:
    left = [ns for ns in ("swf-h1", "swf-h2") if os.path.exists(f"/run/netns/{ns}")]
    left += [dev for dev in ("swf-p0", "swf-p1") if os.path.exists(f"/sys/class/net/{dev}")]
    return left


@pytest.mark.usefixtures("needs_root", "swiftfwd_bin")
@pytest.mark.parametrize("config", [None, "config/demo-pipeline.yaml"], ids=["run-to-completion", "pipeline"])
def test_demo_check(config):
    for tool in ("ip", "ethtool", "ping", "telnet"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run 'bash scripts/setup'")
    env = dict(os.environ, SWIFTFWD_BIN=str(binary_path()))
    command = ["bash", str(REPO / "scripts" / "demo"), "--check"] + (["--config", str(REPO / config)] if config else [])
    result = subprocess.run(command, capture_output=True,
                            text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    output = f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    assert result.returncode == 0, f"scripts/demo --check exited {result.returncode}\n{output}"
    assert "all checks passed" in result.stderr, output
    # The console part ran: the operator's tables were shown and their JSON forms checked.
    for shown in ("swiftfwd> show interfaces", "swiftfwd> show workers", "swiftfwd> show errors",
                  "console counters (JSON forms), checked against the traffic sent"):
        assert shown in result.stdout, f"no {shown!r} in the output\n{output}"
    if config:
        assert "swiftfwd> show rings" in result.stdout, output
        assert re.search(r"^  ok   ring rx2-w1: enqueued (\d+) == dequeued \1, 0 left in it, 0 dropped$", result.stdout, re.M), output
        assert "threading: pipeline" in result.stdout, output
    else:
        assert "swiftfwd> show rings" not in result.stdout, output
        # config/demo.yaml runs the kernel control plane: the router answers pings itself,
        # and what a port sent from its twin is told apart from what it forwarded.
        for router in ("198.18.0.1", "198.18.1.1", "2001:db8:0::1", "2001:db8:1::1"):
            assert re.search(rf"-> {re.escape(router)}: (\d+) packets transmitted, \1 received", result.stdout), output
        for shown in ("swiftfwd> show punt", "swiftfwd> show sync"):
            assert shown in result.stdout, output
    for port in ("p0", "p1"):
        assert re.search(rf"^  ok   {port} sent (\d+) packets to its host( \(and \d+ from its twin\))?, expected \1$",
                         result.stdout, re.M), output
    assert lab_leftovers() == [], f"the lab was not removed: {lab_leftovers()}"
