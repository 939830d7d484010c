"""Pipeline mode's startup refusals that need the machine, not just the file: an lcore mapped
(threading.lcore_cpus) onto a CPU this process cannot use is refused by name before EAL starts,
instead of EAL's "core N unavailable" and its whole usage text."""
import os

from e2elib import small_eal


def test_lcore_on_a_cpu_that_is_not_there(forwarder, dpdk_prefix, tmp_path):
    missing = max(os.sched_getaffinity(0)) + 1
    config = tmp_path / "cpu.yaml"
    config.write_text(small_eal(dpdk_prefix) + f"""\
threading:
  mode: pipeline
  rx_cores: [2]
  lcore_cpus: {{0: 0, 1: 0, 2: {missing}}}
ports:
  - name: a
    device: net_null0,no-rx=1
""")
    fwd = forwarder(config, stats=False).start()
    status = fwd.wait()
    out = fwd.output()
    assert status == 1, fwd.describe()
    assert f"threading.lcore_cpus puts lcore 2 on CPU {missing}, which this process cannot run on" in out, out
    assert "EAL:" not in out, "refused before EAL started"
