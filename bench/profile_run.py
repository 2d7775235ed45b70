"""Where the worker's time goes in one ``POST /api/v1/run``: the app called in process.

Starts an embedded redis-server (the real config and ACL users), builds the app
with rate limits raised, and calls it as an ASGI app directly (no HTTP server,
no client library), ``--concurrency`` learners at a time. Three modes:

* default: the CPU time per request of ``--line``;
* ``--profile``: the same under cProfile, the top functions printed;
* ``--sample``: the same under pyinstrument (sampled, so cheap calls are not
  inflated the way cProfile inflates them), the call tree printed;
* ``--decompose``: interleaved rounds of variants that remove one cost at a time
  (a no-op Starlette endpoint, bench/ceiling.py's one redis-py INCR, the REPL with
  its session touch answered from memory, without the journal, with the command's
  own round trip answered from memory), so that each part's share is measured in
  one run. The stand-ins exist only in this script; they show what a part costs,
  not a way to run the site.

    uv run python bench/profile_run.py [--line "INCR n"] [--profile | --sample | --decompose]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tryredis.app import create_app  # noqa: E402
from tryredis.cli import sandbox_command_names  # noqa: E402
from tryredis.embedded import EmbeddedRedis  # noqa: E402
from tryredis.journal import Journal  # noqa: E402
from tryredis.sessions import SessionStore, Touch  # noqa: E402
from tryredis.settings import Settings  # noqa: E402
from tryredis.wire import CoalescingExecutor, Executor, Reply, Status  # noqa: E402

UNLIMITED = {
    "TRYREDIS_RATE_PER_SECOND": "1000000",
    "TRYREDIS_RATE_BURST": "1000000",
    "TRYREDIS_IP_RATE_PER_SECOND": "1000000",
    "TRYREDIS_IP_RATE_BURST": "1000000",
    "TRYREDIS_SESSIONS_PER_IP_HOUR": "1000000",
}


async def call(app: Any, path: str, body: bytes, token: str = "") -> tuple[int, bytes]:
    """One HTTP request through the ASGI app; (status, body)."""
    headers = [(b"content-type", b"application/json"), (b"host", b"127.0.0.1")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def cpu_per_request(
    app: Any, path: str, body: bytes, tokens: list[str], requests: int, profile: str = ""
) -> float:
    """Run ``requests`` requests, one task per token; the process's CPU µs per request.

    ``profile``: "cprofile" (deterministic, every call) or "pyinstrument" (sampled).
    """
    each = requests // len(tokens)

    async def learner(token: str) -> None:
        for _ in range(each):
            status, answer = await call(app, path, body, token)
            assert status == 200, answer

    profiler = cProfile.Profile() if profile == "cprofile" else None
    sampler = None
    if profile == "pyinstrument":
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0005, async_mode="disabled")
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    if sampler:
        sampler.start()
    await asyncio.gather(*(learner(token) for token in tokens))
    if profiler:
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    if sampler:
        sampler.stop()
        print(sampler.output_text(unicode=True, show_all=False))
    return (time.process_time() - cpu) / (each * len(tokens)) * 1e6


async def noop(request: Request) -> JSONResponse:
    """A JSON body in, a JSON answer out, nothing else."""
    body = json.loads(await request.body())
    return JSONResponse({"value": body.get("key")})


NOOP = Starlette(routes=[Route("/noop", noop, methods=["POST"])])


@contextlib.contextmanager
def stand_ins(parts: set[str]) -> Iterator[None]:
    """Answer the named parts from memory: ``touch``, ``journal``, ``command`` (PING only)."""
    touch, record, run = SessionStore.touch, Journal.record, Executor.run
    shared_run = CoalescingExecutor.run
    touched: dict[str, Touch] = {}

    async def remembered_touch(self: SessionStore, learner: str, address: str, cost: int) -> Touch:
        if learner not in touched:
            touched[learner] = await touch(self, learner, address, cost)
        return touched[learner]

    async def no_record(self: Journal, *args: Any) -> None:
        return None

    async def pong(
        self: Executor, commands: Any, max_bytes: int | None = None, expected: int | None = None
    ) -> list[Reply]:
        if len(commands) == 1 and commands[0][0] == b"PING":
            return [Status(b"PONG")]
        if isinstance(self, CoalescingExecutor):
            return await shared_run(self, commands, max_bytes, expected)
        return await run(self, commands, max_bytes, expected)

    if "touch" in parts:
        SessionStore.touch = remembered_touch  # type: ignore[method-assign,assignment]
    if "journal" in parts:
        Journal.record = no_record  # type: ignore[method-assign,assignment]
    if "command" in parts:
        Executor.run = CoalescingExecutor.run = pong  # type: ignore[method-assign]
    try:
        yield
    finally:
        SessionStore.touch, Journal.record, Executor.run = touch, record, run  # type: ignore[method-assign]
        CoalescingExecutor.run = shared_run  # type: ignore[method-assign]


VARIANTS = [
    # (name, app, line, parts answered from memory)
    ("no-op Starlette endpoint", "noop", "", set()),
    ("ceiling: one redis-py INCR", "ceiling", "", set()),
    ("REPL help incr, no touch/journal", "repl", "help incr", {"touch", "journal"}),
    ("REPL PING, no Redis at all", "repl", "PING", {"touch", "journal", "command"}),
    ("REPL PING, no touch/journal", "repl", "PING", {"touch", "journal"}),
    ("REPL INCR n, no touch/journal", "repl", "INCR n", {"touch", "journal"}),
    ("REPL INCR n, no journal", "repl", "INCR n", {"journal"}),
    ("REPL INCR n", "repl", "INCR n", set()),
]


async def decompose(app: Any, ceiling: Any, tokens: list[str], requests: int, rounds: int) -> None:
    """Interleaved rounds of every variant; print each one's best and median."""
    found: dict[str, list[float]] = {}
    for number in range(rounds):
        for name, target, line, parts in VARIANTS:
            with stand_ins(parts):
                if target == "noop":
                    us = await cpu_per_request(NOOP, "/noop", b'{"key":"x"}', [""] * 16, requests)
                elif target == "ceiling":
                    body = b'{"key":"tryredis:bench"}'
                    us = await cpu_per_request(ceiling, "/ceiling", body, [""] * 16, requests)
                else:
                    body = json.dumps({"line": line}).encode()
                    us = await cpu_per_request(app, "/api/v1/run", body, tokens, requests)
            found.setdefault(name, []).append(us)
            print(f"round {number + 1}: {name:34} {us:6.0f} µs CPU per request", flush=True)
    print(f"\n{len(tokens)} learners at a time, {requests} requests per variant and round:")
    for name, values in found.items():
        values.sort()
        print(f"  {name:34} best {values[0]:6.0f}  median {values[len(values) // 2]:6.0f} µs")


