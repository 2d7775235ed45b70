"""What the REPL in the browser knows about commands, built from the sandbox's command table.

One JSON document, served at a URL that carries its own hash (so browsers keep it
for a year and a new table is a new URL): every command and subcommand with its
argument tree (``tryredis.ui.syntax``), whether the sandbox runs it (and if not,
why), and whether it may write (the keys panel reads again after those). The
browser uses it for hints, Tab completion, "did you mean" and refreshing the panel.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from tryredis.repl import CommandSpec, commands_by_group, find_spec
from tryredis.ui.syntax import Node, SyntaxUnparsed, parse

# Placeholders that name one of the learner's keys: Tab completes them from the sandbox.
KEY_PLACEHOLDERS = frozenset(
    {"key", "key1", "key2", "destination", "destkey", "dst", "newkey", "source", "sourcekey", "src"}
)

STATES = {"redis": "ok", "transaction": "ok", "pubsub": "ok", "emulated": "emulated"}


def _mark_keys(nodes: list[Node]) -> list[Node]:
    for node in nodes:
        if node.get("a") in KEY_PLACEHOLDERS:
            node["k"] = 1
        for child in ("o", "r"):
            if child in node:
                _mark_keys(node[child])
        for choice in ("c", "oc"):
            for alt in node.get(choice, []):
                _mark_keys(alt)
    return nodes


def _entry(spec: CommandSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"n": spec.display, "g": spec.group}
    try:
        entry["a"] = _mark_keys(parse(spec.syntax, len(spec.name.split("|"))))
    except SyntaxUnparsed:  # COMMAND's "subcommand [argument ...]": hinted as text
        entry["x"] = spec.syntax.split(" ", 1)[1]
    if spec.handler == "refused":
        entry["why"] = spec.refusal or "not available in the sandbox"
    else:
        entry["st"] = STATES[spec.handler]
        if "write" in spec.flags or spec.name == "exec":  # EXEC runs the queued writes
            entry["w"] = 1
    return entry


def _container(name: str, subs: list[CommandSpec]) -> dict[str, Any]:
    spec = find_spec(name)
    assert spec is not None
    entry: dict[str, Any] = {
        "n": spec.display,
        "g": spec.group,
        "subs": sorted(s.name.partition("|")[2] for s in subs),
    }
    if all(s.handler == "refused" for s in subs):
        entry["why"] = next((s.refusal for s in subs if s.refusal), "not available in the sandbox")
    else:
        entry["st"] = "ok"
    return entry


def build() -> dict[str, Any]:
    """The catalogue, ``{"commands": {name: entry}}``, named as the table (``object|encoding``)."""
    leaves = sorted((s for specs in commands_by_group().values() for s in specs), key=_name)
    commands = {spec.name: _entry(spec) for spec in leaves}
    containers: dict[str, list[CommandSpec]] = {}
    for spec in leaves:
        parent, _, sub = spec.name.partition("|")
        if sub:
            containers.setdefault(parent, []).append(spec)
    for parent, subs in containers.items():
        if parent in commands:  # COMMAND runs alone and has subcommands too
            commands[parent]["subs"] = sorted(s.name.partition("|")[2] for s in subs)
        else:
            commands[parent] = _container(parent, subs)
    return {"commands": dict(sorted(commands.items()))}


def _name(spec: CommandSpec) -> str:
    return spec.name


@functools.cache
def document() -> tuple[bytes, str]:
    """The catalogue as compact JSON bytes, and the first 16 hex digits of its SHA-256."""
    body = json.dumps(build(), separators=(",", ":"), sort_keys=True).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]
