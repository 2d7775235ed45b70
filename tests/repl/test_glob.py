"""The glob matcher against Redis itself and against a line-by-line port of stringmatchlen.

The port below is the recursive, backtracking algorithm of Redis 7.0's util.c;
the site's matcher is a linear-time automaton. They must agree on every pattern
and string, and both must agree with ``KEYS`` on a real server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.redis_servers import RedisServer, running_redis
from tryredis.repl.emulated import matching
from tryredis.repl.glob import Glob, compile_glob, glob_match
from tryredis.settings import Settings

_STAR, _QUESTION, _OPEN, _CLOSE, _CARET, _BACKSLASH, _DASH = b"*?[]^\\-"


def _signed(byte: int) -> int:
    # Redis compares `char` values, which are signed on x86/ARM Linux builds.
    return byte - 256 if byte >= 128 else byte


def reference_match(pattern: bytes, string: bytes) -> bool:
    """stringmatchlen() line for line (recursive, backtracking): the oracle."""
    return _match(pattern, 0, string, 0, [False], 0)


def _match(pat: bytes, p: int, s: bytes, i: int, skip_longer: list[bool], nesting: int) -> bool:
    plen, slen = len(pat), len(s)

    def at(index: int) -> int:  # the pattern is NUL-terminated in C
        return pat[index] if index < plen else 0

    if nesting > 1000:
        return False
    while p < plen and i < slen:
        char = pat[p]
        if char == _STAR:
            while p < plen and at(p + 1) == _STAR:
                p += 1
            if plen - p == 1:
                return True
            while i < slen:
                if _match(pat, p + 1, s, i, skip_longer, nesting + 1):
                    return True
                if skip_longer[0]:
                    return False
                i += 1
            skip_longer[0] = True
            return False
        if char == _QUESTION:
            i += 1
        elif char == _OPEN:
            p += 1
            negate = at(p) == _CARET
            if negate:
                p += 1
            matched = False
            while True:
                if at(p) == _BACKSLASH and plen - p >= 2:
                    p += 1
                    if at(p) == s[i]:
                        matched = True
                elif at(p) == _CLOSE:
                    break
                elif p >= plen:
                    p -= 1
                    break
                elif plen - p >= 3 and at(p + 1) == _DASH:
                    start, end = _signed(at(p)), _signed(at(p + 2))
                    if start > end:
                        start, end = end, start
                    p += 2
                    if start <= _signed(s[i]) <= end:
                        matched = True
                elif at(p) == s[i]:
                    matched = True
                p += 1
            if negate:
                matched = not matched
            if not matched:
                return False
            i += 1
        else:
            if char == _BACKSLASH and plen - p >= 2:
                p += 1
            if at(p) != s[i]:
                return False
            i += 1
        p += 1
        if i == slen:
            while p < plen and pat[p] == _STAR:
                p += 1
            break
    return p >= plen and i == slen


# Bytes that make patterns interesting: metacharacters, their neighbours, high bytes.
ALPHABET = st.sampled_from(list(b"ab*?[]^-\\\x00\x7f\x80\xff"))
PATTERNS = st.lists(ALPHABET, max_size=12).map(bytes)
STRINGS = st.lists(st.sampled_from(list(b"ab[]^-*?\\\x00\x80\xff")), max_size=10).map(bytes)


@given(PATTERNS, STRINGS)
@settings(max_examples=1500, deadline=None)
def test_agrees_with_stringmatchlen(pattern: bytes, string: bytes) -> None:
    if string == b"" and pattern == b"*":
        return  # KEYS and SCAN never call stringmatchlen for "*" (see below)
    assert glob_match(pattern, string) == reference_match(pattern, string)


@pytest.fixture(scope="module")
def keyspace() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


NAMES = st.lists(STRINGS, min_size=1, max_size=12, unique=True)


@given(PATTERNS, NAMES)
@settings(max_examples=150, deadline=None)
def test_agrees_with_keys_on_a_real_server(
    keyspace: RedisServer, pattern: bytes, names: list[bytes]
) -> None:
    client = keyspace.client()
    client.flushall()
    client.mset(dict.fromkeys(names, b"1"))
    listed = set(client.keys(pattern))
    assert listed == {name for name in names if glob_match(pattern, name)}, pattern


def test_a_lone_star_lists_even_the_empty_name(keyspace: RedisServer) -> None:
    client = keyspace.client()
    client.flushall()
    client.mset({b"": b"1", b"a": b"1"})
    assert set(client.keys("*")) == {b"", b"a"}
    assert glob_match(b"*", b"") and not glob_match(b"**", b"")
    assert set(client.keys("**")) == {b"a"}


def test_matching_costs_one_step_per_byte_whatever_the_pattern() -> None:
    # The pattern that froze the old matcher for 36 s: nested classes between stars.
    evil = (b"*[a-z[][^a]" * 10)[:128]
    name = b"a" * 4096
    glob = compile_glob(evil)
    assert isinstance(glob, Glob) and not glob.matches(name)
    assert Glob.cost(name) == 4097


def test_matching_lets_others_run_about_every_millisecond() -> None:
    # bench/abuse.py on 7edc240: the glob attacker's requests took ~100 ms of the worker
    # each, in chunks of 16 KiB of names, 3 to 4.5 ms each on an idle machine and up to
    # 10 ms on the busy one; an honest command's five to eleven awaits each waited behind
    # one (p99 70 ms against 13.5 alone). The default is 4 KiB (0.8 to 1.1 ms here).
    chunk = Settings().match_chunk_bytes
    keys, name_bytes = 254, 4000  # tests/abuse/test_cpu.py's sandbox of long names
    names = [f"{i:03d}".encode() + b"a" * (name_bytes - 3) for i in range(keys)]
    glob = compile_glob((("*[a-z[][^a]" * 10)[:128]).encode())

    async def main() -> tuple[int, float]:
        turns, worst = 0, 0.0
        matched = asyncio.ensure_future(matching(glob, names, chunk))
        while not matched.done():
            start = time.perf_counter()
            await asyncio.sleep(0)  # queued behind each chunk in turn
            worst = max(worst, time.perf_counter() - start)
            turns += 1
        return turns, worst

    turns, worst = asyncio.run(main())
    total = sum(len(name) + 1 for name in names)
    assert chunk <= 4096
    # Between two of this task's turns the matcher ran one chunk: at most chunk bytes, or
    # one name when a name alone is longer (here each name is a chunk: ~1 ms).
    assert turns >= total // max(chunk, name_bytes + 1), (turns, total)
    print(f"{turns} turns over {total} bytes, worst wait {worst * 1000:.2f} ms")
