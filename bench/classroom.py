"""A school on one machine: 10 classes of 30 students and 10 open dashboards, 2 workers.

Starts the real ``tryredis --workers 2`` (embedded Redis), makes 10 teachers with
``tryredis teacher add`` (which finds the running embedded Redis), signs each in
through their one-time link, creates a class each through ``POST /api/v1/classes``,
opens each class's dashboard stream, and has 300 students join at ``/join`` (each
class within 30 s, as when the code goes up on the projector).

Each student is driven as their browser drives the site, with its own cookies
and connections: the lesson page (CSRF token), the class notice stream the page
opens (``/class/events``), then at a human pace (a command every 2 to 6 s) one
``POST /api/v1/run`` with ``X-CSRF-Token`` followed by the exercise tracker's
``POST /lesson/<slug>/exercises/check`` (what htmx sends after every command). Every
student solves the lesson's first exercise once, at a random moment: Start, then
the two commands of its solution. An asyncio client
is used instead of Locust because it holds 300 long-lived event streams and 300
cookie jars in one process at a fraction of Locust's CPU, leaving the 2 cores to
the server; the requests, headers and streams are the browser's own.

Measured: students' command latency (``/api/v1/run``, p50/p99), errors (any
non-2xx answer or failed connection), and dashboard update latency: from the
moment the student's exercise check is sent to the moment the dashboard's stream
delivers the "done" event for it (an upper bound of the real delay).

    uv run python bench/classroom.py --seconds 120
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.helpers import free_port, machine_line, pct  # noqa: E402

JOIN_SPREAD = 30.0  # seconds over which each class's students join
LESSON = "what-is-redis"
EXERCISE = "what-is-redis/first-key"
SOLUTION = ['SET welcome "Hello from my sandbox"', "GET welcome"]
LINES = ["SET k v", "GET k", "INCR n", "LPUSH l a b c", "LRANGE l 0 -1", "HSET h f 1",
         "HGETALL h", "EXPIRE k 100", "TTL k", "SADD s a b", "SMEMBERS s", "NOSUCH x"]  # fmt: skip


@dataclass
class Stats:
    """Everything measured in one run."""

    commands: list[float] = field(default_factory=list)  # seconds
    checks: list[float] = field(default_factory=list)
    dashboard: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: dict[tuple[str, str], float] = field(default_factory=dict)  # (learner, ex) -> t0
    seen: set[tuple[str, str]] = field(default_factory=set)


SITE_URL = [""]  # the embedded Redis of the site this run started


def find_site_url(pid: int) -> str:
    """The site.url file the CLI keeps in its runtime directory (/tmp/tryredis-<pid>-*)."""
    for path in Path("/tmp").glob(f"tryredis-{pid}-*/site.url"):  # noqa: S108
        return path.read_text().strip()
    raise RuntimeError("the site's runtime directory has no site.url")


def start_site(
    port: int, workers: int = 2, extra_env: dict[str, str] | None = None, **popen: Any
) -> subprocess.Popen[bytes]:
    """``tryredis --workers N`` with its embedded Redis; ``extra_env`` adds settings."""
    env = {
        **os.environ,
        "TRYREDIS_IP_RATE_PER_SECOND": "5000",  # 300 students behind one address (NAT)
        "TRYREDIS_IP_RATE_BURST": "10000",
        "TRYREDIS_SESSIONS_PER_IP_HOUR": "5000",
        "TRYREDIS_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    env.pop("TRYREDIS_REDIS_URL", None)
    command = [sys.executable, "-m", "tryredis.cli", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, env=env, cwd=ROOT, **popen)


async def wait_ready(base: str, deadline: float) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the site did not start")


def teacher_cli(*words: str) -> str:
    env = {**os.environ, "TRYREDIS_REDIS_URL": SITE_URL[0]}
    out = subprocess.run([sys.executable, "-m", "tryredis.cli", "teacher", *words],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout


async def teacher(base: str, index: int, stats: Stats) -> tuple[str, httpx.AsyncClient]:
    """A signed-in teacher with a class; the class id and the teacher's client."""
    name = f"Teacher {index} {os.getpid()}"
    link = re.search(r"link=(\S+)", teacher_cli("add", name, "--site", base))
    token = teacher_cli("token", name).strip()
    assert link, "no sign-in link printed"
    http = httpx.AsyncClient(base_url=base, timeout=30)
    password = "bench password " + str(index)
    await http.post("/teach/welcome", data={"link": link[1], "password": password,
                                            "again": password})  # fmt: skip
    made = await http.post(
        "/api/v1/classes",
        json={"name": f"Class {index}", "lessons": [LESSON, "keys-and-strings"]},
        headers={"authorization": f"Bearer {token}"},
    )
    made.raise_for_status()
    return made.json()["id"], http


