"""The coalescer: concurrent callers' batches share round trips, each gets its own replies."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.redis_servers import RedisServer
from tryredis.wire import (
    Coalescer,
    CoalescingExecutor,
    ErrorReply,
    Executor,
    ExecutorError,
    make_pool,
)

ON_SESSION_LOOP = pytest.mark.asyncio(loop_scope="session")


async def on_the_wire(front: Coalescer, round_trips: int) -> None:
    """Yield to the loop until ``round_trips`` flushes have gone out (batches queued in one
    loop step share a flush, so a batch meant to queue behind another waits for this)."""
    for _ in range(100):
        if front.round_trips >= round_trips:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{front.round_trips} round trips, expected {round_trips}")


def coalescer(server: RedisServer, *, flushes: int = 1, wait: float = 2.0) -> Coalescer:
    """A coalescer on a small pool of the test's own server."""
    return Coalescer(
        Executor(make_pool(server.url, size=4, socket_timeout=5, wait=wait)), flushes=flushes
    )


@ON_SESSION_LOOP
async def test_concurrent_batches_share_round_trips_and_keep_their_own_replies(
    redis_server: RedisServer,
) -> None:
    front = coalescer(redis_server)
    prefix = f"test:coalesce:{secrets.token_hex(4)}:"

    async def caller(number: int) -> list[object]:
        key = f"{prefix}{number}"
        # An error reply in the middle of a batch stays that batch's own.
        replies = await front.run([("SET", key, number), ("INCR", key, "x"), ("INCR", key)])
        return list(replies)

    try:
        results = await asyncio.gather(*(caller(n) for n in range(60)))
        for number, (set_reply, wrong, incremented) in enumerate(results):
            assert set_reply == b"OK"
            assert isinstance(wrong, ErrorReply) and wrong.startswith(b"ERR wrong number")
            assert incremented == number + 1
        # 60 batches made in one loop step: they share one round trip.
        assert front.round_trips == 1, front.round_trips
        await front.run([("DEL", *(f"{prefix}{n}" for n in range(60)))])
    finally:
        await front.close()


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 40), min_size=1, max_size=30))
def test_any_mix_of_batch_sizes_gets_each_batch_its_replies(
    redis_server: RedisServer, sizes: list[int]
) -> None:
    async def run() -> None:
        front = coalescer(redis_server, flushes=2)
        try:
            answers = await asyncio.gather(
                *(
                    front.run([("ECHO", f"{i}:{j}") for j in range(size)])
                    for i, size in enumerate(sizes)
                )
            )
        finally:
            await front.close()
        for i, (size, replies) in enumerate(zip(sizes, answers, strict=True)):
            assert replies == [f"{i}:{j}".encode() for j in range(size)]

    asyncio.run(run())


@ON_SESSION_LOOP
async def test_a_cancelled_callers_queued_batch_is_never_sent(redis_server: RedisServer) -> None:
    front = coalescer(redis_server)
    key = f"test:coalesce:{secrets.token_hex(4)}"
    try:
        # The one round trip allowed is held by a blocking pop, so the INCR queues.
        holder = asyncio.create_task(front.run([("BLPOP", f"{key}:none", "0.3")]))
        await on_the_wire(front, 1)
        queued = asyncio.create_task(front.run([("INCR", key)]))
        await asyncio.sleep(0)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        assert await holder == [None]
        assert await front.run([("EXISTS", key)]) == [0]
    finally:
        await front.close()


@ON_SESSION_LOOP
async def test_a_batch_queued_longer_than_the_pool_wait_is_told_busy(
    redis_server: RedisServer,
) -> None:
    front = coalescer(redis_server, wait=0.05)
    key = f"test:coalesce:{secrets.token_hex(4)}"
    try:
        holder = asyncio.create_task(front.run([("BLPOP", f"{key}:none", "0.3")]))
        await on_the_wire(front, 1)
        with pytest.raises(ExecutorError) as refused:
            await front.run([("INCR", key)])
        assert refused.value.busy and not refused.value.maybe_ran
        assert await holder == [None]
        assert await front.run([("EXISTS", key)]) == [0]  # the refused batch never ran
    finally:
        await front.close()


@ON_SESSION_LOOP
async def test_a_lost_connection_fails_every_batch_of_its_flush(fresh_redis: RedisServer) -> None:
    front = coalescer(fresh_redis)
    try:
        holder = asyncio.create_task(front.run([("BLPOP", "test:none", "5")]))
        await on_the_wire(front, 1)
        queued = [asyncio.create_task(front.run([("PING",)])) for _ in range(3)]
        await asyncio.sleep(0)
        fresh_redis.stop()  # the server goes away under the round trip on the wire
        for task in (holder, *queued):
            with pytest.raises(ExecutorError):
                await task
    finally:
        await front.close()


