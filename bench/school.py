"""A school's load, with a fault: 300 learners on 2 workers, Redis killed once mid-run.

Starts the real ``tryredis --workers 2`` with its embedded Redis and a fresh
``TRYREDIS_DATA_DIR`` (AOF, ``appendfsync everysec``), makes the teachers and
classes as ``bench/classroom.py`` does (``tryredis teacher add``, the sign-in link,
``POST /api/v1/classes``), then runs Locust on ``bench/school_users.py``:

- learners join a class, open a lesson page (and the exercise panels it loads, and
  the class notice stream), then at a human pace send a command every 2-10 s
  (``POST /api/v1/run`` with the page's ``X-CSRF-Token``), each followed by the
  exercise check the page sends; each solves lesson 1's first exercise once, and
  once it is solved opens another lesson now and then;
- 10% of them hold a SUBSCRIBE stream (``GET /repl/subscribe``) and PUBLISH into
  their own channel, timing each message from PUBLISH to its arrival;
- each class's teacher holds the dashboard open (its event stream, a reload every
  20-40 s, a student's view now and then), timing each "done" from the check that
  solved it to the dashboard's event.

Midway, the embedded redis-server (a child of the tryredis process) gets SIGKILL,
and the supervisor restarts it. A prober (its own learner, ``INCR`` every 50 ms)
times the outage: the kill, the moment the new server answers PING, and the first
command the site answers again. Every request is classed as during the outage
(its time overlaps the kill-to-first-success window) or outside it: outside, any
non-2xx answer is an error; during it, the only acceptable failure is a 503 with a
message (a 500, a dropped connection or a request over 10 s is not). Nothing
acknowledged more than 1 s before the kill may be lost: every ``INCR acks`` a
learner saw acknowledged must be below the values they get after the restart, and
every exercise a check showed as done must be in Redis at the end.

Sampled every 5 s: each worker's RSS, Redis ``used_memory`` and RSS, the load
average, and the CPU time of the load generator (Locust shares the 2 cores).

``--phase arrivals`` instead has 300 learners arrive within 1 s on a fresh site
(lesson page, ``POST /api/v1/sessions``, first command), as a class does when the
teacher says "go".

    uv run python bench/school.py                         # both phases, full size
    uv run python bench/school.py --phase school --learners 30 --seconds 60  # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom import (  # noqa: E402
    SITE_URL,
    Stats,
    find_site_url,
    join_code,
    start_site,
    teacher,
    wait_ready,
)
from bench.helpers import free_port, git_head, machine_line, pct, process_cpu_seconds  # noqa: E402
from tryredis.keys import Keys  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

USERS_FILE = ROOT / "bench" / "school_users.py"
LESSONS = ["what-is-redis", "keys-and-strings", "expiring-keys", "counters-and-atomicity",
           "hashes", "lists", "sets", "pubsub"]  # fmt: skip
HANG_MS = 10_000.0  # a request unanswered this long during the outage counts as a hang
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


async def make_classes(base: str, classes: int) -> list[dict[str, str]]:
    """The teachers, each with a class: class id, the teacher's cookie, the join code."""
    made = []
    for index in range(classes):
        class_id, http = await teacher(base, index, Stats())
        code = await join_code(http, class_id)
        made.append({"class_id": class_id, "code": code,
                     "cookie": str(http.cookies.get("tryredis_teacher", ""))})  # fmt: skip
        await http.aclose()
    return made


