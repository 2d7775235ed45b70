"""Split a typed line into arguments exactly like redis-cli (``sdssplitargs``), on bytes.

``split_args()`` is the bare ``sdssplitargs`` of redis-cli 7.0. ``split_line()`` is
what the sandbox uses: it encodes the line as UTF-8, applies the site's limits
(line length, raw control characters, argument count), then splits.

The rules (verified against redis-cli 7.0.15, see tests/repl/test_tokenizer.py):

* Blanks before a token are skipped with C ``isspace`` (space, ``\\t \\n \\v \\f \\r``),
  but an unquoted token only ends at space, ``\\t``, ``\\n`` or ``\\r``: ``a\\vb`` is
  one argument. (Control characters are rejected by ``split_line()`` anyway.)
* A token is an unquoted part, optionally followed by one quoted part: ``a"b c"``
  is ``ab c``. A quote opens wherever it appears, even in the middle of a word.
* Double quotes know ``\\xHH``, ``\\n \\r \\t \\b \\a``; any other escaped byte is
  itself (``\\" \\\\ \\z``). ``\\x`` without two hex digits is just ``x``.
* Single quotes know only ``\\'``; every other backslash is literal.
* A closing quote must be followed by ``isspace`` or the end of the line; an
  unterminated quote is an error. Unquoted backslashes are literal.
* The line ends at a NUL byte (it is a C string).
"""

from __future__ import annotations

import re

__all__ = [
    "INVALID_ARGUMENTS",
    "LineError",
    "LineRejected",
    "ParseError",
    "split_args",
    "split_line",
]

INVALID_ARGUMENTS = "Invalid argument(s)"
"""What redis-cli prints when ``sdssplitargs`` fails."""

_ISSPACE = frozenset(b" \t\n\v\f\r")  # C isspace() in the C locale
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("a"): 0x07}
_BACKSLASH, _DQUOTE, _SQUOTE, _X = ord("\\"), ord('"'), ord("'"), ord("x")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # C0 controls except TAB, and DEL
# The unquoted part of a token: it ends at a quote or at what sdssplitargs treats as a
# separator there (space \t \n \r, not \v or \f).
_UNQUOTED_RUN = re.compile(rb"[^ \t\n\r\"']*")


class LineError(ValueError):
    """A line that cannot be run; ``message`` is what the learner sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ParseError(LineError):
    """redis-cli would refuse the line: ``Invalid argument(s)``."""

    def __init__(self, message: str = INVALID_ARGUMENTS) -> None:
        super().__init__(message)


class LineRejected(LineError):
    """The line breaks one of the site's limits (length, control characters, arguments)."""


def split_line(line: str, *, max_bytes: int = 4096, max_args: int = 64) -> list[bytes]:
    """Split a typed line like redis-cli after checking the site's limits on it."""
    try:
        data = line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no bytes redis-cli could have read
        raise ParseError from None
    if len(data) > max_bytes:
        raise LineRejected(f"line is {len(data)} bytes; the limit is {max_bytes} bytes")
    control = _CONTROL.search(data)
    if control is not None:
        code = f"\\x{control[0][0]:02x}"
        raise LineRejected(
            f"control character {code} in the line: "
            f'type it as an escape inside double quotes ("{code}")'
        )
    args = split_args(data)
    if len(args) > max_args:
        raise LineRejected(f"line has {len(args)} arguments; the limit is {max_args} arguments")
    return args


def split_args(data: bytes) -> list[bytes]:
    """Split bytes exactly as redis-cli's ``sdssplitargs``; raise ``ParseError`` on failure."""
    nul = data.find(0)
    if nul >= 0:
        data = data[:nul]
    end = len(data)
    args: list[bytes] = []
    i = 0
    while True:
        while i < end and data[i] in _ISSPACE:
            i += 1
        if i == end:
            return args
        run = _UNQUOTED_RUN.match(data, i)
        assert run is not None  # the pattern matches the empty string
        i = run.end()
        if i == end or data[i] not in (_DQUOTE, _SQUOTE):
            args.append(run[0])
            continue
        current = bytearray(run[0])
        if data[i] == _DQUOTE:
            i = _double_quoted(data, i + 1, current)
        else:
            i = _single_quoted(data, i + 1, current)
        if i < end and data[i] not in _ISSPACE:
            raise ParseError  # a closing quote must be followed by a blank
        args.append(bytes(current))


def _double_quoted(data: bytes, i: int, out: bytearray) -> int:
    """Append a double-quoted part starting after its quote; return the index past the end."""
    end = len(data)
    while i < end:
        byte = data[i]
        if byte == _DQUOTE:
            return i + 1
        if byte == _BACKSLASH and i + 1 < end:
            escaped = data[i + 1]
            if escaped == _X and i + 3 < end and data[i + 2] in _HEX and data[i + 3] in _HEX:
                out.append(int(data[i + 2 : i + 4], 16))
                i += 4
            else:
                out.append(_ESCAPES.get(escaped, escaped))
                i += 2
        else:
            out.append(byte)
            i += 1
    raise ParseError  # unterminated quotes


def _single_quoted(data: bytes, i: int, out: bytearray) -> int:
    """Append a single-quoted part starting after its quote; return the index past the end."""
    end = len(data)
    while i < end:
        byte = data[i]
        if byte == _SQUOTE:
            return i + 1
        if byte == _BACKSLASH and i + 1 < end and data[i + 1] == _SQUOTE:
            out.append(_SQUOTE)
            i += 2
        else:
            out.append(byte)
            i += 1
    raise ParseError  # unterminated quotes
