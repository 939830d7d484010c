"""Fixtures for the end-to-end tests: the binary, a unique EAL file prefix, a forwarder launcher."""
import os
import uuid

import pytest

from e2elib import Forwarder, binary_path, remove_dpdk_leftovers


@pytest.fixture(scope="session")
def swiftfwd_bin():
    path = binary_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"no swiftfwd binary at {path}: run 'bash scripts/setup' (it builds one) "
                    f"or set SWIFTFWD_BIN")
    return path


@pytest.fixture
def dpdk_prefix():
    """A file prefix no other run uses, removed with whatever EAL left under it."""
    prefix = f"swf-e2e-{uuid.uuid4().hex[:10]}"
    yield prefix
    remove_dpdk_leftovers(prefix)


@pytest.fixture
def forwarder(swiftfwd_bin, tmp_path):
    """Makes Forwarder objects for a config path; kills any that a test left running."""
    started = []

    def make(config, **kwargs):
        fwd = Forwarder(swiftfwd_bin, config, tmp_path, **kwargs)
        started.append(fwd)
        return fwd

    yield make
    for fwd in started:
        fwd.kill()


@pytest.fixture
def needs_root():
    if os.geteuid() != 0:
        pytest.skip("needs root (DPDK EAL, network namespaces)")
