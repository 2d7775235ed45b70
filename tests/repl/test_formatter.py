"""format_reply()/quote_bytes() against the real ``redis-cli --no-raw`` 7.0.

A fake RESP server answers ``PING`` with a chosen RESP2 payload; what
``redis-cli --no-raw -s <socket> PING`` prints (minus its final newline) is the
expected value. redis-cli writes status and error texts as raw bytes; the
formatter decodes them as UTF-8 with ``backslashreplace`` (its one deliberate
difference), so redis-cli's output is decoded the same way before comparing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.fake_resp_server import REDIS_CLI, FakeRespServer, encode_resp, fake_resp_server
from tryredis.repl.formatter import format_reply, quote_bytes
from tryredis.wire import ErrorReply, Reply, Status

requires_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli not installed")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeRespServer]:
    """One fake RESP server for the module (hypothesis needs a non-function scope)."""
    with fake_resp_server() as server:
        yield server


def cli_print(fake: FakeRespServer, payload: bytes) -> str:
    """What redis-cli prints when PING is answered with ``payload`` (minus the last newline)."""
    fake.clear(payload)
    printed = fake.cli(["PING"])
    assert fake.received() == [[b"PING"]], "redis-cli sent something else than PING"
    assert printed.endswith(b"\n"), printed
    return printed[:-1].decode("utf-8", "backslashreplace")


def check(fake: FakeRespServer, reply: Reply, payload: bytes | None = None) -> str:
    """Assert that format_reply() prints ``reply`` as redis-cli does; return the text."""
    expected = cli_print(fake, encode_resp(reply) if payload is None else payload)
    assert format_reply(reply) == expected
    return expected


# --- Explicit examples: the hand-written value is checked, then redis-cli agrees -------------

EXAMPLES: list[tuple[Reply, str]] = [
    (Status(b"OK"), "OK"),
    (Status(b"PONG"), "PONG"),
    (Status(b""), ""),
    (Status("héllo😀".encode()), "héllo😀"),
    (Status(b'a "quoted" \\ word'), 'a "quoted" \\ word'),
    (ErrorReply(b"ERR unknown command 'x'"), "(error) ERR unknown command 'x'"),
    (ErrorReply(b"WRONGTYPE Operation against a key"), "(error) WRONGTYPE Operation against a key"),
    (ErrorReply(b""), "(error) "),
    (0, "(integer) 0"),
    (-1, "(integer) -1"),
    (INT64_MAX, "(integer) 9223372036854775807"),
    (INT64_MIN, "(integer) -9223372036854775808"),
    (None, "(nil)"),
    (b"", '""'),
    (b"hello", '"hello"'),
    (b"OK", '"OK"'),
    (b'a"b\\c', '"a\\"b\\\\c"'),
    (b"\n\r\t\x07\x08", '"\\n\\r\\t\\a\\b"'),
    (b"\x00\x01\x0b\x0c\x1b\x7f", '"\\x00\\x01\\x0b\\x0c\\x1b\\x7f"'),
    (b"\x80\xff\xfe", '"\\x80\\xff\\xfe"'),
    ("é😀".encode(), '"\\xc3\\xa9\\xf0\\x9f\\x98\\x80"'),
    (b" ~'", '" ~\'"'),
    ([], "(empty array)"),
    (
        [b"a", 1, None, Status(b"OK"), ErrorReply(b"ERR x")],
        '1) "a"\n2) (integer) 1\n3) (nil)\n4) OK\n5) (error) ERR x',
    ),
    ([[], None], "1) (empty array)\n2) (nil)"),
    ([[[b"x"]]], '1) 1) 1) "x"'),
    ([b"a", [b"b", [b"c", b"d"]], b"e"], '1) "a"\n2) 1) "b"\n   2) 1) "c"\n      2) "d"\n3) "e"'),
    (list(range(1, 11)), "\n".join(f"{i:>2}) (integer) {i}" for i in range(1, 11))),
    (
        [[1] * 10, 2],
        "1)  1) (integer) 1\n"
        + "".join(f"   {i:>2}) (integer) 1\n" for i in range(2, 11))
        + "2) (integer) 2",
    ),
    (
        [1] * 9 + [[b"a", [b"b", b"c"]], []],
        "\n".join(f" {i}) (integer) 1" for i in range(1, 10))
        + '\n10) 1) "a"\n    2) 1) "b"\n       2) "c"\n11) (empty array)',
    ),
]


@pytest.mark.parametrize(("reply", "expected"), EXAMPLES, ids=[repr(r)[:40] for r, _ in EXAMPLES])
def test_example(reply: Reply, expected: str) -> None:
    assert format_reply(reply) == expected


@requires_cli
@pytest.mark.parametrize(("reply", "expected"), EXAMPLES, ids=[repr(r)[:40] for r, _ in EXAMPLES])
def test_example_matches_redis_cli(fake: FakeRespServer, reply: Reply, expected: str) -> None:
    assert check(fake, reply) == expected


@requires_cli
@pytest.mark.parametrize("size", [9, 10, 11, 99, 100, 101, 1000])
def test_index_width(fake: FakeRespServer, size: int) -> None:
    reply: Reply = [[b"x", [b"y", 1]] for _ in range(size)]
    text = check(fake, reply)
    width = len(str(size))
    assert text.startswith(" " * (width - 1) + "1) 1) ")
    assert text.endswith(f"\n{' ' * (width + 5)}2) (integer) 1")


@requires_cli
def test_deep_nesting(fake: FakeRespServer) -> None:
    reply: Reply = [b"x", 1]
    for _ in range(3000):  # deeper than Python's recursion limit
        reply = [reply]
    payload = b"*1\r\n" * 3000 + encode_resp([b"x", 1])
    assert check(fake, reply, payload).startswith("1) " * 3001 + '"x"\n')


@requires_cli
def test_null_array_prints_nil(fake: FakeRespServer) -> None:
    # RESP2 has two nulls; both arrive as None and print the same.
    assert cli_print(fake, b"*-1\r\n") == format_reply(None) == "(nil)"
    assert cli_print(fake, b"*2\r\n*-1\r\n$-1\r\n") == format_reply([None, None])


@requires_cli
def test_quote_bytes_every_byte(fake: FakeRespServer) -> None:
    for data in (bytes(range(256)), bytes(range(255, -1, -1)), b"\\x41\\\\"):
        assert quote_bytes(data) == cli_print(fake, encode_resp(data))


def test_quote_bytes() -> None:
    assert quote_bytes(b"") == '""'
    assert quote_bytes(b"key:1") == '"key:1"'
    assert quote_bytes(b'a"\xff\n') == '"a\\"\\xff\\n"'


# --- Status and error texts are printed as C strings, decoded for the web -------------------


@requires_cli
def test_status_and_error_stop_at_nul(fake: FakeRespServer) -> None:
    assert check(fake, Status(b"a\x00b")) == "a"
    assert check(fake, ErrorReply(b"ERR a\x00b")) == "(error) ERR a"
    assert check(fake, [Status(b"\x00x"), ErrorReply(b"\x00")]) == "1) \n2) (error) "


@requires_cli
def test_status_and_error_bytes_are_raw(fake: FakeRespServer) -> None:
    # redis-cli does not escape them: ESC and DEL reach the terminal as they are.
    assert check(fake, ErrorReply(b"ERR \x1b[31mred\x7f\x01")) == "(error) ERR \x1b[31mred\x7f\x01"
    assert check(fake, Status(b"caf\xc3\xa9\t")) == "café\t"


def test_invalid_utf8_in_status_or_error_is_backslash_escaped() -> None:
    # The one deliberate difference: redis-cli would write the raw bytes \xff \xc3.
    assert format_reply(Status(b"a\xffb")) == "a\\xffb"
    assert format_reply(ErrorReply(b"ERR \xc3(")) == "(error) ERR \\xc3("
    assert format_reply([Status(b"\xe2\x82")]) == "1) \\xe2\\x82"


@requires_cli
def test_invalid_utf8_matches_redis_cli_once_decoded(fake: FakeRespServer) -> None:
    replies: list[Reply] = [
        Status(b"a\xffb"),
        ErrorReply(b"ERR \xc3("),
        [Status(b"\xe2\x82"), b"\xff"],
    ]
    for reply in replies:
        check(fake, reply)


# --- Property test against redis-cli --------------------------------------------------------

# Redis cannot send CR or LF inside a status or an error (hiredis rejects them:
# "Bad simple string value"), so the generated texts leave them out.
_TEXT = st.one_of(
    st.binary(max_size=24),
    st.text(max_size=12).map(str.encode),
).map(lambda data: data.replace(b"\r", b"").replace(b"\n", b""))
_INT = st.one_of(
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from([INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, 0, -1]),
)
_LEAF: st.SearchStrategy[Reply] = st.one_of(
    _TEXT.map(Status),
    _TEXT.map(ErrorReply),
    _INT,
    st.binary(max_size=32),
    st.text(max_size=12).map(str.encode),
    st.none(),
)


def _replies(depth: int) -> st.SearchStrategy[Reply]:
    """Leaves, and arrays nested up to ``depth`` levels with up to 15 elements each."""
    if depth == 0:
        return _LEAF
    inner = _replies(depth - 1)
    return st.one_of(
        _LEAF,
        st.lists(inner, max_size=4),
        st.lists(inner, min_size=8, max_size=15),  # around the 1- to 2-digit index width
    )


REPLIES = _replies(3)


@requires_cli
@settings(deadline=None, max_examples=300)
@given(REPLIES)
def test_format_reply_matches_redis_cli(fake: FakeRespServer, reply: Reply) -> None:
    check(fake, reply)
