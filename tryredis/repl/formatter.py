"""Print a RESP2 reply exactly as ``redis-cli --no-raw`` does (``cliFormatReplyTTY``, 7.0).

Verified against redis-cli 7.0.15 (see tests/repl/test_formatter.py), including
two quirks that come from redis-cli printing status and error texts as C strings:

* a status or error text stops at its first NUL byte (``+a\\x00b`` prints ``a``);
* the text is not escaped: redis-cli writes its bytes raw.

The one deliberate difference: the output here must be valid text, so status and
error texts are decoded as UTF-8 with ``backslashreplace`` (invalid bytes show as
``\\xff``) where redis-cli writes the raw bytes. Only binary data inside a status
or an error text can tell the two apart; bulk strings are always escaped.
"""

from __future__ import annotations

from tryredis.wire import ErrorReply, Reply, Status

__all__ = ["format_reply", "quote_bytes"]


def _repr_table() -> tuple[str, ...]:
    table = [f"\\x{byte:02x}" for byte in range(256)]
    for byte in range(0x20, 0x7F):  # isprint() in the C locale
        table[byte] = chr(byte)
    for char, escaped in {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.items():
        table[ord(char)] = escaped
    table[0x07] = "\\a"
    table[0x08] = "\\b"
    return tuple(table)


_REPR = _repr_table()


def quote_bytes(data: bytes) -> str:
    """Quote bytes like redis-cli's ``sdscatrepr``: ``b'a"\\xff'`` becomes ``"a\\"\\xff"``."""
    return '"' + "".join([_REPR[byte] for byte in data]) + '"'


def format_reply(reply: Reply) -> str:
    """What ``redis-cli --no-raw`` prints for a RESP2 reply, without the final newline."""
    out: list[str] = []
    # An explicit stack instead of recursion: any nesting depth prints, as in redis-cli.
    # Items are replies with the indent of their nested lines, or ready-made text.
    stack: list[tuple[Reply, str] | str] = [(reply, "")]
    while stack:
        top = stack.pop()
        if isinstance(top, str):
            out.append(top)
            continue
        item, prefix = top
        if isinstance(item, ErrorReply):
            out.append(f"(error) {_c_text(item)}\n")
        elif isinstance(item, Status):
            out.append(f"{_c_text(item)}\n")
        elif isinstance(item, bytes):
            out.append(f"{quote_bytes(item)}\n")
        elif item is None:
            out.append("(nil)\n")
        elif isinstance(item, int):
            out.append(f"(integer) {item:d}\n")
        elif not item:
            out.append("(empty array)\n")
        else:
            width = len(str(len(item)))
            nested = prefix + " " * (width + 2)
            for index in range(len(item), 0, -1):
                stack.append((item[index - 1], nested))
                # The parent already printed this line's start (its own index) before item 1.
                stack.append(f"{prefix if index > 1 else ''}{index:>{width}}) ")
    return "".join(out)[:-1]


def _c_text(data: bytes) -> str:
    """A status or error text as redis-cli prints it (a C string), decoded for display."""
    nul = data.find(0)
    if nul >= 0:
        data = data[:nul]
    return data.decode("utf-8", "backslashreplace")
