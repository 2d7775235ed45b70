"""The school benchmark's instruments: the site's processes, the sampler, the prober, the fault.

Used by ``bench/school.py``; each reads ``/proc`` or the site's Redis, nothing of the site's code.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.classroom import SITE_URL
from bench.helpers import process_cpu_seconds

SAMPLE_SECONDS = 5.0
PROBE_SECONDS = 0.05
PROBERS = 4  # learners the prober takes turns with


@dataclass
class Outage:
    """The fault: when Redis was killed, answered again, and the site served again."""

    killed_pid: int = 0
    killed: float = 0.0  # epoch seconds
    process_back: float = 0.0  # a new redis-server process exists
    redis_back: float = 0.0  # it answers PING (the restart)
    site_back: float = 0.0  # the prober's first command answered 200 after the kill
    probes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Sample:
    t: float
    workers_rss_mb: list[float]
    redis_used_mb: float | None
    redis_rss_mb: float | None
    load: float
    locust_cpu_s: float


def children(pid: int) -> list[tuple[int, str, str]]:
    """(pid, comm, cmdline) of the direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid:
            found.append((int(entry.name), comm, cmdline))
    return found


def redis_pid(site_pid: int) -> int | None:
    return next((p for p, comm, _ in children(site_pid) if comm == "redis-server"), None)


def worker_pids(site_pid: int) -> list[int]:
    return sorted(p for p, _, cmd in children(site_pid) if "multiprocessing.spawn" in cmd)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float:
    """CPU seconds of process ``pid`` so far; 0 once it is gone."""
    with contextlib.suppress(OSError):
        return process_cpu_seconds(pid)
    return 0.0


def site_redis() -> redis.Redis:
    return redis.Redis.from_url(SITE_URL[0], socket_timeout=1, socket_connect_timeout=1)


def sampler(site_pid: int, locust_pid: int, stop: threading.Event, out: list[Sample]) -> None:
    client = site_redis()
    while not stop.is_set():
        used = redis_rss = None
        with contextlib.suppress(redis.RedisError, OSError):
            memory = client.info("memory")
            used = memory["used_memory"] / 2**20
            redis_rss = memory["used_memory_rss"] / 2**20
        workers = [rss_mb(p) or 0.0 for p in worker_pids(site_pid)]
        out.append(Sample(time.time(), workers, used, redis_rss, os.getloadavg()[0],
                          cpu_seconds(locust_pid)))  # fmt: skip
        stop.wait(SAMPLE_SECONDS)
    client.close()


def prober(base: str, tokens: list[str], stop: threading.Event, outage: Outage) -> None:
    """Learners of our own: ``INCR probe`` every 50 ms in turn (each within its rate limit,
    10 commands/s), each answer and its time kept."""
    with httpx.Client(base_url=base, timeout=30) as http:
        for n in itertools.count():
            if stop.is_set():
                return
            headers = {"authorization": f"Bearer {tokens[n % len(tokens)]}"}
            sent = time.time()
            try:
                answer = http.post("/api/v1/run", json={"line": "INCR probe"}, headers=headers)
                status, body = answer.status_code, answer.text[:200]
            except httpx.HTTPError as error:
                status, body = 0, f"{type(error).__name__}: {error}"
            outage.probes.append({"t": sent, "end": time.time(), "s": status, "b": body,
                                  "l": f"(prober {n % len(tokens)})"})  # fmt: skip
            if status == 200 and outage.killed and not outage.site_back:
                outage.site_back = time.time()
            stop.wait(PROBE_SECONDS)


def kill_redis(site_pid: int, outage: Outage) -> None:
    """SIGKILL the embedded redis-server; time its restart by the supervisor."""
    old = redis_pid(site_pid)
    assert old is not None, "no redis-server child of the site"
    outage.killed_pid = old
    outage.killed = time.time()
    os.kill(old, signal.SIGKILL)
    client = site_redis()
    deadline = time.time() + 60
    while time.time() < deadline:
        new = redis_pid(site_pid)
        if new is not None and new != old:
            outage.process_back = outage.process_back or time.time()
            with contextlib.suppress(redis.RedisError, OSError):
                if client.ping():
                    outage.redis_back = time.time()
                    break
        time.sleep(0.005)
    client.close()