@ON_SESSION_LOOP
async def test_each_batch_is_read_within_its_own_limit_wherever_it_is_in_a_flush(
    redis_server: RedisServer,
) -> None:
    front = coalescer(redis_server)
    key = f"test:coalesce:{secrets.token_hex(4)}"
    try:
        await front.run([("SET", key, "x" * 10_000)])
        # One loop step, so one flush: a big unlimited reply, one over its own limit, then one
        # that was sent behind it; and a small limit before a big reply is not charged for it.
        outcomes = await asyncio.gather(
            front.run([("ECHO", "a" * 20_000)]),
            front.run([("ECHO", "b")], max_bytes=50),
            front.run([("GET", key)]),
            front.run([("GET", key)], max_bytes=1_000),
            front.run([("ECHO", "after")], max_bytes=100),
            return_exceptions=True,
        )
        assert front.round_trips == 2  # the SET, then the five batches together
        assert list(outcomes[:3]) == [[b"a" * 20_000], [b"b"], [b"x" * 10_000]]
        cut, after = outcomes[3], outcomes[4]
        assert isinstance(cut, ExecutorError) and "longer than 1000 bytes" in cut.message
        assert not cut.maybe_ran  # it did run: the message says so, and no retry is offered
        assert isinstance(after, ExecutorError) and after.maybe_ran
        assert await front.run([("ECHO", "next")], max_bytes=100) == [b"next"]  # a new connection
    finally:
        await front.run([("DEL", key)])
        await front.close()


@ON_SESSION_LOOP
async def test_transactions_of_many_callers_share_a_flush_and_a_watch_never_does(
    redis_server: RedisServer,
) -> None:
    executor = CoalescingExecutor(
        Executor(make_pool(redis_server.url, size=4, socket_timeout=5, wait=2.0)), flushes=1
    )
    prefix = f"test:coalesce:{secrets.token_hex(4)}:"
    try:

        def transaction(key: str) -> list[tuple[str, ...]]:
            return [("MULTI",), ("INCR", key), ("INCR", key), ("EXEC",)]

        outcomes = await asyncio.gather(
            *(executor.run(transaction(f"{prefix}{n}")) for n in range(20))
        )
        assert all(replies[-1] == [1, 2] for replies in outcomes)
        assert executor.coalescer.round_trips == 1
        # A WATCH changes what the connection's next EXEC does: it goes on a connection alone.
        watched = await executor.run([("WATCH", f"{prefix}0"), ("UNWATCH",)])
        assert watched == [b"OK", b"OK"]
        assert executor.coalescer.round_trips == 1
        await executor.run([("DEL", *(f"{prefix}{n}" for n in range(20)))])
    finally:
        await executor.close()


@ON_SESSION_LOOP
async def test_a_flush_expects_at_most_a_mebibyte_of_replies(redis_server: RedisServer) -> None:
    front = coalescer(redis_server)
    try:
        # 40 batches that each may take 60 KB: 17 fit in a flush's 1 MiB, so 3 flushes.
        await asyncio.gather(*(front.run([("PING",)], expected=60_000) for _ in range(40)))
        assert front.round_trips == 3
    finally:
        await front.close()


@ON_SESSION_LOOP
async def test_big_replies_of_many_callers_never_share_a_clients_output_buffer(
    fresh_redis: RedisServer,
) -> None:
    executor = CoalescingExecutor(
        Executor(make_pool(fresh_redis.url, size=16, socket_timeout=10, wait=5.0))
    )
    key = "test:coalesce:big"
    try:
        # As the embedded Redis is configured: a client whose replies pass 4 MB is cut.
        await executor.run([("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 1mb 10")])
        await executor.run([("SETRANGE", key, 400_000, "x")])
        # Twelve callers read 400 KB each at once: in one pipeline that is 4.8 MB of replies
        # on one connection, and Redis would cut it, failing every one of them.
        replies = await asyncio.gather(
            *(executor.run([("GET", key)], max_bytes=600_000, expected=400_100) for _ in range(12))
        )
        assert all(len(reply[0]) == 400_001 for reply in replies)  # type: ignore[arg-type]
        assert executor.coalescer.round_trips == 2  # the CONFIG SET, then the SETRANGE
    finally:
        await executor.close()
