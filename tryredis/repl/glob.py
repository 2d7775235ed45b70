"""Redis's glob matching (``stringmatchlen`` in util.c, Redis 7.0), on bytes, in linear time.

KEYS and the SCAN family's MATCH are answered inside the sandbox, so they must
match exactly the keys Redis would: ``*``, ``?``, ``[abc]``, ``[^a-z]``, ``\\x``
escapes, and Redis's quirks (an unclosed ``[`` class runs to the end of the
pattern, reversed ranges are swapped, ranges compare *signed* C chars).

Redis walks the pattern recursively, backtracking at each ``*``. Here a pattern
is compiled once into a sequence of byte sets and stars, and a string is
matched by simulating every position of the pattern at once (a bit-parallel
NFA, "shift-and"): one pass over the string, a few integer operations per byte,
whatever the pattern. So the cost of matching is ``len(string)`` steps, never
more, and the caller can budget it (``Glob.cost``).

Why the two agree: in ``stringmatchlen`` how far a ``[...]`` class reaches in
the pattern never depends on the string, so the pattern is a fixed sequence of
tokens that each consume exactly one byte, and ``*`` (runs collapse) consumes
any number; Redis's ``skipLongerMatches`` only prunes searches that cannot
succeed. That is ordinary glob semantics over those tokens.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

_STAR, _QUESTION, _OPEN, _CLOSE, _CARET, _BACKSLASH, _DASH = b"*?[]^\\-"
_ALL = frozenset(range(256))


def _signed(byte: int) -> int:
    # Redis compares `char` values, which are signed on x86/ARM Linux builds.
    return byte - 256 if byte >= 128 else byte


def _tokens(pattern: bytes) -> list[frozenset[int] | None]:
    """The pattern as byte sets (one byte each) and ``None`` for ``*``, as Redis reads it."""
    tokens: list[frozenset[int] | None] = []
    plen, p = len(pattern), 0

    def at(index: int) -> int:  # the pattern is NUL-terminated in C
        return pattern[index] if index < plen else 0

    while p < plen:
        char = pattern[p]
        if char == _STAR:
            if not tokens or tokens[-1] is not None:
                tokens.append(None)
        elif char == _QUESTION:
            tokens.append(_ALL)
        elif char == _OPEN:
            p += 1
            negate = at(p) == _CARET
            if negate:
                p += 1
            members: set[int] = set()
            while True:
                if at(p) == _BACKSLASH and plen - p >= 2:
                    p += 1
                    members.add(at(p))
                elif at(p) == _CLOSE:
                    break
                elif p >= plen:
                    p -= 1  # unclosed: the class ends with the pattern
                    break
                elif plen - p >= 3 and at(p + 1) == _DASH:
                    start, end = sorted((_signed(at(p)), _signed(at(p + 2))))
                    members.update(b for b in range(256) if start <= _signed(b) <= end)
                    p += 2
                else:
                    members.add(at(p))
                p += 1
            tokens.append(_ALL - members if negate else frozenset(members))
        else:
            if char == _BACKSLASH and plen - p >= 2:
                p += 1
            tokens.append(frozenset((pattern[p],)))
        p += 1
    return tokens


@dataclass(frozen=True)
class Glob:
    """A compiled pattern: ``matches(string)`` in one pass over the string."""

    masks: tuple[int, ...]  # per byte value: the states a byte can advance into
    loops: int  # states followed by a star: they stay on any byte
    accept: int  # the state after the last token
    anything: bool  # the pattern is exactly "*": KEYS and SCAN skip matching altogether
    empty: bool  # the pattern is b""

    def matches(self, string: bytes) -> bool:
        """Whether ``string`` matches, exactly as Redis decides."""
        if self.anything:
            return True
        if not string:  # stringmatchlen never enters its loop: only "" matches ""
            return self.empty
        masks, loops = self.masks, self.loops
        state = 1  # bit i: the first i tokens are matched; bit 0: nothing consumed yet
        for byte in string:
            state = ((state << 1) & masks[byte]) | (state & loops)
            if not state:
                return False
        return bool(state & self.accept)

    @staticmethod
    def cost(string: bytes) -> int:
        """The steps ``matches`` takes at most: one per byte."""
        return len(string) + 1


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: bytes) -> Glob:
    """Compile a Redis glob pattern (cached: learners retype the same ones)."""
    tokens = _tokens(pattern)
    masks = [0] * 256
    loops = 0
    state = 0  # the state reached after the consuming tokens seen so far
    for token in tokens:
        if token is None:
            loops |= 1 << state
            continue
        state += 1
        for byte in token:
            masks[byte] |= 1 << state
    return Glob(tuple(masks), loops, 1 << state, pattern == b"*", pattern == b"")


def glob_match(pattern: bytes, string: bytes) -> bool:
    """Whether ``string`` matches the glob ``pattern`` exactly as Redis decides."""
    return compile_glob(pattern).matches(string)
