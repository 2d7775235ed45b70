"""The executor: the RESP packer and typed parser, pools, and connection hygiene."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.fake_resp_server import encode_resp
from tests.support.redis_servers import RedisServer
from tryredis.wire import (
    ErrorReply,
    Executor,
    ExecutorError,
    Reply,
    Status,
    make_pool,
    pack,
    parse_reply,
    read_segments,
)

ON_SESSION_LOOP = pytest.mark.asyncio(loop_scope="session")

TEXT = st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b)
LEAVES = st.one_of(
    st.builds(Status, TEXT),
    st.builds(ErrorReply, TEXT),
    st.binary(max_size=300),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.none(),
)
REPLIES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=8), max_leaves=40)


def same(a: Reply, b: Reply) -> bool:
    """Equal, and of the same RESP type all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=300, deadline=None)
@given(replies=st.lists(REPLIES, min_size=1, max_size=5), chunk=st.integers(1, 64))
def test_parser_round_trips_typed_replies_in_any_chunking(replies: list[Reply], chunk: int) -> None:
    data = b"".join(encode_resp(reply) for reply in replies)

    async def feed_and_read() -> list[Reply]:
        reader = asyncio.StreamReader()

        async def feed() -> None:
            for start in range(0, len(data), chunk):
                reader.feed_data(data[start : start + chunk])
                await asyncio.sleep(0)

        feeder = asyncio.ensure_future(feed())
        (parsed,) = await read_segments(reader, [(len(replies), None)])
        await feeder
        return parsed

    parsed = asyncio.run(feed_and_read())
    assert all(same(a, b) for a, b in zip(parsed, replies, strict=True))


@given(
    st.lists(
        st.lists(
            st.one_of(
                st.binary(max_size=20),
                st.binary(min_size=1020, max_size=1030),  # past the packer's header table
                st.text(max_size=10),
                st.integers(),
            ),
            min_size=1,
            max_size=70,  # past 63 arguments too
        ),
        min_size=1,
        max_size=4,
    )
)
def test_pack_encodes_each_command_as_an_array_of_bulk_strings(
    commands: list[list[bytes | str | int]],
) -> None:
    data, pos = pack(commands), 0
    for command in commands:
        parsed, pos = parse_reply(data, pos)
        expected = [
            a.encode() if isinstance(a, str) else b"%d" % a if isinstance(a, int) else a
            for a in command
        ]
        assert parsed == expected
    assert pos == len(data)


@ON_SESSION_LOOP
async def test_typed_replies_from_a_real_server(redis_server: RedisServer) -> None:
    executor = Executor(make_pool(redis_server.url, size=2, socket_timeout=2))
    try:
        replies = await executor.run(
            [
                (b"SET", b"ex:k", b"OK"),
                (b"GET", b"ex:k"),
                (b"NOPE",),
                (b"GET", b"ex:nothing"),
                (b"ECHO", b"\x00\r\n\xff"),
                ("ECHO", 42),
            ]
        )
        assert replies[4:] == [b"\x00\r\n\xff", b"42"]
        assert isinstance(replies[0], Status) and replies[0] == b"OK"
        assert type(replies[1]) is bytes and replies[1] == b"OK"
        assert isinstance(replies[2], ErrorReply) and replies[2].code == b"ERR"
        assert replies[3] is None
    finally:
        await executor.close()


@ON_SESSION_LOOP
async def test_a_dead_server_is_an_executor_error(fresh_redis: RedisServer) -> None:
    executor = Executor(make_pool(fresh_redis.url, size=1, socket_timeout=1))
    assert await executor.run([(b"PING",)]) == [b"PONG"]
    fresh_redis.stop()
    with pytest.raises(ExecutorError) as caught:
        await executor.run([(b"PING",)])
    assert caught.value.message == "Redis is unreachable right now."
    await executor.close()


@ON_SESSION_LOOP
async def test_a_watch_left_open_never_returns_to_the_pool(redis_server: RedisServer) -> None:
    executor = Executor(make_pool(redis_server.url, size=1, socket_timeout=2))
    try:
        async with executor.hold() as held:
            (first_id, _) = await held.run([(b"CLIENT", b"ID"), (b"WATCH", b"ex:w")])
        # The same (only) slot now gives a new connection: the watching one was closed.
        (second_id,) = await executor.run([(b"CLIENT", b"ID")])
        assert isinstance(first_id, int) and isinstance(second_id, int)
        assert second_id != first_id
        (listing,) = await executor.run([(b"CLIENT", b"LIST")])
        assert isinstance(listing, bytes)
        assert b"id=%d " % first_id not in listing
    finally:
        await executor.close()


@ON_SESSION_LOOP
async def test_pool_exhaustion_is_a_clear_error(redis_server: RedisServer) -> None:
    executor = Executor(make_pool(redis_server.url, size=1, socket_timeout=2, wait=0.1))
    try:
        async with executor.hold():
            with pytest.raises(ExecutorError) as caught:
                await executor.run([(b"PING",)])
        assert "busy" in caught.value.message
        assert await executor.run([(b"PING",)]) == [b"PONG"]
    finally:
        await executor.close()
