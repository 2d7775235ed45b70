"""The reply values the sandbox works with, exactly as RESP2 delivered them.

redis-py hands simple strings (``+OK``) and bulk strings (``$2 OK``) back as the
same ``bytes``; redis-cli prints them differently (``OK`` versus ``"OK"``), so
the sandbox's own parser keeps the RESP type:

* ``Status``: a simple string (``+PONG``)
* ``ErrorReply``: an error (``-ERR ...``), kept as a value, never raised
* ``bytes``: a bulk string; ``None``: a null bulk string or null array
* ``int``: an integer; ``list``: an array (possibly nested)
"""

from __future__ import annotations

from typing import TypeAlias


class Status(bytes):
    """A RESP simple-string reply, printed by redis-cli without quotes."""

    __slots__ = ()


class ErrorReply(bytes):
    """A RESP error reply such as ``ERR syntax error``, printed as ``(error) ...``."""

    __slots__ = ()

    @property
    def code(self) -> bytes:
        """The first word of the error: ``ERR``, ``WRONGTYPE``, ``NOGROUP`` ..."""
        return self.split(b" ", 1)[0]


Reply: TypeAlias = "int | bytes | list[Reply] | None"
"""Any RESP2 reply (``Status`` and ``ErrorReply`` are ``bytes`` subclasses)."""


def is_noscript(reply: Reply) -> bool:
    """Whether ``reply`` is Redis's NOSCRIPT error: the script cache lost the script (a restart)."""
    return isinstance(reply, ErrorReply) and reply.startswith(b"NOSCRIPT")
