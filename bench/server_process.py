"""A benchmark's server in a child process of its own, pinned to one core.

tests/dnsserver.py and bench/delay_proxy.py print ``listening HOST:PORT`` once they answer, and
a line of counters (``queries N ...``) on SIGUSR1; the benchmarks start them, read both, and
stop them the same way (bench/scan_throughput.py, bench/nsd.py, bench/delay_proxy.py).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The server's core and the client's: on a two-core machine each gets one of its own.
SERVER_CORE, CLIENT_CORE = 1, 0


def debian_program(name: str) -> str:
    """``/usr/sbin/<name>`` of Debian's package ``name``, installed with apt-get when it is
    not there yet (the benchmarks run as root on a machine that may lack it)."""
    path = f"/usr/sbin/{name}"
    found = shutil.which(name) or (path if Path(path).exists() else None)
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", name], check=True)
    return path


def pin(pid: int, core: int) -> None:
    """Run ``pid`` (0: this process) on ``core`` only, where there is such a core."""
    if hasattr(os, "sched_setaffinity") and core < (os.cpu_count() or 1):
        os.sched_setaffinity(pid, {core})


class ServerProcess:
    """``command`` in a child process on ``core``, ready once it printed its address."""

    def __init__(
        self, command: list[str], label: str, core: int, timeout: float
    ) -> None:
        self.label = label
        # A file, not a pipe: a chatty server must never block on a full pipe.
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            preexec_fn=lambda: pin(0, core),
        )
        try:
            line = self.line(timeout)
            if not line.startswith("listening "):
                self.process.wait(timeout=30)
                self.errors.seek(0)
                raise OSError(f"{label} did not start: {self.errors.read()[-500:]}")
        except BaseException:
            self.stop()
            raise
        self.nameserver = line.split()[1]

    def line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise RuntimeError(f"no answer from {self.label}")
        return self.process.stdout.readline().strip()

    def counter_fields(self) -> list[str]:
        """The server's counter line, split: ``queries N`` and whatever it adds."""
        self.process.send_signal(signal.SIGUSR1)
        return self.line(10.0).split()

    def queries(self) -> int:
        return int(self.counter_fields()[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        self.errors.close()
