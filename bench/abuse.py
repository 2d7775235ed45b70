"""Honest learners alone, then beside attackers: does anyone else feel the attack?

Starts redis-server on the config ``tryredis serve`` generates (plus a bench user
that may read SLOWLOG, see ``bench/redis_time.py``) and ``tryredis serve`` on it,
one worker, default limits, each client behind its own address (X-Forwarded-For
from a trusted local proxy, as a school's proxy would set it). Then two phases of
``--seconds`` each:

1. **alone** (``--seconds`` in all, in ``ROUNDS`` windows alternating with the
   attacked ones): ``--honest`` learners at a human pace: a page view, then a command
   every 2 to 5 s, with a page view and an exercise check now and then;
2. **attacked**: the same, beside three attackers (in a process of their own, as
   real attackers are other machines) running, as fast as their
   limits let them, the worst inputs we know that are within the limits: glob
   patterns over long names (worker CPU), replies and Redis time (MGET of 64 KiB
   strings, SCAN MATCH COUNT 1000, big stores), and a flood of new sandboxes
   each filled to its quota, blocking commands and streams (memory, pools,
   shares).

Honest learners' p50/p99 and errors per request type, the worker's event-loop
lag (its ``/healthz``, polled every 0.5 s), Redis ``used_memory`` against
``maxmemory``, and SLOWLOG's maximum are printed (``--record`` appends them to
bench/RESULTS.md).

    uv run python bench/abuse.py [--honest 50] [--seconds 60] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.abuse_attackers import attack  # noqa: E402
from bench.abuse_clients import LESSON, POLITE, TLS, Client  # noqa: E402
from bench.classroom import wait_ready  # noqa: E402
from bench.helpers import free_port, pct  # noqa: E402
from bench.redis_time import bench_admin, embedded_style, machine, socket_url  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

ROUNDS = 3  # alone and attacked windows, alternating
NICE = {"value": 19}  # --attacker-nice: the attackers' process's CPU priority
HONEST_LINES = [
    "SET greeting hello", "GET greeting", "INCR visits", "EXPIRE greeting 300", "TTL greeting",
    "LPUSH queue job1 job2", "LRANGE queue 0 -1", "HSET user:1 name Ada lang en",
    "HGETALL user:1", "SADD tags redis db", "SMEMBERS tags", "ZADD board 10 ada 7 bob",
    "ZRANGE board 0 -1 WITHSCORES", "KEYS *", "DEL queue", "MGET greeting visits",
]  # fmt: skip


@dataclass
class Tally:
    """Honest requests: latencies per kind, and what went wrong."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retried: int = 0  # first tries that found their kept-alive connection closed
    refused: int = 0  # commands answered "(refused)" (a 200, but the learner lost the command)
    examples: list[str] = field(default_factory=list)


@dataclass
class Watch:
    """What the monitor saw during a phase."""

    lag_ms: float = 0.0
    generator_lag_ms: float = 0.0  # bench/abuse.py's own loop, which times the honest learners
    used_max: int = 0
    maxmemory: int = 0
    states: set[str] = field(default_factory=set)
    attackers: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # by status


class Lag:
    """This process's own event-loop lag: how late the load generator itself ran."""

    def __init__(self) -> None:
        self.worst_ms = 0.0

    async def watch(self, until: float) -> None:
        """Sleep 10 ms at a time until ``until``; keep the worst lateness."""
        while time.monotonic() < until:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            self.worst_ms = max(self.worst_ms, (time.perf_counter() - asked - 0.01) * 1000)


async def timed(tally: Tally, kind: str, request: Any) -> httpx.Response | None:
    """Time ``request()`` (from its first try), sent once more when the kept-alive
    connection it went out on turned out closed (uvicorn closes idle ones after 5 s,
    and a learner's pause is 2 to 5 s), as browsers do; such retries are counted."""
    started = time.perf_counter()
    try:
        try:
            response: httpx.Response = await request()
        except (httpx.ReadError, httpx.RemoteProtocolError):
            tally.retried += 1
            response = await request()
    except httpx.HTTPError as error:
        tally.errors[kind] += 1
        tally.examples.append(f"{kind}: {type(error).__name__}")
        return None
    tally.latency[kind].append((time.perf_counter() - started) * 1000)
    if response.status_code >= 400:
        tally.errors[kind] += 1
        if len(tally.examples) < 10:
            tally.examples.append(f"{kind}: {response.status_code} {response.text[:120]}")
    return response


