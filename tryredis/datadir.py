"""The embedded Redis's data dir: one tryredis at a time (a lock), and AOF switched on.

Two servers writing one directory would overwrite each other's data, so the CLI holds
an exclusive ``flock`` on ``<data dir>/tryredis.lock`` while its redis-server runs. The
kernel drops the lock when the process dies, so a killed tryredis leaves nothing stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

import redis

from tryredis.redisconf import AOF_MANIFEST

LOCK_NAME = "tryredis.lock"


class DataDirError(RuntimeError):
    """The data dir cannot be used; the message is one line naming TRYREDIS_DATA_DIR."""


class DataDirLock:
    """An exclusive lock on a data dir, held from ``acquire()`` to ``release()``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._fd: int | None = None

    def acquire(self) -> None:
        """Create the dir (0700) if needed and take the lock, or say who holds it."""
        where = f"TRYREDIS_DATA_DIR={self.data_dir}"
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        except FileExistsError:
            raise DataDirError(f"{where} is not a directory") from None
        except OSError as error:
            raise DataDirError(f"{where}: cannot use it ({error.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DataDirError(f"{where} is in use by another tryredis (pid {holder}): "
                               "stop it first, or choose another data dir") from None  # fmt: skip
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays: removing it would race a new owner)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None


def switch_on_aof(admin: redis.Redis, data_dir: Path, timeout: float) -> None:
    """Turn AOF on at run time and wait until its first file is complete on disk.

    For a data dir written before AOF (only ``dump.rdb``): Redis writes the AOF from the
    data it loaded from the snapshot, so nothing is lost on the way.
    """
    admin.config_set("appendonly", "yes")
    deadline = time.monotonic() + timeout
    while True:
        info = admin.info("persistence")
        rewriting = info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled")
        if info.get("aof_enabled") and not rewriting and (data_dir / AOF_MANIFEST).exists():
            return
        if time.monotonic() > deadline:
            raise DataDirError(f"TRYREDIS_DATA_DIR={data_dir}: switching on AOF took over "
                               f"{timeout:g} s")  # fmt: skip
        time.sleep(0.02)