async def join_code(http: httpx.AsyncClient, class_id: str) -> str:
    """The class's join code, as its dashboard shows it."""
    page = await http.get(f"/teach/classes/{class_id}")
    found = re.search(r'data-testid="join-code">([A-Z0-9]{6})<', page.text)
    assert found, "the dashboard shows no join code"
    return found[1]


async def dashboard(http: httpx.AsyncClient, class_id: str, stats: Stats, ready: asyncio.Event,
                    stop: asyncio.Event) -> None:  # fmt: skip
    """One open dashboard: read its stream, time every "done" event."""
    async with http.stream("GET", f"/teach/classes/{class_id}/events",
                           timeout=httpx.Timeout(30, read=None)) as stream:  # fmt: skip
        if stream.status_code != 200:
            stats.errors.append(f"dashboard {stream.status_code}")
            return
        event = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "rows":
                    ready.set()
                if event == "done":
                    done = json.loads(line[6:])
                    key = (done["id"], done["x"])
                    now = time.monotonic()
                    if key in stats.sent and key not in stats.seen:
                        stats.seen.add(key)
                        stats.dashboard.append(now - stats.sent[key])
            if stop.is_set():
                return


async def student(base: str, code: str, name: str, stats: Stats, until: float) -> None:
    """One student's browser at a human pace."""
    # Students join as a class does when the code goes up: within the first 30 s.
    await asyncio.sleep(random.uniform(0, JOIN_SPREAD))
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        try:
            joined = await http.post("/join", data={"code": code, "name": name})
        except httpx.HTTPError as error:
            stats.errors.append(f"join {type(error).__name__}")
            return
        if joined.status_code != 200:
            stats.errors.append(f"join {joined.status_code}")
            return
        page = await http.get(f"/lesson/{LESSON}")
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert csrf
        headers = {"x-csrf-token": csrf[1]}
        notices = asyncio.create_task(_notices(http, stats))
        learner = ""
        solve_at = time.monotonic() + random.uniform(5, max(6.0, until - time.monotonic() - 10))
        solved = False
        todo: list[str] = []
        try:
            while time.monotonic() < until:
                await asyncio.sleep(random.uniform(2, 6))
                if not solved and not todo and time.monotonic() >= solve_at:
                    begun = await send(
                        http,
                        "POST",
                        f"/lesson/{LESSON}/exercises/first-key/start",
                        headers=headers,
                    )
                    if begun.status_code != 200:
                        stats.errors.append(f"start {begun.status_code}")
                    todo = list(SOLUTION)
                line = todo.pop(0) if todo else random.choice(LINES)
                started = time.monotonic()
                try:
                    ran = await send(
                        http, "POST", "/api/v1/run", json={"lines": [line]}, headers=headers
                    )
                except httpx.HTTPError as error:
                    stats.errors.append(f"run {type(error).__name__}")
                    continue
                stats.commands.append(time.monotonic() - started)
                if ran.status_code != 200:
                    stats.errors.append(f"run {ran.status_code}")
                    continue
                if not learner:
                    learner = await _learner_id(http, csrf[1])
                if line == SOLUTION[-1] and not todo:
                    solved = True
                    stats.sent[(learner, EXERCISE)] = time.monotonic()
                started = time.monotonic()
                try:
                    check = await send(
                        http, "POST", f"/lesson/{LESSON}/exercises/check", headers=headers
                    )
                except httpx.HTTPError as error:
                    stats.errors.append(f"exercises {type(error).__name__}")
                    continue
                stats.checks.append(time.monotonic() - started)
                if check.status_code != 200:
                    stats.errors.append(f"exercises {check.status_code}")
        finally:
            notices.cancel()