async def session_tokens(app: Any, count: int) -> list[str]:
    """``count`` new sandboxes, each with keys k and n set; their bearer tokens."""
    tokens = []
    for _ in range(count):
        status, answer = await call(app, "/api/v1/sessions", b"{}")
        assert status == 201, answer
        token = json.loads(answer)["token"]
        await call(app, "/api/v1/run", b'{"lines": ["SET k hello", "SET n 0"]}', token)
        tokens.append(token)
    return tokens


def main() -> int:
    """Run the chosen mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--line", default="INCR n")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="for --decompose")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--profile", action="store_true", help="cProfile: every call")
    mode.add_argument("--sample", action="store_true", help="pyinstrument: sampled, less skewed")
    mode.add_argument("--decompose", action="store_true")
    args = parser.parse_args()
    with EmbeddedRedis(Settings.from_env(UNLIMITED), sandbox_command_names()) as redis_server:
        os.environ["BENCH_REDIS_URL"] = redis_server.site_url
        from bench import ceiling

        app = create_app(
            Settings.from_env(
                {
                    **UNLIMITED,
                    "TRYREDIS_REDIS_URL": redis_server.site_url,
                    "TRYREDIS_SANDBOX_REDIS_URL": redis_server.sandbox_url,
                }
            )
        )

        async def run() -> None:
            async with app.router.lifespan_context(app):
                tokens = await session_tokens(app, args.concurrency)
                if args.decompose:
                    await decompose(app, ceiling.app, tokens, args.requests, args.rounds)
                    return
                body = json.dumps({"line": args.line}).encode()
                await cpu_per_request(app, "/api/v1/run", body, tokens, 20 * len(tokens))  # warm
                profile = "cprofile" if args.profile else "pyinstrument" if args.sample else ""
                us = await cpu_per_request(app, "/api/v1/run", body, tokens, args.requests, profile)
                print(f"{args.line!r}, {len(tokens)} at a time: {us:.0f} µs CPU per request")

        try:
            import uvloop

            uvloop.run(run())
        except ImportError:
            asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
