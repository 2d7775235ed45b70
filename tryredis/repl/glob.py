"""Redis's glob matching (``stringmatchlen`` in util.c, Redis 7.0), on bytes.

KEYS and SCAN MATCH are emulated inside the sandbox, so they must match exactly
the keys Redis would: ``*``, ``?``, ``[abc]``, ``[^a-z]``, ``\\x`` escapes, and
Redis's quirks (an unclosed ``[`` class, reversed ranges, chars compared as
*signed* C chars in ranges).
"""

from __future__ import annotations

_STAR, _QUESTION, _OPEN, _CLOSE, _CARET, _BACKSLASH, _DASH = b"*?[]^\\-"


def _signed(byte: int) -> int:
    # Redis compares `char` values, which are signed on x86/ARM Linux builds.
    return byte - 256 if byte >= 128 else byte


def glob_match(pattern: bytes, string: bytes) -> bool:
    """Whether ``string`` matches the glob ``pattern`` exactly as Redis decides."""
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