async def honest(base: str, n: int, tally: Tally, until: float) -> None:
    client = Client(base, f"10.1.{n // 250}.{n % 250 + 1}")
    rng = random.Random(n)
    try:
        await asyncio.sleep(rng.uniform(0, 5))  # a class arrives over a few seconds
        await timed(tally, "page", client.page)
        step = 0
        while time.monotonic() < until:
            step += 1
            answer = await timed(
                tally, "command", functools.partial(client.run, [rng.choice(HONEST_LINES)])
            )
            if answer is not None and answer.status_code == 200:
                outputs = [r["output"] for r in answer.json()["results"]]
                if any(o.startswith("(refused)") for o in outputs):
                    tally.refused += 1
                    if len(tally.examples) < 10:
                        tally.examples.append(f"refused: {outputs}")
            if step % 4 == 0:
                slug = rng.choice([LESSON, "hashes"])
                await timed(tally, "page", functools.partial(client.page, slug))
            if step % 3 == 0:
                await timed(tally, "check", client.check)
            await asyncio.sleep(rng.uniform(2, 5))
    finally:
        await client.http.aclose()


async def monitor(base: str, watch: Watch, admin: redis.Redis, until: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5, verify=TLS) as http:
        while time.monotonic() < until:
            try:
                report = (await http.get("/healthz")).json()
                watch.lag_ms = max(watch.lag_ms, float(report["loop_lag_ms"]))
                watch.states.add(str(report["memory"]["state"]))
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            info = admin.info("memory")
            watch.used_max = max(watch.used_max, int(info["used_memory"]))
            watch.maxmemory = int(info["maxmemory"])
            await asyncio.sleep(0.5)


Outcome = tuple[Tally, Watch, tuple[float, str]]


async def phase(base: str, admin: redis.Redis, honest_count: int, seconds: float,
                attackers: list[str], first: int) -> Outcome:  # fmt: skip
    """One window. Attackers run in another process: in this one their own work (parsing
    replies of up to 1 MiB, making clients) stalled the event loop that times the honest
    learners, and was counted as the site's latency; real attackers are other machines."""
    admin.slowlog_reset()
    tally, watch = Tally(), Watch()
    process = None
    if attackers:
        spawn = multiprocessing.get_context("spawn")
        ready, go, out = spawn.Event(), spawn.Event(), spawn.Queue()
        arguments = (base, seconds, attackers, POLITE["on"], NICE["value"], ready, go, out)
        process = spawn.Process(target=attack, args=arguments)
        process.start()
        await asyncio.to_thread(ready.wait, 60)  # its start-up is not part of the window
        go.set()
    until = time.monotonic() + seconds
    tasks = [honest(base, first + n, tally, until) for n in range(honest_count)]
    lag = Lag()
    await asyncio.gather(monitor(base, watch, admin, until), lag.watch(until), *tasks)
    watch.generator_lag_ms = lag.worst_ms
    if process is not None:
        for status, count in (await asyncio.to_thread(out.get, True, 60)).items():
            watch.attackers[status] += count
        await asyncio.to_thread(process.join, 60)
    slowest = max(admin.slowlog_get(100_000), key=lambda e: e["duration"], default=None)
    worst = (0.0, "")
    if slowest is not None:
        command = slowest["command"]
        text = command.decode(errors="replace") if isinstance(command, bytes) else str(command)
        worst = (slowest["duration"] / 1000, text.split(" ")[0])
    return tally, watch, worst


def summary(name: str, tally: Tally, watch: Watch, worst: tuple[float, str]) -> list[str]:
    lines = []
    for kind in ("command", "page", "check"):
        values = tally.latency[kind]
        lines.append(
            f"| {name} | {kind} | {len(values)} | {pct(values, 0.5, 0.0):.1f} | "
            f"{pct(values, 0.99, 0.0):.1f} | {tally.errors[kind]} |"
        )
    mem = f"{watch.used_max / 2**20:.1f} of {watch.maxmemory / 2**20:.0f} MiB"
    lines.append(
        f"| {name} | (site) | refused commands {tally.refused}, retried {tally.retried}"
        f" | loop lag max {watch.lag_ms:.1f} ms (load generator {watch.generator_lag_ms:.1f})"
        f" | Redis {mem} ({', '.join(sorted(watch.states))})"
        f" | SLOWLOG max {worst[0]:.2f} ms ({worst[1]}) |"
    )
    return lines


