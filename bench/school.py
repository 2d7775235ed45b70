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
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

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
from bench.helpers import free_port  # noqa: E402
from bench.school_probes import (  # noqa: E402
    PROBERS,
    Outage,
    Sample,
    kill_redis,
    prober,
    sampler,
    site_redis,
)
from bench.school_report import Run, report  # noqa: E402
from tryredis.keys import Keys  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

USERS_FILE = ROOT / "bench" / "school_users.py"
LESSONS = ["what-is-redis", "keys-and-strings", "expiring-keys", "counters-and-atomicity",
           "hashes", "lists", "sets", "pubsub"]  # fmt: skip


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
