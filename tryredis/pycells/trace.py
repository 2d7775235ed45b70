"""Commands as a trace panel shows them: typed the way redis-cli would read them back."""

from __future__ import annotations

import re

ARG_MAX_CHARS = 60
_PLAIN = re.compile(rb"[A-Za-z0-9_:.,/@+{}\[\]*?^$<>=!%&|~#-]+")
_ESCAPES = {b"\n": "\\n", b"\r": "\\r", b"\t": "\\t", b'"': '\\"', b"\\": "\\\\"}


def quote(arg: bytes) -> str:
    """One argument: bare when it reads unambiguously, else double-quoted with escapes."""
    if _PLAIN.fullmatch(arg):
        return arg.decode("ascii")
    out = []
    for byte in arg:
        char = bytes([byte])
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    text = "".join(out)
    return f'"{text}"'


def describe(args: list[bytes]) -> str:
    """A command as one line; long arguments are cut (the trace is for reading)."""
    shown = []
    for arg in args:
        text = quote(arg)
        if len(text) > ARG_MAX_CHARS:
            text = text[: ARG_MAX_CHARS - 1] + "…" + (text[-1] if text.startswith('"') else "")
        shown.append(text)
    return " ".join(shown)
