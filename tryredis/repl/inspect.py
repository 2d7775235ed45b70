"""The keys panel's reads: a learner's keys at a glance, and one key's value as a picture.

Everything here goes through ``Sandbox.execute`` (so the namespace, the command
table and the limits apply exactly as to a typed command) and only runs
read-only commands: ``KEYS``, ``TYPE``, ``PTTL``, the size commands, ranges and
scans. The one exception Redis itself makes is ``PFCOUNT``, which may store the
HyperLogLog's cached estimate (and, as in Redis, touch a WATCH on that key).

``overview()`` lists at most ``limit`` keys, sorted by name, with type, TTL and
size; ``inspect_key()`` reads one page of one key; ``key_names()`` lists names.
They answer plain data classes the view turns into JSON. A key that vanishes
between two reads (it expired, or another tab deleted it) is left out, or
answered as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tryredis.wire import ErrorReply, Reply

PAGE_ITEMS = 50
STRING_PAGE_BYTES = 1024

SIZE_COMMANDS = {
    b"string": b"STRLEN",
    b"list": b"LLEN",
    b"hash": b"HLEN",
    b"set": b"SCARD",
    b"zset": b"ZCARD",
    b"stream": b"XLEN",
}


class Executes(Protocol):
    """What this module needs of a sandbox: ``Sandbox.execute``."""

    async def execute(self, args: list[bytes]) -> Reply:
        """Run one command in the learner's sandbox."""
        ...


@dataclass(frozen=True)
class KeyInfo:
    """One key in the list: its type, milliseconds to live (None: no expiry) and size."""

    name: bytes
    type: str
    ttl_ms: int | None
    size: int


@dataclass(frozen=True)
class Overview:
    """The first ``limit`` keys matching the filter, and how many matched in all."""

    keys: list[KeyInfo]
    total: int


@dataclass
class KeyView:
    """One page of one key's value, shaped for its type (see ``inspect_key``)."""

    info: KeyInfo
    encoding: str
    items: list[Any] = field(default_factory=list)
    next_page: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def _run(sandbox: Executes, *args: bytes) -> Reply:
    return await sandbox.execute(list(args))


def _int(reply: Reply) -> int:
    return reply if isinstance(reply, int) else 0


def _list(reply: Reply) -> list[Reply]:
    return reply if isinstance(reply, list) else []


def _bytes(reply: Reply) -> bytes:
    return reply if isinstance(reply, bytes) and not isinstance(reply, ErrorReply) else b""


async def key_names(sandbox: Executes, pattern: bytes = b"*") -> list[bytes]:
    """The learner's key names matching a glob, sorted."""
    return sorted(n for n in _list(await _run(sandbox, b"KEYS", pattern)) if isinstance(n, bytes))


async def describe(sandbox: Executes, name: bytes) -> KeyInfo | None:
    """Type, TTL and size of one key; None when it does not exist."""
    kind = _bytes(await _run(sandbox, b"TYPE", name)).decode()
    if kind not in {k.decode() for k in SIZE_COMMANDS}:
        return None
    ttl = _int(await _run(sandbox, b"PTTL", name))
    if ttl == -2:
        return None
    size = _int(await _run(sandbox, SIZE_COMMANDS[kind.encode()], name))
    return KeyInfo(name, kind, ttl if ttl >= 0 else None, size)


async def overview(sandbox: Executes, *, pattern: bytes = b"*", limit: int = 50) -> Overview:
    """The first ``limit`` keys (by name) matching ``pattern``, described."""
    names = await key_names(sandbox, pattern)
    keys = [info for name in names[:limit] if (info := await describe(sandbox, name))]
    return Overview(keys, len(names))


def _offset(page: str) -> int:
    return int(page) if page.isdigit() and len(page) < 12 else 0


async def inspect_key(sandbox: Executes, name: bytes, page: str = "") -> KeyView | None:
    """One page of a key's value; None when the key does not exist.

    ``items`` by type: list ``[index, value]``, hash ``[field, value]``, set
    members, zset ``[rank, member, score]``, stream ``[id, [field, value, ...]]``;
    a string's page is ``extra["value"]`` (``STRING_PAGE_BYTES`` from the offset).
    ``page`` is an offset (list, zset, string), a SCAN cursor (hash, set) or the
    last ID shown (stream); ``next_page`` is the next one, None at the end.
    """
    info = await describe(sandbox, name)
    if info is None:
        return None
    encoding = _bytes(await _run(sandbox, b"OBJECT", b"ENCODING", name)).decode()
    view = KeyView(info, encoding)
    reader = _READERS[info.type]
    await reader(sandbox, view, page)
    return view


