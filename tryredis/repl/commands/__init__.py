"""The command table's data: one module per help group, plus the refused commands."""

from tryredis.repl.commands import (
    bitmaps,
    emulated,
    generic,
    geo,
    hashes,
    hyperloglog,
    lists,
    newer,
    pubsub,
    refused,
    server,
    sets,
    sorted_sets,
    streams,
    strings,
)
from tryredis.repl.spec import CommandSpec

MODULES = (
    strings, bitmaps, hyperloglog, hashes, lists, sets, sorted_sets, geo, streams, generic,
    server, emulated, pubsub, refused, newer,
)  # fmt: skip

ALL: tuple[CommandSpec, ...] = tuple(spec for module in MODULES for spec in module.COMMANDS)
NEWER = newer.NAMES  # offered only when the connected server has them (table.py)
