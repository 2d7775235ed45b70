"""split_line()/split_args() against the real redis-cli 7.0 (``sdssplitargs``).

Each line is piped into ``redis-cli --no-raw -s <fake server>`` behind a marker
word; the argument array that reaches the fake server (or redis-cli's
``Invalid argument(s)``) is the expected value. Many lines share one redis-cli
process: each prints exactly one output line (``OK`` or ``Invalid argument(s)``),
and the marked commands arrive in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.fake_resp_server import REDIS_CLI, FakeRespServer, fake_resp_server
from tryredis.repl.tokenizer import (
    LineError,
    LineRejected,
    ParseError,
    split_args,
    split_line,
)

requires_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli not installed")

MARKER = b"TRYREDIS-PROBE"  # first word of every probe line: never a redis-cli builtin
INVALID = b"Invalid argument(s)"

Split = list[bytes] | None
"""How a line splits; ``None`` means ``Invalid argument(s)``."""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeRespServer]:
    """One fake RESP server for the module (hypothesis needs a non-function scope)."""
    with fake_resp_server() as server:
        yield server


def cli_split(fake: FakeRespServer, lines: Sequence[bytes]) -> list[Split]:
    """How redis-cli splits each line (piped on stdin, one redis-cli process for all)."""
    for line in lines:
        assert b"\n" not in line, "a stdin line ends at LF"
        assert b"\0" not in line, "redis-cli's line reader stops at NUL"
    fake.clear(b"+OK\r\n")
    stdin = b"".join(MARKER + b" " + line + b"\n" for line in lines)
    printed = fake.cli(stdin=stdin).split(b"\n")
    assert printed[-1] == b"", "redis-cli output must end with a newline"
    printed.pop()
    assert len(printed) == len(lines), printed
    # redis-cli sends COMMAND DOCS on connect in REPL mode: keep only the marked commands.
    arrived = iter(cmd[1:] for cmd in fake.received() if cmd[:1] == [MARKER])
    results: list[Split] = []
    for output in printed:
        if output == INVALID:
            results.append(None)
        else:
            assert output == b"OK", output
            results.append(next(arrived))
    assert next(arrived, None) is None, "more commands arrived than lines printed OK"
    return results


def ours(data: bytes) -> Split:
    """split_args() in the same shape as cli_split()."""
    try:
        return split_args(data)
    except ParseError:
        return None


def ours_line(line: str) -> Split:
    """split_line() in the same shape as cli_split()."""
    try:
        return split_line(line)
    except ParseError:
        return None


# --- Explicit rules, each checked against the expectation AND against redis-cli ------------

RULES: list[tuple[str, Split]] = [
    ("SET k v", [b"SET", b"k", b"v"]),
    ("  SET \t k\tv  \t", [b"SET", b"k", b"v"]),
    ("", []),
    ("   ", []),
    ("\t \t", []),
    ("héllo😀", ["héllo😀".encode()]),
    ('"a b"  c', [b"a b", b"c"]),
    ('""', [b""]),
    ("''", [b""]),
    ("\"\" ''", [b"", b""]),
    ('"a"\t"b"', [b"a", b"b"]),
    # double quotes: \xHH and the C escapes; anything else escaped is itself
    ('"\\x41\\x4a\\xff\\x00\\x7F"', [b"AJ\xff\x00\x7f"]),
    ('"\\xc3\\xa9"', ["é".encode()]),
    ('"\\n\\r\\t\\b\\a\\\\\\""', [b'\n\r\t\b\x07\\"']),
    ('"\\u00e9\\z\\q"', [b"u00e9zq"]),
    ('"\\\'"', [b"'"]),
    ('"x\\xZZ"', [b"xxZZ"]),
    ('"\\x4"', [b"x4"]),
    ('"\\x4g"', [b"x4g"]),
    ('"\\x"', [b"x"]),
    ('"\\xé"', ["xé".encode()]),
    ('"a\\x00b"', [b"a\x00b"]),
    ('"\\x1b\\r\\n"', [b"\x1b\r\n"]),
    ('"\'"', [b"'"]),
    # single quotes: only \' is an escape
    ("'it\\'s'", [b"it's"]),
    ("'a\\nb\\x41'", [b"a\\nb\\x41"]),
    ("'a\\\\b'", [b"a\\\\b"]),
    ("'a\"b'", [b'a"b']),
    ("'a\\\\'b'", [b"a\\'b"]),
    # unquoted backslashes are literal
    ("SET k v\\", [b"SET", b"k", b"v\\"]),
    ("a\\x41 \\n", [b"a\\x41", b"\\n"]),
    ("a\\ b", [b"a\\", b"b"]),
    # a quote opens even in the middle of a word, and then ends the token
    ('a"b c"', [b"ab c"]),
    ("a'b c'", [b"ab c"]),
    ('k"\\x41"', [b"kA"]),
    ('a"b"c', None),
    ('set p4 "a"b', None),
    ("'a'b", None),
    ("\"a\"'b'", None),
    ("''x", None),
    # unterminated quotes
    ('"abc', None),
    ("'abc", None),
    ('"a\\"', None),
    ("'a\\'", None),
    ('"\\', None),
    ('"\\x', None),
    ('"\\x4', None),
    ('"\\x41', None),
    ('"', None),
    ("'", None),
    ('ok "a"b', None),
]


@pytest.mark.parametrize(("line", "expected"), RULES, ids=[repr(line) for line, _ in RULES])
def test_rule(line: str, expected: Split) -> None:
    assert ours_line(line) == expected
    assert ours(line.encode()) == expected


@requires_cli
def test_rules_match_redis_cli(fake: FakeRespServer) -> None:
    lines = [line.encode() for line, _ in RULES]
    assert cli_split(fake, lines) == [expected for _, expected in RULES]


# Bytes that split_line() rejects (control characters) but sdssplitargs handles: C isspace
# skips \v \f \r before a token and accepts them after a closing quote, while an unquoted
# token ends only at space, \t, \n or \r.
RAW_RULES: list[tuple[bytes, Split]] = [
    (b"a\vb", [b"a\vb"]),
    (b"a\fb c", [b"a\fb", b"c"]),
    (b"\v\fa\f\v", [b"a\f\v"]),
    (b"a\rb", [b"a", b"b"]),
    (b'"a"\vb', [b"a", b"b"]),
    (b"'a'\f", [b"a"]),
    (b'"a"\r', [b"a"]),
    (b"a\x1bb \x7f", [b"a\x1bb", b"\x7f"]),
    (b"\xa0a\x85 \xff\xfe", [b"\xa0a\x85", b"\xff\xfe"]),  # no locale: high bytes are data
    (b'"\xff\\xff"', [b"\xff\xff"]),
]


@pytest.mark.parametrize(("data", "expected"), RAW_RULES, ids=[repr(d) for d, _ in RAW_RULES])
def test_raw_rule(data: bytes, expected: Split) -> None:
    assert ours(data) == expected


@requires_cli
def test_raw_rules_match_redis_cli(fake: FakeRespServer) -> None:
    assert cli_split(fake, [data for data, _ in RAW_RULES]) == [e for _, e in RAW_RULES]


def test_nul_ends_the_line() -> None:
    # sdssplitargs works on a C string (redis-cli's line reader also stops there).
    assert split_args(b"a b\x00c d") == [b"a", b"b"]
    with pytest.raises(ParseError):
        split_args(b'"a\x00"')  # the quote is unterminated


def test_utf8_is_passed_through_as_bytes() -> None:
    assert split_line("SET k héllo😀") == [b"SET", b"k", b"h\xc3\xa9llo\xf0\x9f\x98\x80"]
    assert len(split_line("héllo😀")[0]) == 10


def test_lone_surrogate_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as caught:
        split_line("SET k \ud800")
    assert str(caught.value) == "Invalid argument(s)"


def test_parse_error_message_is_redis_clis() -> None:
    with pytest.raises(ParseError) as caught:
        split_line('GET "k')
    assert caught.value.message == "Invalid argument(s)"
    assert str(caught.value) == "Invalid argument(s)"
    assert isinstance(caught.value, LineError)
    assert not isinstance(caught.value, LineRejected)


# --- The site's own limits (no redis-cli involved) ------------------------------------------


def test_line_length_limit_counts_bytes() -> None:
    assert split_line("x" * 4096) == [b"x" * 4096]
    with pytest.raises(LineRejected) as caught:
        split_line("x" * 4097)
    assert caught.value.message == "line is 4097 bytes; the limit is 4096 bytes"
    assert str(caught.value) == caught.value.message
    assert isinstance(caught.value, LineError)
    assert not isinstance(caught.value, ParseError)
    with pytest.raises(LineRejected, match="line is 4098 bytes; the limit is 4096 bytes"):
        split_line("é" * 2049)  # 2049 characters, 4098 bytes
    with pytest.raises(LineRejected, match="line is 11 bytes; the limit is 10 bytes"):
        split_line("GET abcdefg", max_bytes=10)
    assert split_line("GET abcdef", max_bytes=10) == [b"GET", b"abcdef"]


@pytest.mark.parametrize("code", [*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F])
def test_control_characters_are_rejected(code: int) -> None:
    with pytest.raises(LineRejected) as caught:
        split_line(f"SET k a{chr(code)}b")
    escaped = f"\\x{code:02x}"
    assert caught.value.message == (
        f"control character {escaped} in the line: "
        f'type it as an escape inside double quotes ("{escaped}")'
    )
    with pytest.raises(LineRejected):
        split_line(f'SET k "a{chr(code)}b"')  # inside quotes too: it is the typed line
    assert split_line(f'SET k "a{escaped}b"') == [b"SET", b"k", b"a" + bytes([code]) + b"b"]


def test_control_character_message_example() -> None:
    with pytest.raises(LineRejected) as caught:
        split_line("SET k \x1b[31m")
    assert caught.value.message == (
        'control character \\x1b in the line: type it as an escape inside double quotes ("\\x1b")'
    )


def test_tab_and_non_c0_characters_are_allowed() -> None:
    assert split_line("SET\tk\tv") == [b"SET", b"k", b"v"]
    assert split_line("a\u0085b\u00a0") == ["a\u0085b\u00a0".encode()]  # C1 and NBSP are text


def test_argument_limit() -> None:
    assert len(split_line(" ".join(["a"] * 64))) == 64
    with pytest.raises(LineRejected) as caught:
        split_line(" ".join(["a"] * 65))
    assert caught.value.message == "line has 65 arguments; the limit is 64 arguments"
    with pytest.raises(LineRejected, match="line has 4 arguments; the limit is 3 arguments"):
        split_line("a b c d", max_args=3)
    assert split_line('"" "" ""', max_args=3) == [b"", b"", b""]


def test_checks_run_in_order_length_control_split_count() -> None:
    with pytest.raises(LineRejected, match="bytes"):
        split_line("\x1b" + '"' + "a " * 3000)  # too long, control char, unterminated, too many
    with pytest.raises(LineRejected, match="control character"):
        split_line("\x1b" + '"' + "a " * 100)  # control char, unterminated, too many
    with pytest.raises(ParseError):
        split_line('"' + "a " * 100)  # unterminated and too many arguments
    with pytest.raises(LineRejected, match="arguments"):
        split_line("a " * 100)


# --- Property tests against redis-cli -------------------------------------------------------

_HEXISH = "0123456789abcdefABCDEFgGzZ\"' "
_ESCAPE = st.one_of(
    st.sampled_from(["\\n", "\\r", "\\t", "\\b", "\\a", "\\\\", '\\"', "\\'", "\\z", "\\", "\\x"]),
    st.builds(lambda a, b: f"\\x{a}{b}", st.sampled_from(_HEXISH), st.sampled_from(_HEXISH)),
    st.characters(min_codepoint=0x21, max_codepoint=0x7E).map(lambda char: "\\" + char),
)
_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=6
)
_PLAIN = st.text(  # no blanks, no quotes
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\"'"),
    min_size=1,
    max_size=6,
)
_UNICODE = st.text(
    alphabet=st.characters(min_codepoint=0x80, exclude_categories=["Cs"]), min_size=1, max_size=3
)
_BLANK = st.sampled_from([" ", "  ", "\t", " \t "])
_NOISE = st.sampled_from(['"', "'", "\\", '""', "''", '" "', "' '"])
_PIECE = st.one_of(_WORD, _UNICODE, _ESCAPE, _BLANK, _NOISE)
_BARE = st.one_of(  # inside a word: no blanks or quotes
    _PLAIN, _UNICODE, _ESCAPE.filter(lambda escape: not set(escape) & set("\"' "))
)
_BODY = st.one_of(_PLAIN, _UNICODE, _ESCAPE, _BLANK, st.sampled_from(["'", '"', "\\"]))


def _close(body: str, quote: str) -> str:
    """Escape what would end a quoted part early, so that the quoted part is well-formed."""
    if quote == "'":
        body = body.rstrip("\\")  # a backslash before the closing ' would escape it
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and (quote == '"' or body[i + 1] == "'"):
            out.append(body[i : i + 2])  # an escape pair, kept as it is
            i += 2
            continue
        if char == quote:
            out.append("\\" + quote)
        elif char == "\\" and i + 1 == len(body):
            out.append("\\\\")  # a lone backslash would escape the closing quote
        else:
            out.append(char)
        i += 1
    return "".join(out)


@st.composite
def _token(draw: st.DrawFn) -> str:
    """One argument: a bare word and/or a quoted part; sometimes random noise."""
    kind = draw(st.sampled_from(["bare"] * 3 + ["quoted"] * 4 + ["noise"]))
    if kind == "noise":
        return "".join(draw(st.lists(_PIECE, min_size=1, max_size=4)))
    word = "".join(draw(st.lists(_BARE, max_size=3 if kind == "quoted" else 4)))
    if kind == "bare":
        return word or "w"
    quote = draw(st.sampled_from(['"', "'"]))
    body = "".join(draw(st.lists(_BODY, max_size=6)))
    return word + quote + _close(body, quote) + quote


@st.composite
def _line(draw: st.DrawFn) -> str:
    """Tokens separated by blanks (sometimes by nothing, which glues or breaks them)."""
    parts = [draw(st.sampled_from(["", "", " ", "\t "]))]
    for token in draw(st.lists(_token(), max_size=8)):
        parts.append(token)
        parts.append(draw(st.sampled_from([" "] * 6 + ["  ", "\t", ""])))
    return "".join(parts)


LINES = _line()

_RAW_BYTE = (
    st.integers(min_value=1, max_value=255).filter(lambda b: b != 0x0A).map(lambda b: bytes([b]))
)
_RAW_PIECE = st.one_of(
    LINES.map(str.encode),
    _RAW_BYTE,
    st.sampled_from([b"\r", b"\v", b"\f", b"\x1b", b"\x7f", b"\xff", b"\xc3", b"\xa0"]),
)
RAW_LINES = st.lists(_RAW_PIECE, max_size=8).map(b"".join)


@requires_cli
@settings(deadline=None, max_examples=150)
@given(st.lists(LINES, min_size=1, max_size=20))
def test_split_line_matches_redis_cli(fake: FakeRespServer, lines: list[str]) -> None:
    expected = cli_split(fake, [line.encode() for line in lines])
    for line, cli in zip(lines, expected, strict=True):
        assert ours_line(line) == cli, line


@requires_cli
@settings(deadline=None, max_examples=150)
@given(st.lists(RAW_LINES, min_size=1, max_size=20))
def test_split_args_matches_redis_cli_on_raw_bytes(
    fake: FakeRespServer, lines: list[bytes]
) -> None:
    expected = cli_split(fake, lines)
    for line, cli in zip(lines, expected, strict=True):
        assert ours(line) == cli, line


@settings(max_examples=300)
@given(LINES)
def test_split_line_is_split_args_of_the_utf8_line(line: str) -> None:
    assert ours_line(line) == ours(line.encode())
