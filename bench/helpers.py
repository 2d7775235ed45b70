"""What the bench scripts share: percentiles, the machine line for RESULTS.md, ports, CPU time."""

from __future__ import annotations

import math
import os
import platform
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float, empty: float = math.nan) -> float:
    """The ``q`` quantile of ``values`` (the nearest rank below), or ``empty`` if there are none."""
    if not values:
        return empty
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def redis_version() -> str:
    """The version of the ``redis-server`` on the PATH, such as ``7.4.2``."""
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.split()[2]


def git_head() -> str:
    """The checkout's HEAD, abbreviated."""
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=ROOT, check=False)  # fmt: skip
    return out.stdout.strip()


def machine_line(client: str) -> str:
    """``Machine: <cores> vCPU, <platform>, Python, Redis, <client>`` for a RESULTS.md entry."""
    return (
        f"Machine: {os.cpu_count()} vCPU, {platform.platform()}, Python "
        f"{platform.python_version()}, Redis {redis_version()}, {client}"
    )


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc); OSError once it is gone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