async def _learner_id(http: httpx.AsyncClient, csrf: str) -> str:
    # The cookie is "<learner id>.<mac>": the dashboard's events name learners by id.
    return str(http.cookies.get("tryredis_session", "")).split(".")[0]


async def _notices(http: httpx.AsyncClient, stats: Stats) -> None:
    try:
        async with http.stream("GET", "/class/events",
                               timeout=httpx.Timeout(30, read=None)) as stream:  # fmt: skip
            if stream.status_code != 200:
                stats.errors.append(f"notices {stream.status_code}")
                return
            async for _ in stream.aiter_lines():
                pass
    except httpx.HTTPError as error:
        stats.errors.append(f"notices {type(error).__name__}")


async def send(http: httpx.AsyncClient, method: str, url: str, **options: Any) -> httpx.Response:
    """One request, retried once when a kept-alive connection was closed by the server
    just as it was reused (uvicorn closes idle ones after 5 s), as browsers retry it."""
    try:
        return await http.request(method, url, **options)
    except httpx.RemoteProtocolError:
        return await http.request(method, url, **options)


async def run(seconds: float, classes: int, size: int) -> Stats:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = start_site(port)
    stats = Stats()
    try:
        await wait_ready(base, time.monotonic() + 180)
        SITE_URL[0] = find_site_url(site.pid)
        made = [await teacher(base, i, stats) for i in range(classes)]
        stop = asyncio.Event()
        readies = [asyncio.Event() for _ in made]
        boards = [asyncio.create_task(dashboard(http, cid, stats, ready, stop))
                  for (cid, http), ready in zip(made, readies, strict=True)]  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        codes = [await join_code(http, class_id) for class_id, http in made]
        until = time.monotonic() + JOIN_SPREAD + seconds
        students = [student(base, code, f"Student {n}", stats, until)
                    for code in codes for n in range(size)]  # fmt: skip
        await asyncio.gather(*students)
        await asyncio.sleep(2.5)  # the last "done" events
        stop.set()
        for board in boards:
            board.cancel()
        missed = set(stats.sent) - stats.seen
        stats.errors += [f"dashboard never showed {k}" for k in missed]
        for _, http in made:
            await http.aclose()
    finally:
        site.send_signal(signal.SIGINT)
        site.wait(30)
    return stats


def report(stats: Stats, seconds: float, classes: int, size: int) -> str:
    lines = [
        f"### {time.strftime('%Y-%m-%d')}: `bench/classroom.py --seconds {seconds:g}`",
        "",
        f"{machine_line(f'httpx {httpx.__version__}')}; "
        f"load average at the end {os.getloadavg()[0]:.2f}.",
        "",
        f"{classes} classes x {size} students, {classes} dashboards, 2 workers, "
        f"{seconds:g} s at a command every 2-6 s per student.",
        "",
        "| measure | count | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    measures = [
        ("student command (`POST /api/v1/run`)", stats.commands),
        ("exercise check (`POST .../exercises/check`)", stats.checks),
        ("dashboard update (check sent -> event shown)", stats.dashboard),
    ]
    for name, values in measures:
        worst = max(values, default=0) * 1000
        lines.append(
            f"| {name} | {len(values)} | {pct(values, 0.5) * 1000:.1f} | "
            f"{pct(values, 0.99) * 1000:.1f} | {worst:.1f} |"
        )
    lines += ["", f"Errors: {len(stats.errors)}" + (
        f" ({', '.join(sorted(set(stats.errors))[:10])})" if stats.errors else "")]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    stats = asyncio.run(run(args.seconds, args.classes, args.students))
    print(report(stats, args.seconds, args.classes, args.students))
    if stats.commands:
        print(f"(mean command {statistics.mean(stats.commands) * 1000:.1f} ms)")
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
