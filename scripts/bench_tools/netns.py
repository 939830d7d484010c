"""A network namespace of the benchmark's own: created with a unique name, removed whatever
happens (with it go every interface and route made inside it), and a way to open sockets in it.

Why a namespace: the kernel-route benchmarks put a full table into a routing table; in a
namespace of their own those routes can never steer the machine's own traffic.
"""

import ctypes
import os
import subprocess
import threading

CLONE_NEWNET = 0x40000000


class Namespace:
    def __init__(self, name):
        self.name = name
        self.made = False

    def create(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.made = True
        self.ip("link", "set", "lo", "up")

    def ip(self, *args, check=True, capture=True):
        """`ip -n NAME ARGS...`; its stdout."""
        result = subprocess.run(["ip", "-n", self.name, *args], capture_output=capture, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"ip -n {self.name} {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def exec_prefix(self):
        """What to put in front of a command to run it inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def call(self, fn):
        """Runs fn() on a thread that has entered the namespace (setns changes only the calling
        thread), and returns its result: a socket it opens belongs to the namespace and can be
        used from any thread afterwards."""
        result = {}

        def run():
            try:
                libc = ctypes.CDLL("libc.so.6", use_errno=True)
                with open(f"/var/run/netns/{self.name}") as f:
                    if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns into {self.name}")
                result["value"] = fn()
            except BaseException as error:  # handed to the caller's thread
                result["error"] = error

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join()
        if "error" in result:
            raise result["error"]
        return result["value"]

    def delete(self):
        """Removes the namespace (the kernel then frees its interfaces and routes)."""
        if self.made or os.path.exists(f"/var/run/netns/{self.name}"):
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
            self.made = False

    def exists(self):
        return os.path.exists(f"/var/run/netns/{self.name}")
