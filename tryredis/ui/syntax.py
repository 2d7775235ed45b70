"""A command's one-line syntax (``SET key value [NX | XX] ...``) as a tree the REPL can match.

The syntax lines in ``command_docs.py`` are rendered from ``COMMAND DOCS`` the way
redis.io renders them (``tools/gen_command_docs.py``): ``[...]`` is optional,
``<a | b>`` a required choice, ``[a | b]`` an optional one, and ``x [x ...]``
one or more. ``parse()`` reverses that rendering and ``render()`` redoes it, so a
test can check every line of the table round-trips exactly. The browser walks the
tree to show, as redis-cli does, the arguments still to type.

Nodes are small JSON values: ``{"t": "NX"}`` a literal token, ``{"a": "key"}`` a
placeholder, ``{"o": [...]}`` an optional sequence, ``{"c": [[...], [...]]}`` a
required choice (``{"oc": ...}`` an optional one, with ``"tc"`` the token before it, as in
``[AGGREGATE SUM | MIN | MAX]``), ``{"r": [...]}`` a sequence repeated one or more
times. Containers (``OBJECT subcommand [argument ...]``) have no tree: their
subcommands do.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias

Node: TypeAlias = dict[str, Any]

_TOKEN = re.compile(r"\[|\]|<|>|\||[^\s\[\]<>|]+")


class SyntaxUnparsed(ValueError):
    """The line does not follow the redis.io rendering (the REPL then shows it as text)."""


def _is_literal(word: str) -> bool:
    # Placeholders are lowercase (key, unix-time-seconds, ip:port); tokens have no lowercase.
    return not any(ch.islower() for ch in word)


class _Parser:
    def __init__(self, text: str) -> None:
        self.words: list[str] = _TOKEN.findall(text)
        self.pos = 0

    def peek(self) -> str | None:
        """The next word, or None at the end."""
        return self.words[self.pos] if self.pos < len(self.words) else None

    def take(self) -> str:
        """Consume the next word."""
        word = self.words[self.pos]
        self.pos += 1
        return word

    def alternatives(self, close: str | None) -> list[list[Node]]:
        """Sequences separated by ``|`` up to ``close`` (consumed)."""
        alts = [self.sequence(close)]
        while self.peek() == "|":
            self.take()
            alts.append(self.sequence(close))
        last = alts[-1]
        if len(alts) > 1 and last and "m" in last[-1]:
            # ``[a | b [a | b ...]]``: the choice as a whole repeats (BITFIELD's operations).
            marker = last.pop()["m"]
            if " | ".join(render(alt) for alt in alts) != marker:
                raise SyntaxUnparsed("a repeated choice that does not repeat itself")
            alts = [[{"r": [{"c": alts}], "bare": True}]]
        if close is not None:
            if self.peek() != close:
                raise SyntaxUnparsed(f"expected {close!r}")
            self.take()
        return alts

    def sequence(self, close: str | None) -> list[Node]:
        items: list[Node] = []
        while (word := self.peek()) is not None and word not in ("|", close):
            if word in ("]", ">"):
                raise SyntaxUnparsed(f"unexpected {word!r}")
            self.take()
            if word == "[":
                alts = self.alternatives("]")
                if alts[-1] and alts[-1][-1] == {"t": "..."}:
                    alts[-1] = alts[-1][:-1]
                    _repeat(items, " | ".join(render(alt) for alt in alts))
                elif len(alts) == 1:
                    items.append({"o": alts[0]})
                elif _token_choice(alts):
                    # ``[AGGREGATE SUM | MIN | MAX]`` is a token before a choice, not a choice.
                    items.append({"tc": alts[0][0]["t"], "oc": [alts[0][1:], *alts[1:]]})
                else:
                    items.append({"oc": alts})
            elif word == "<":
                items.append({"c": self.alternatives(">")})
            elif word == "..." or _is_literal(word):
                items.append({"t": word})
            else:
                items.append({"a": word})
        return items


def _repeat(items: list[Node], text: str) -> None:
    """Turn ``x`` followed by ``[x ...]`` into one repeated node, in place."""
    for start in range(len(items) - 1, -1, -1):
        tail = items[start:]
        if render(tail) == text or (len(tail) == 1 and _choice_text(tail[0]) == text):
            items[start:] = [{"r": tail}]
            return
    items.append({"m": text})  # the repeated thing is a whole choice: see alternatives()


def _token_choice(alts: list[list[Node]]) -> bool:
    first, rest = alts[0], alts[1:]
    return (
        len(first) == 2
        and all("t" in node for node in first)
        and all(len(alt) == 1 and "t" in alt[0] for alt in rest)
    )


def _choice_text(node: Node) -> str | None:
    if "c" not in node:
        return None
    return " | ".join(render(alt) for alt in node["c"])


def parse(syntax: str, words: int) -> list[Node]:
    """The argument tree of ``syntax`` after its first ``words`` words (the command name)."""
    parser = _Parser(syntax)
    if len(parser.words) < words:
        raise SyntaxUnparsed("shorter than the command name")
    parser.pos = words
    items = parser.alternatives(None)
    if len(items) != 1 or parser.peek() is not None:
        raise SyntaxUnparsed("a top-level choice")
    render(items[0])  # raises on a repetition left without what it repeats
    return items[0]


def render(items: list[Node]) -> str:
    """The syntax text of a sequence of nodes, as redis.io renders it."""
    return " ".join(_render(node) for node in items)


def _render(node: Node) -> str:
    if "t" in node:
        return str(node["t"])
    if "a" in node:
        return str(node["a"])
    if "o" in node:
        return "[" + render(node["o"]) + "]"
    if "oc" in node:
        token = node["tc"] + " " if "tc" in node else ""
        return "[" + token + " | ".join(render(alt) for alt in node["oc"]) + "]"
    if "c" in node:
        return "<" + " | ".join(render(alt) for alt in node["c"]) + ">"
    if "m" in node:
        raise SyntaxUnparsed("a repetition of nothing before it")
    body = node["r"]
    choice = _choice_text(body[0]) if len(body) == 1 else None
    if choice is not None:  # the repeated copy of a choice is written without <>
        first = choice if node.get("bare") else "<" + choice + ">"
        return first + " [" + choice + " ...]"
    return render(body) + " [" + render(body) + " ...]"
