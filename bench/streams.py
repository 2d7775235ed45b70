"""300 SUBSCRIBE streams on one worker: does every PUBLISH arrive within 100 ms (p99)?

Starts the real ``tryredis --workers 1`` with its embedded Redis, makes one learner
per stream (``POST /api/v1/sessions``, bearer tokens), and opens every learner's
``GET /repl/subscribe?line=SUBSCRIBE ch`` at once: one server-sent event stream
each, all on the one worker. A learner can subscribe only to their own channels
(the sandbox prefixes them), so each learner then PUBLISHes into their own ``ch``
through the REPL API (``POST /api/v1/run``), a message every ``--publish-every``
seconds on average, each carrying its send time; the stream's reader times it from
the moment the PUBLISH was sent to the moment its event is read. At the end every
learner publishes once within the same second (a burst).

One process holds the 300 streams (asyncio and httpx, one shared connection pool),
on the same 2 cores as the site: its latency is in the numbers. Settings raised for
the run, because one machine stands for 300 browsers behind one address:
``TRYREDIS_SUBSCRIPTIONS_PER_WORKER`` (64 by default) to streams + 16, the address's
rate limits and new sessions per hour (bench/classroom.py's ``start_site``), and any
per-address subscription cap the site has (named in the report).

    uv run python bench/streams.py --streams 300 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom import SITE_URL, find_site_url, start_site, wait_ready  # noqa: E402
from bench.helpers import free_port, git_head, machine_line, pct  # noqa: E402
from bench.school import stop_site  # noqa: E402
from bench.school_probes import cpu_seconds, rss_mb, worker_pids  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

STAMP = re.compile(r"t(\d{10}\.\d+)")
LINE = "SUBSCRIBE " + "ch"


@dataclass
class Stats:
    opened: list[float] = field(default_factory=list)  # ms, request to "Reading messages..."
    steady: list[float] = field(default_factory=list)  # ms, PUBLISH sent to event read
    burst: list[float] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=lambda: {"steady": 0, "burst": 0})
    answered: dict[str, list[float]] = field(default_factory=lambda: {"steady": [], "burst": []})
    no_receiver: int = 0  # PUBLISH answered (integer) 0: the stream was not subscribed
    errors: list[str] = field(default_factory=list)
    ended_early: int = 0
    phase: str = "steady"


async def stream(http: httpx.AsyncClient, token: str, stats: Stats, ready: asyncio.Event,
                 stop: asyncio.Event) -> None:  # fmt: skip
    headers = {"authorization": f"Bearer {token}"}
    started = time.monotonic()
    try:
        async with http.stream("GET", f"/repl/subscribe?line={quote(LINE)}", headers=headers,
                               timeout=httpx.Timeout(30, read=60)) as answer:  # fmt: skip
            if answer.status_code != 200:
                stats.errors.append(
                    f"subscribe {answer.status_code} {(await answer.aread())[:80]!r}"
                )
                ready.set()
                return
            async for line in answer.aiter_lines():
                if not ready.is_set() and line.startswith('data: 1) "subscribe"'):
                    stats.opened.append((time.monotonic() - started) * 1000)
                    ready.set()
                stamp = STAMP.search(line)
                if stamp:
                    latency = (time.time() - float(stamp[1])) * 1000
                    (stats.burst if stats.phase == "burst" else stats.steady).append(latency)
                if line.startswith("event: end") and not stop.is_set():
                    stats.ended_early += 1
            if not stop.is_set():
                stats.ended_early += 1
    except httpx.HTTPError as error:
        if not stop.is_set():
            stats.errors.append(f"stream {type(error).__name__}")
    finally:
        ready.set()


async def publish(http: httpx.AsyncClient, token: str, stats: Stats, phase: str) -> None:
    sent = time.time()
    body = {"line": f"PUBLISH ch t{sent:.6f}"}
    try:
        answer = await http.post("/api/v1/run", json=body,
                                 headers={"authorization": f"Bearer {token}"})  # fmt: skip
        stats.answered[phase].append((time.time() - sent) * 1000)
    except httpx.HTTPError as error:
        stats.errors.append(f"publish {type(error).__name__}")
        return
    if answer.status_code != 200:
        stats.errors.append(f"publish {answer.status_code} {answer.text[:80]}")
        return
    stats.published[phase] += 1
    if answer.json()["results"][0]["output"] != "(integer) 1":
        stats.no_receiver += 1


async def publisher(http: httpx.AsyncClient, token: str, stats: Stats, every: float,
                    until: float) -> None:  # fmt: skip
    await asyncio.sleep(random.uniform(0, every))
    while time.monotonic() < until:
        await publish(http, token, stats, "steady")
        await asyncio.sleep(random.uniform(0.5 * every, 1.5 * every))


def raised_caps(streams: int) -> dict[str, str]:
    """The per-worker cap, and any per-address subscription cap this version of the site has."""
    names = {f.name for f in dataclasses.fields(Settings)}
    caps = {"TRYREDIS_SUBSCRIPTIONS_PER_WORKER": str(streams + 16)}
    for name in sorted(names):
        if "subscri" in name and ("address" in name or "per_ip" in name):
            caps[f"TRYREDIS_{name.upper()}"] = str(streams + 16)
    return caps


def redis_clients() -> int | None:
    with contextlib.suppress(redis.RedisError, OSError):
        client = redis.Redis.from_url(SITE_URL[0], socket_timeout=2)
        clients = int(client.info("clients")["connected_clients"])
        client.close()
        return clients
    return None


async def measure(args: argparse.Namespace, caps: dict[str, str]) -> tuple[Stats, dict[str, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run_dir = Path(tempfile.mkdtemp(prefix="tryredis-streams-"))
    log = open(run_dir / "site.log", "wb")  # noqa: SIM115, ASYNC230
    site = start_site(port, 1, {**caps, "TRYREDIS_LOG_LEVEL": "warning"}, stdout=log,
                      stderr=subprocess.STDOUT)  # fmt: skip
    stats = Stats()
    facts: dict[str, str] = {"run directory": str(run_dir)}
    limits = httpx.Limits(max_connections=args.streams + 200, max_keepalive_connections=200)
    try:
        await wait_ready(base, time.monotonic() + 180)
        SITE_URL[0] = find_site_url(site.pid)
        (worker,) = worker_pids(site.pid) or [site.pid]
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
            tokens = []
            for _ in range(args.streams):
                made = await http.post("/api/v1/sessions", json={})
                made.raise_for_status()
                tokens.append(made.json()["token"])
            facts["Redis clients before the streams"] = str(redis_clients())
            stop = asyncio.Event()
            readies = [asyncio.Event() for _ in tokens]
            cpu_before = cpu_seconds(worker)
            opened_at = time.monotonic()
            readers = [asyncio.create_task(stream(http, t, stats, r, stop))
                       for t, r in zip(tokens, readies, strict=True)]  # fmt: skip
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
            facts["all streams open after"] = f"{time.monotonic() - opened_at:.2f} s"
            facts["Redis clients with the streams open"] = str(redis_clients())
            facts["worker RSS with the streams open"] = f"{rss_mb(worker) or 0:.0f} MB"
            until = time.monotonic() + args.seconds
            steady_start = time.monotonic()
            await asyncio.gather(*(publisher(http, t, stats, args.publish_every, until)
                                   for t in tokens))  # fmt: skip
            await asyncio.sleep(1)  # the last steady messages
            steady_cpu = cpu_seconds(worker) - cpu_before
            facts["worker CPU during the steady phase"] = (
                f"{steady_cpu:.1f} s over {time.monotonic() - steady_start:.0f} s"
            )
            stats.phase = "burst"

            async def burst_one(token: str) -> None:
                await asyncio.sleep(random.uniform(0, 1))
                await publish(http, token, stats, "burst")

            await asyncio.gather(*(burst_one(t) for t in tokens))
            await asyncio.sleep(2)
            facts["worker RSS at the end"] = f"{rss_mb(worker) or 0:.0f} MB"
            facts["load average (1 min) at the end"] = f"{os.getloadavg()[0]:.2f}"
            stop.set()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    finally:
        stop_site(site)
        log.close()
    return stats, facts


def report(args: argparse.Namespace, stats: Stats, facts: dict[str, str], caps: dict[str, str],
           loads: list[float]) -> str:  # fmt: skip
    lines = [
        f"#### {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `bench/streams.py "
        f"--streams {args.streams} --seconds {args.seconds:g} --publish-every "
        f"{args.publish_every:g}`",
        "",
        f"{machine_line(f'httpx {httpx.__version__}')}; commit {git_head()}; load average "
        f"(1 min) during the run: min {min(loads):.2f}, max {max(loads):.2f}. Raised for the run: "
        + ", ".join(f"`{k}={v}`" for k, v in caps.items())
        + ".",
        "",
        "| measure | count | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in [("stream open (request -> subscribed)", stats.opened),
                         ("message, steady (PUBLISH sent -> event read)", stats.steady),
                         ("message, burst (all learners within 1 s)", stats.burst),
                         ("PUBLISH answered, steady (POST /api/v1/run)", stats.answered["steady"]),
                         ("PUBLISH answered, burst", stats.answered["burst"])]:  # fmt: skip
        worst = max(values, default=0)
        lines.append(f"| {name} | {len(values)} | {pct(values, 0.5):.1f} | "
                     f"{pct(values, 0.99):.1f} | {worst:.1f} |")  # fmt: skip
    published = stats.published["steady"] + stats.published["burst"]
    delivered = len(stats.steady) + len(stats.burst)
    lines += [
        "",
        f"Streams: {args.streams}, opened {len(stats.opened)}, ended early {stats.ended_early}. "
        f"Published {published}, delivered {delivered}; PUBLISH with no receiver "
        f"{stats.no_receiver}. Errors: {len(stats.errors)}"
        + (f" ({'; '.join(sorted(set(stats.errors))[:6])})" if stats.errors else "")
        + ".",
        "",
        *(f"- {k}: {v}" for k, v in facts.items() if k != "run directory"),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--publish-every", type=float, default=5.0,
                        help="mean seconds between one learner's PUBLISHes")  # fmt: skip
    args = parser.parse_args()
    caps = raised_caps(args.streams)
    loads: list[float] = []

    async def run() -> tuple[Stats, dict[str, str]]:
        async def sample() -> None:
            while True:
                loads.append(os.getloadavg()[0])
                await asyncio.sleep(5)

        sampler = asyncio.create_task(sample())
        try:
            return await measure(args, caps)
        finally:
            sampler.cancel()

    stats, facts = asyncio.run(run())
    print(report(args, stats, facts, caps, loads))
    print(f"(run directory: {facts['run directory']})", file=sys.stderr)
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