async def _list_page(sandbox: Executes, view: KeyView, page: str) -> None:
    start = _offset(page)
    stop = start + PAGE_ITEMS - 1
    values = _list(await _run(sandbox, b"LRANGE", view.info.name, b"%d" % start, b"%d" % stop))
    view.items = [[start + i, value] for i, value in enumerate(values)]
    view.next_page = str(stop + 1) if stop + 1 < view.info.size else None


async def _zset_page(sandbox: Executes, view: KeyView, page: str) -> None:
    start = _offset(page)
    stop = start + PAGE_ITEMS - 1
    flat = _list(
        await _run(sandbox, b"ZRANGE", view.info.name, b"%d" % start, b"%d" % stop, b"WITHSCORES")
    )
    view.items = [[start + i // 2, flat[i], flat[i + 1]] for i in range(0, len(flat) - 1, 2)]
    view.next_page = str(stop + 1) if stop + 1 < view.info.size else None


async def _scan_page(sandbox: Executes, view: KeyView, page: str) -> None:
    command = b"HSCAN" if view.info.type == "hash" else b"SSCAN"
    cursor = page.encode() if page.isdigit() else b"0"
    reply = _list(
        await _run(sandbox, command, view.info.name, cursor, b"COUNT", b"%d" % PAGE_ITEMS)
    )
    found = _list(reply[1]) if len(reply) == 2 else []
    if command == b"HSCAN":
        view.items = [[found[i], found[i + 1]] for i in range(0, len(found) - 1, 2)]
    else:
        view.items = sorted(found, key=lambda m: m if isinstance(m, bytes) else b"")
    following = _bytes(reply[0]) if reply else b"0"
    view.next_page = following.decode() if following not in (b"0", b"") else None


async def _stream_page(sandbox: Executes, view: KeyView, page: str) -> None:
    start = b"(" + page.encode() if page else b"-"
    entries = _list(
        await _run(sandbox, b"XRANGE", view.info.name, start, b"+", b"COUNT", b"%d" % PAGE_ITEMS)
    )
    view.items = [list(e) for e in entries if isinstance(e, list) and len(e) == 2]
    last = view.items[-1][0] if view.items else None
    if len(view.items) == PAGE_ITEMS and isinstance(last, bytes):
        view.next_page = last.decode()
    groups = []
    for group in _list(await _run(sandbox, b"XINFO", b"GROUPS", view.info.name)):
        fields = _list(group)
        pairs = {_bytes(fields[i]): fields[i + 1] for i in range(0, len(fields) - 1, 2)}
        groups.append(
            {
                "name": _bytes(pairs.get(b"name")),
                "consumers": _int(pairs.get(b"consumers")),
                "pending": _int(pairs.get(b"pending")),
                "last_delivered": _bytes(pairs.get(b"last-delivered-id")).decode(),
            }
        )
    view.extra["groups"] = groups


async def _string_page(sandbox: Executes, view: KeyView, page: str) -> None:
    start = _offset(page)
    stop = start + STRING_PAGE_BYTES - 1
    name = view.info.name
    value = _bytes(await _run(sandbox, b"GETRANGE", name, b"%d" % start, b"%d" % stop))
    view.extra["value"] = value
    view.extra["offset"] = start
    view.next_page = str(stop + 1) if stop + 1 < view.info.size else None
    header = value[:4] if start == 0 else _bytes(await _run(sandbox, b"GETRANGE", name, b"0", b"3"))
    if header == b"HYLL":
        estimate = await _run(sandbox, b"PFCOUNT", name)
        if isinstance(estimate, int):
            view.extra["estimate"] = estimate


_READERS = {
    "list": _list_page,
    "zset": _zset_page,
    "hash": _scan_page,
    "set": _scan_page,
    "stream": _stream_page,
    "string": _string_page,
}