def locust(config: dict[str, Any], run_dir: Path, classes: list[str], users: int, rate: float,
           seconds: float, base: str) -> subprocess.Popen[bytes]:  # fmt: skip
    path = run_dir / "config.json"
    path.write_text(json.dumps(config))
    command = [
        sys.executable, "-m", "locust", "-f", str(USERS_FILE), "--headless", "--only-summary",
        "-u", str(users), "-r", f"{rate:g}", "-t", f"{math.ceil(seconds)}s", "--host", base,
        "--stop-timeout", "5", "--loglevel", "WARNING", *classes,
    ]  # fmt: skip
    out = open(run_dir / "locust.out", "wb")  # noqa: SIM115
    return subprocess.Popen(command, env={**os.environ, "BENCH_SCHOOL_CONFIG": str(path)},
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def read_log(path: Path) -> dict[str, list[dict[str, Any]]]:
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with path.open(encoding="utf-8") as file:
        for line in file:
            entry = json.loads(line)
            kinds[entry.pop("k")].append(entry)
    return kinds


def site_env(data_dir: Path) -> dict[str, str]:
    return {"TRYREDIS_DATA_DIR": str(data_dir), "TRYREDIS_LOG_LEVEL": "warning"}


def stop_site(site: subprocess.Popen[bytes]) -> None:
    site.send_signal(signal.SIGINT)
    try:
        site.wait(60)
    except subprocess.TimeoutExpired:
        site.kill()
        site.wait()


@contextlib.contextmanager
def phase_site(run_dir: Path, workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A fresh site for one phase (its data and site.log in ``run_dir``), ready; then stopped."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(run_dir / "site.log", "wb") as site_log:
        site = start_site(port, workers, site_env(run_dir / "data"), stdout=site_log,
                          stderr=subprocess.STDOUT)  # fmt: skip
        try:
            asyncio.run(wait_ready(base, time.monotonic() + 180))
            SITE_URL[0] = find_site_url(site.pid)
            yield site, base
        finally:
            stop_site(site)


@dataclass
class Run:
    """Everything one phase measured."""

    phase: str
    learners: int
    seconds: float
    started: float
    log: dict[str, list[dict[str, Any]]]
    outage: Outage | None = None
    samples: list[Sample] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    durability: dict[str, int] = field(default_factory=dict)
    site_log: str = ""
    locust_out: str = ""
    locust_cpu_s: float = 0.0


def school(args: argparse.Namespace, run_dir: Path) -> Run:
    stop = threading.Event()
    outage = Outage()
    samples: list[Sample] = []
    with phase_site(run_dir, args.workers) as (site, base):
        try:
            teachers = asyncio.run(make_classes(base, args.classes)) if args.classes else []
            tokens = [httpx.post(base + "/api/v1/sessions", json={}).json()["token"]
                      for _ in range(PROBERS)]  # fmt: skip
            config = {
                "log": str(run_dir / "requests.jsonl"),
                "codes": [t["code"] for t in teachers],
                "teachers": teachers,
                "lessons": LESSONS,
                "stream_share": args.stream_share,
                "solve_within": max(20.0, args.seconds * 0.8),
            }
            users = args.learners + len(teachers)
            started = time.time()
            load = locust(config, run_dir, ["Learner", "Teacher"] if teachers else ["Learner"],
                          users, args.spawn_rate, args.seconds, base)  # fmt: skip
            watch = threading.Thread(target=sampler, args=(site.pid, load.pid, stop, samples))
            watch.start()
            ramp = users / args.spawn_rate
            kill_at = started + (args.kill_after if args.kill_after else
                                 ramp + (args.seconds - ramp) / 2)  # fmt: skip
            probe = threading.Thread(target=prober, args=(base, tokens, stop, outage))
            if not args.no_kill:
                time.sleep(max(0.0, kill_at - 3 - time.time()))
                probe.start()
                time.sleep(3)  # the prober's answers before the kill
                kill_redis(site.pid, outage)
            load.wait(args.seconds + 120)
            stop.set()
            watch.join()
            if probe.is_alive():
                probe.join()
            (run_dir / "probes.json").write_text(json.dumps(outage.__dict__))
            kinds = read_log(run_dir / "requests.jsonl")
            run = Run("school", args.learners, args.seconds, started, kinds, outage, samples)
            run.locust_cpu_s = samples[-1].locust_cpu_s if samples else 0.0
            check_durability(run, outage)
        finally:
            stop.set()
    run.locust_out = (run_dir / "locust.out").read_text(errors="replace")
    run.site_log = (run_dir / "site.log").read_text(errors="replace")
    return run


def check_durability(run: Run, outage: Outage) -> None:
    """Nothing acknowledged more than 1 s before the kill is lost (acks, progress, probes)."""
    if not outage.killed:
        return
    cut = outage.killed - 1.0
    keys = Keys(Settings.from_env({}).key_prefix)
    acks: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for ack in run.log["ack"]:
        acks[ack["l"]].append((ack["t"], ack["v"]))
    probes = [p for p in outage.probes if p["s"] == 200]
    for probe in probes:
        probe["v"] = int(json.loads(probe["b"] or "{}").get("results", [{}])[0].get(
            "output", "(integer) 0").split()[-1]) if probe["b"].startswith("{") else 0  # fmt: skip
    for probe in probes:
        if probe.get("v"):
            acks[probe["l"]].append((probe["t"], probe["v"]))
    checked = lost = within = 0
    for learner, seen in acks.items():
        before = [v for t, v in seen if t < cut]
        recent = [v for t, v in seen if cut <= t < outage.killed]
        after = [v for t, v in seen if t > outage.killed]
        if not before or not after:
            continue
        checked += 1
        if min(after) <= max(before):
            lost += 1
            run.lost.append(f"{learner}: acked {max(before)} before the kill, {min(after)} after")
        if recent and min(after) <= max(recent):
            within += 1
    client = site_redis()
    done = [d for d in run.log["done"] if d["t"] < cut]
    missing = 0
    for entry in done:
        if not client.hexists(keys.progress(entry["l"]), entry["x"]):
            missing += 1
            run.lost.append(f"{entry['l']}: {entry['x']} done before the kill, gone after")
    client.close()
    run.durability = {
        "learners with acks on both sides": checked,
        "acks lost": lost,
        "acks from the last second lost": within,
        "progress acked before the kill": len(done),
        "progress lost": missing,
    }


def arrivals(args: argparse.Namespace, run_dir: Path) -> Run:
    with phase_site(run_dir, args.workers) as (_, base):
        spawn = args.learners / 100
        config = {"log": str(run_dir / "requests.jsonl"), "codes": [], "teachers": [],
                  "arrive_at": time.time() + spawn + 5}  # fmt: skip
        started = time.time()
        load = locust(config, run_dir, ["Arrival"], args.learners, 100, spawn + 25, base)
        load.wait(120)
        run = Run("arrivals", args.learners, spawn + 25, started,
                  read_log(run_dir / "requests.jsonl"))  # fmt: skip
        run.locust_cpu_s = 0.0
    run.locust_out = (run_dir / "locust.out").read_text(errors="replace")
    return run


# The report ------------------------------------------------------------------------------


def classify(run: Run) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Requests by name, outside and during the outage."""
    outside: dict[str, list[dict[str, Any]]] = defaultdict(list)
    during: dict[str, list[dict[str, Any]]] = defaultdict(list)
    window = run.outage
    for request in run.log["req"]:
        if retried(request):
            outside["(stale keep-alive, sent again)"].append(request)
            continue
        end = request["t"] + request["d"] / 1000
        inside = (window is not None and window.killed and request["t"] <= window.site_back
                  and end >= window.killed)  # fmt: skip
        (during if inside else outside)[request["n"]].append(request)
    return outside, during


def retried(request: dict[str, Any]) -> bool:
    """A first try that found its kept-alive connection closed, sent again as browsers do."""
    return request.get("a") == 1 and request["s"] == 0 and "closed" in request.get("e", "")


def failed(request: dict[str, Any]) -> bool:
    return (request["s"] == 0 or request["s"] >= 400) and not retried(request)


def bad_in_outage(request: dict[str, Any]) -> str | None:
    """Why a request during the outage was not acceptable (None: it was)."""
    if request["d"] > HANG_MS:
        return f"hang ({request['d'] / 1000:.1f} s)"
    if request["s"] < 400:
        return None
    if request["s"] == 503 and request.get("b", "").strip():
        return None
    return f"{request['s'] or 'no answer'} {request.get('e', '')} {request.get('b', '')[:80]}"


def report(runs: list[Run], args: argparse.Namespace) -> str:
    import locust as locust_module

    lines = [
        f"{machine_line(f'Locust {locust_module.__version__}')}; commit {git_head()}.",
        "",
    ]
    for run in runs:
        lines += report_run(run)
    return "\n".join(lines)


def report_run(run: Run) -> list[str]:
    outside, during = classify(run)
    loads = [s.load for s in run.samples]
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(run.started))
    lines = [f"#### Phase: {run.phase} ({run.learners} learners, {run.seconds:g} s, started "
             f"{when})", ""]  # fmt: skip
    if loads:
        lines += [f"Load average (1 min) during the run: min {min(loads):.2f}, median "
                  f"{statistics.median(loads):.2f}, max {max(loads):.2f}; load generator CPU "
                  f"{run.locust_cpu_s:.0f} s over {run.seconds:g} s "
                  f"({run.locust_cpu_s / run.seconds:.0%} of one core).", ""]  # fmt: skip
    else:
        lines += [f"Load average (1 min) at the end: {os.getloadavg()[0]:.2f}.", ""]
    lines += ["| request | count | p50 ms | p99 ms | max ms | errors |",
              "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    errors_outside = 0
    for name in sorted(outside):
        requests = outside[name]
        times = [r["d"] for r in requests]
        errors = [r for r in requests if failed(r)]
        errors_outside += len(errors)
        lines.append(f"| {name} | {len(requests)} | {pct(times, 0.5):.1f} | "
                     f"{pct(times, 0.99):.1f} | {max(times):.1f} | {len(errors)} |")  # fmt: skip
    deliver = [d["d"] for d in run.log["deliver"]]
    if deliver:
        lines.append(f"| pub/sub message (PUBLISH sent -> SSE event read) | {len(deliver)} | "
                     f"{pct(deliver, 0.5):.1f} | {pct(deliver, 0.99):.1f} | {max(deliver):.1f} "
                     "| |")  # fmt: skip
    boards = dashboard_latency(run)
    if boards[0]:
        lines.append(f"| dashboard update (check sent -> \"done\" event read) | {len(boards[0])} "
                     f"| {pct(boards[0], 0.5):.1f} | {pct(boards[0], 0.99):.1f} | "
                     f"{max(boards[0]):.1f} | {boards[1]} never shown |")  # fmt: skip
    where = " outside the outage window" if run.outage is not None else ""
    lines += ["", f"Errors{where}: {errors_outside}."]
    kinds: dict[str, int] = defaultdict(int)
    for requests in outside.values():
        for r in requests:
            if failed(r):
                kinds[f"{r['n']}: {r['s'] or 'no answer'} {r.get('e', '')} "
                      f"{r.get('b', '')[:80]}".strip()] += 1  # fmt: skip
    for kind, count in sorted(kinds.items(), key=lambda x: -x[1])[:12]:
        lines.append(f"- {count} x {kind}")
    if run.phase == "arrivals":
        firsts = [r["t"] for r in run.log["req"] if r["n"] == "arrival: page"]
        if firsts:
            lines += ["", f"First requests spread over {max(firsts) - min(firsts):.2f} s "
                      f"({len(firsts)} learners)."]  # fmt: skip
    if run.outage is not None and run.outage.killed:
        lines += outage_report(run, during)
    if run.samples:
        lines += memory_report(run.samples)
    streams = run.log["stream"]
    if streams:
        ends: dict[str, int] = defaultdict(int)
        for s in streams:
            ends[f"{s['n']}: {s['why']}"] += 1
        lines += ["", "Streams ended: " + "; ".join(f"{k} ({v})" for k, v in sorted(ends.items()))
                  + "."]  # fmt: skip
    return [*lines, ""]


def dashboard_latency(run: Run) -> tuple[list[float], int]:
    shown: dict[tuple[str, str], float] = {}
    for board in run.log["board"]:
        shown.setdefault((board["l"], board["x"]), board["t"])
    latencies: list[float] = []
    missing = 0
    for done in run.log["done"]:
        at = shown.get((done["l"], done["x"]))
        if at is None:
            missing += 1
        else:
            latencies.append((at - done["sent"]) * 1000)
    return latencies, missing


def outage_report(run: Run, during: dict[str, list[dict[str, Any]]]) -> list[str]:
    outage = run.outage
    assert outage is not None
    lines = ["", "The fault (redis-server SIGKILLed once):", ""]
    back = outage.site_back
    lines += [
        f"- a new redis-server process after {outage.process_back - outage.killed:.2f} s, "
        f"answering PING after {outage.redis_back - outage.killed:.2f} s (the restart);",
        f"- the site answered the prober's command again {back - outage.killed:.2f} s after the "
        f"kill, {back - outage.redis_back:.2f} s after the restart (target: within 2 s);",
    ]
    statuses: dict[str, int] = defaultdict(int)
    for probe in outage.probes:
        if outage.killed <= probe["end"] and probe["t"] <= back:
            statuses[f"{probe['s']} {probe['b'][:70]}"] += 1
    lines.append("- the prober's answers during the outage: " + "; ".join(
        f"{count} x {text}" for text, count in sorted(statuses.items())) + ";")  # fmt: skip
    later = [p for p in outage.probes if p["t"] > back and p["s"] != 200]
    lines.append(f"- the prober's failed commands after service came back: {len(later)};")
    total = sum(len(v) for v in during.values())
    bad = [(name, why) for name, requests in during.items() for r in requests
           if (why := bad_in_outage(r))]  # fmt: skip
    answered: dict[str, int] = defaultdict(int)
    for name, requests in during.items():
        for r in requests:
            answered[f"{name} {r['s']}"] += 1
    slowest = max((r["d"] for v in during.values() for r in v), default=0.0)
    lines.append(f"- learners' requests overlapping the window: {total} ("
                 + ", ".join(f"{k}: {v}" for k, v in sorted(answered.items()))
                 + f"); slowest {slowest:.0f} ms; not a 503 with a message, or a hang: "
                 f"{len(bad)};")  # fmt: skip
    grouped: dict[str, int] = defaultdict(int)
    for name, why in bad:
        grouped[f"{name}: {why}"] += 1
    lines += [f"  - {count} x {why}" for why, count in sorted(grouped.items(), key=lambda x: -x[1])]
    lines.append("- durability (TRYREDIS_DATA_DIR, AOF everysec): " + ", ".join(
        f"{k} {v}" for k, v in run.durability.items()) + ".")  # fmt: skip
    lines += [f"  - {text}" for text in run.lost[:10]]
    return lines


def memory_report(samples: list[Sample]) -> list[str]:
    lines = ["", "Over time (every 60 s; RSS per worker; Redis's used_memory and RSS):", "",
             "| t s | load | workers RSS MB | Redis used_memory MB | Redis RSS MB |",
             "|---:|---:|---|---:|---:|"]  # fmt: skip
    first = samples[0].t
    shown = [s for i, s in enumerate(samples) if i % round(60 / SAMPLE_SECONDS) == 0]
    if samples[-1] is not shown[-1]:
        shown.append(samples[-1])
    for s in shown:
        used = f"{s.redis_used_mb:.1f}" if s.redis_used_mb is not None else "(down)"
        rss = f"{s.redis_rss_mb:.1f}" if s.redis_rss_mb is not None else "(down)"
        workers = " / ".join(f"{w:.0f}" for w in s.workers_rss_mb)
        lines.append(f"| {s.t - first:.0f} | {s.load:.2f} | {workers} | {used} | {rss} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", choices=["school", "arrivals", "both"], default="both")
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--classes", type=int, default=10, help="teachers with a dashboard open")
    parser.add_argument("--stream-share", type=float, default=0.1,
                        help="share of learners holding a SUBSCRIBE stream")  # fmt: skip
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="learners arriving per s")
    parser.add_argument("--kill-after", type=float, default=0.0,
                        help="seconds into the run (default: midway after the ramp)")  # fmt: skip
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="tryredis-school-"))
    runs = []
    try:
        if args.phase in ("arrivals", "both"):
            (run_dir / "arrivals").mkdir()
            runs.append(arrivals(args, run_dir / "arrivals"))
        if args.phase in ("school", "both"):
            (run_dir / "school").mkdir()
            runs.append(school(args, run_dir / "school"))
        text = report(runs, args)
        print(text)
        (run_dir / "report.md").write_text(text)
    finally:
        print(f"(run directory: {run_dir})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
