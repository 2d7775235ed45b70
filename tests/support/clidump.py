"""Read what ``redis-cli --no-raw`` printed (the dumps in ``tests/data/redis-commands/``).

``parse_dump(text)`` turns redis-cli's nested ``1) 2) ...`` layout back into a reply
tree: quoted strings and bare status words become ``str``, ``(integer) N`` an ``int``,
``(nil)`` None and ``(empty array)`` ``[]``. Items of one array share the column of
their ``)``, and a nested array starts on its parent item's line.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

DUMPS = Path(__file__).resolve().parents[1] / "data" / "redis-commands"
"""The recorded dumps, gzipped (their README says where they come from)."""

_MARKER = re.compile(r"\s*(\d+)\) ")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    """A redis-cli quoted string (``"a\\"b"``, ``\\xNN`` escapes) as text."""
    assert text.startswith('"') and text.endswith('"'), text
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and body[i + 1] == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif char == "\\":
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _value(text: str) -> Any:
    if text == "(empty array)":
        return []
    if text == "(nil)":
        return None
    if text.startswith("(integer) "):
        return int(text.removeprefix("(integer) "))
    if text.startswith('"'):
        return _unquote(text)
    return text  # a status reply, printed bare (flags: write, denyoom ...)


def parse_dump(text: str) -> list[Any]:
    """The top-level array redis-cli printed as ``text``."""
    root: list[Any] = []
    stack: list[tuple[int, list[Any]]] = []  # (column of ")", array) from the outside in
    for line in text.splitlines():
        if not line.strip():
            continue
        pos, markers = 0, []
        while (match := _MARKER.match(line, pos)) is not None:
            markers.append(match.end() - 2)  # the column of ")"
            pos = match.end()
        assert markers, f"not a redis-cli array line: {line!r}"
        column = markers[0]
        while stack and stack[-1][0] != column:
            stack.pop()
        if not stack:  # the top level: every item at the first line's column
            assert not root, f"unexpected indentation: {line!r}"
            stack.append((column, root))
        for nested in markers[1:]:
            child: list[Any] = []
            stack[-1][1].append(child)
            stack.append((nested, child))
        stack[-1][1].append(_value(line[pos:]))
    return root


def read_dump(name: str) -> list[Any]:
    """The parsed dump ``<name>.txt`` (``redis-7.0.15-info`` ...)."""
    return parse_dump(_read(name))


def _read(name: str) -> str:
    return gzip.decompress((DUMPS / f"{name}.txt.gz").read_bytes()).decode("utf-8")


def dump_names(server: str) -> set[str]:
    """``COMMAND LIST`` with subcommands (``<server>-names.txt``), as a set."""
    return {line.strip() for line in _read(f"{server}-names").splitlines() if line.strip()}


def command_info(server: str) -> dict[str, list[Any]]:
    """``COMMAND INFO`` of every command and subcommand of ``server``, by name."""
    found: dict[str, list[Any]] = {}

    def add(entry: list[Any]) -> None:
        found[entry[0]] = entry
        for sub in entry[9]:
            add(sub)

    for entry in read_dump(f"{server}-info"):
        add(entry)
    return found
