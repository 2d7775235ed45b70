"""bench/abuse.py's attackers: worker CPU (globs), replies and Redis time, and a flood.

``attack`` runs the chosen ones in a process of their own (see its docstring).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx

from bench.abuse_clients import ANSWERED, POLITE, Client


async def forever(until: float, attack: Any) -> None:
    """Run one attack move after another; an attacker's own errors and 429s are its loss."""
    while time.monotonic() < until:
        try:
            await attack()
        except (httpx.HTTPError, KeyError, ValueError):
            await asyncio.sleep(0.05)


async def glob_attacker(base: str, until: float) -> None:
    """Worker CPU: long key names and the worst glob patterns within the length cap."""
    client = Client(base, "203.0.113.1")
    await client.page()
    names = [f"k{i}:" + "ab" * 1900 for i in range(200)]
    for i in range(0, len(names), 10):
        await client.run([f"SET {name} v" for name in names[i : i + 10]])
    patterns = [
        "*" + "[a-b]*" * 20, "*a*b*a*b*a*b*a*b*a*b*a*b*a*b*a*b*a*b*a*b*a*b*x",
        "*[^a][^b]*" * 10, "k*" + "?" * 100,
    ]  # fmt: skip

    async def move() -> None:
        lines = [f"KEYS {p}" for p in patterns] + [f"SCAN 0 MATCH {p} COUNT 1000" for p in patterns]
        response = await client.run(lines)
        if response.status_code == 429:
            await client.page()  # a fresh sandbox when the bucket is empty: the address pays
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))

    await forever(until, move)


async def reply_attacker(base: str, until: float) -> None:
    """Replies and Redis time: amplified MGET, big sets scanned and stored."""
    client = Client(base, "203.0.113.2")
    await client.page()
    await client.run(["SETRANGE k 65535 x"])
    members = " ".join("m" * 200 + str(i) for i in range(60))
    await client.run([f"SADD s{j} {members}" for j in range(4)])

    async def move() -> None:
        lines = ["MGET " + " ".join(["k"] * 63)] * 10 + [
            "SSCAN s0 0 MATCH *[a-z]*9* COUNT 1000", "SUNIONSTORE u s0 s1 s2 s3",
            "SINTERSTORE i s0 s1", "SORT s0 ALPHA", "GETRANGE k 0 -1", "LCS k k",
        ]  # fmt: skip
        response = await client.run(lines)
        if response.status_code == 429:
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))

    await forever(until, move)


async def flood_attacker(base: str, until: float) -> None:
    """Memory, pools and shares: new sandboxes filled to the quota, blocking, streams."""
    fill = [f"SETRANGE f{i} 65535 x" for i in range(15)]

    async def new_sandbox() -> None:
        client = Client(base, "203.0.113.3")
        try:
            await client.page()
            await client.run(fill)
        finally:
            await client.http.aclose()

    async def blocker() -> None:
        client = Client(base, "203.0.113.3")
        await client.page()
        await client.run(["BLPOP q 10"])
        await client.http.aclose()

    async def streamer() -> None:
        client = Client(base, "203.0.113.3")
        await client.page()
        async with client.http.stream("GET", "/repl/subscribe?line=SUBSCRIBE%20c") as r:
            async for _ in r.aiter_bytes():
                break  # gone at once, as the stream that kept its marker
        await client.http.aclose()

    async def move() -> None:
        await asyncio.gather(
            *(new_sandbox() for _ in range(4)), *(blocker() for _ in range(4)), streamer(),
            return_exceptions=True,
        )  # fmt: skip

    await forever(until, move)


ATTACKERS = {"glob": glob_attacker, "reply": reply_attacker, "flood": flood_attacker}


def attack(
    base: str,
    seconds: float,
    attackers: list[str],
    polite: bool,
    nice: int,
    ready: Any,
    go: Any,
    out: Any,
) -> None:
    """One window's attackers, in a process of their own, from ``go`` for ``seconds``.

    At the lowest CPU priority: real attackers' clients run on their own machines, so
    their client-side work (parsing replies of up to 1 MiB, hundreds of requests a
    second) must not take this 2-core machine's CPU from the site, its Redis
    or the honest learners' generator. The responses they got are sent back on ``out``,
    so the report shows how hard they attacked."""
    os.nice(nice)
    POLITE["on"] = polite
    ready.set()  # imported (the spawned process ran this module's top level)
    go.wait()

    async def main() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(ATTACKERS[name](base, until) for name in attackers))

    asyncio.run(main())
    out.put(dict(ANSWERED))