async def phases(
    base: str, admin: redis.Redis, honest_count: int, seconds: float, attackers: list[str]
) -> Any:
    """Both phases, one after the other, on the running site (warmed up first)."""
    await wait_ready(base, time.monotonic() + 120)
    warm = Client(base, "10.0.0.1")
    for slug in (LESSON, "hashes"):  # the first render of each page is not what is measured
        await warm.page(slug)
    await warm.http.aclose()
    # Interleaved (alone, attacked, alone, ...), ROUNDS windows each, pooled: this
    # machine's own drift then weighs on both conditions alike.
    outcomes: dict[bool, list[Outcome]] = {False: [], True: []}
    for round_number in range(ROUNDS):
        for attacked in (False, True):
            first = (2 * round_number + attacked) * honest_count
            outcomes[attacked].append(await phase(
                base, admin, honest_count, seconds / ROUNDS, attackers if attacked else [], first
            ))  # fmt: skip
    return pooled(outcomes[False]), pooled(outcomes[True])


def pooled(runs: list[Outcome]) -> Outcome:
    """Several windows of one condition as one."""
    tally, watch, worst = Tally(), Watch(), (0.0, "")
    for one, seen, slowest in runs:
        for kind, values in one.latency.items():
            tally.latency[kind].extend(values)
        for kind, count in one.errors.items():
            tally.errors[kind] += count
        tally.refused += one.refused
        tally.retried += one.retried
        tally.examples.extend(one.examples)
        watch.lag_ms = max(watch.lag_ms, seen.lag_ms)
        watch.generator_lag_ms = max(watch.generator_lag_ms, seen.generator_lag_ms)
        watch.used_max = max(watch.used_max, seen.used_max)
        watch.maxmemory = seen.maxmemory
        watch.states |= seen.states
        for status, count in seen.attackers.items():
            watch.attackers[status] += count
        worst = max(worst, slowest)
    return tally, watch, worst


def bench(honest_count: int, seconds: float, attackers: list[str]) -> list[str]:
    """Start Redis and the site, run both phases, and report them."""
    with embedded_style(Settings()) as (users, socket_path):
        admin = bench_admin(users, socket_path)
        admin.config_set("slowlog-log-slower-than", 1000)  # every command over 1 ms
        admin.config_set("slowlog-max-len", 100_000)
        port = free_port()
        env = {
            **os.environ,
            "TRYREDIS_REDIS_URL": socket_url(users.site_user, users.site_password, socket_path),
            "TRYREDIS_SANDBOX_REDIS_URL": socket_url(
                users.sandbox_user, users.sandbox_password, socket_path
            ),
            "TRYREDIS_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "TRYREDIS_LOG_LEVEL": "warning",
        }
        command = [sys.executable, "-m", "tryredis.cli", "serve", "--port", str(port)]
        site = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            alone, attacked = asyncio.run(
                phases(f"http://127.0.0.1:{port}", admin, honest_count, seconds, attackers)
            )
        finally:
            site.terminate()
            site.wait(20)
    header = [
        f"Machine: {machine()}.",
        "",
        "| phase | request | count | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    body = summary("alone", *alone) + summary("attacked", *attacked)
    ratios = []
    for kind in ("command", "page", "check"):
        before = max(pct(alone[0].latency[kind], 0.99, 0.0), 0.001)
        ratios.append(f"{kind} {pct(attacked[0].latency[kind], 0.99, 0.0) / before:.2f}x")
    notes = [f"Examples of what went wrong: {t.examples[:5]}" for t in (alone[0], attacked[0])]
    answered = attacked[1].attackers
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(answered.items()))
    notes.append(
        f"The attackers' requests (nice {NICE['value']}, polite {POLITE['on']}): "
        f"{sum(answered.values())} in {seconds:g} s, {statuses}."
    )
    return [*header, *body, "", "p99 attacked/alone: " + "; ".join(ratios) + ".", *notes]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--honest", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--attackers", default="glob,reply,flood", help="which attackers run")
    parser.add_argument("--polite", action="store_true", help="attackers obey Retry-After")
    parser.add_argument(
        "--attacker-nice", type=int, default=19, help="the attackers' CPU priority (0: as ours)"
    )
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    options = parser.parse_args()
    POLITE["on"] = options.polite
    NICE["value"] = options.attacker_nice
    lines = bench(options.honest, options.seconds, options.attackers.split(","))
    text = "\n".join(lines)
    print(text)
    if options.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write(f"\n### bench/abuse.py ({options.honest} honest, "
                          f"{options.seconds:g} s a phase)\n\n{text}\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
