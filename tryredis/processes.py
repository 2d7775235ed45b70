"""Process plumbing for the embedded Redis and the workers: parent-death signals and
the cleanup of runtime directories left behind by a killed ``tryredis``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger("tryredis.embedded")

PARENT_PID_ENV = "TRYREDIS_PARENT_PID"
_DIR_RE = re.compile(r"tryredis-(\d+)-[a-z0-9_]+")
_PR_SET_PDEATHSIG = 1


def prctl_function() -> Callable[..., int] | None:
    """libc's prctl on Linux, resolved before any fork (the child must not load libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        func: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return func


def die_with_parent(environ: Mapping[str, str] | None = None) -> bool:
    """In a web worker started by ``tryredis serve``: get SIGTERM when the CLI dies (Linux)."""
    raw = (os.environ if environ is None else environ).get(PARENT_PID_ENV, "")
    prctl = prctl_function()
    if not raw.isdigit() or prctl is None:
        return False
    parent = int(raw)
    if parent == os.getpid() or os.getppid() != parent:
        return False  # one worker runs inside the CLI itself; or we are not the CLI's child
    prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the CLI died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)
    return True


def child_setup(prctl: Callable[..., int] | None, parent: int) -> Callable[[], None]:
    def setup() -> None:  # runs in the forked child, just before exec
        if prctl is not None:
            # The signal follows the forking *thread*: restarts fork from the supervisor
            # thread, which lives as long as the server it started.
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(1)

    return setup


def runtime_root() -> Path:
    """Where runtime directories go: /tmp (short, so the socket path fits in sun_path)."""
    return Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())  # noqa: S108


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command_line(pid: int) -> str:
    if Path("/proc").is_dir():
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        return ""
    out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, check=False)
    return out.stdout.decode(errors="replace")


def clean_stale_runtime_dirs(root: Path | None = None) -> list[Path]:
    """Remove our runtime directories whose CLI is gone, stopping any redis-server left in them."""
    removed = []
    for entry in (root or runtime_root()).iterdir():
        found = _DIR_RE.fullmatch(entry.name)
        try:
            info = entry.lstat()
        except OSError:
            continue
        if not found or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if _pid_alive(int(found[1])):
            continue
        with contextlib.suppress(OSError, ValueError):
            pid = int((entry / "redis.pid").read_text().strip())
            # Only a redis-server serving this very socket: a reused pid is left alone.
            if f"unixsocket:{entry / 'redis.sock'}" in _command_line(pid):
                log.warning("stopping redis-server %d left behind by a killed tryredis", pid)
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed
