"""The command catalogue the REPL's hints use: exact with the command table and its docs."""

from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient

from tryredis.repl import CommandSpec, commands_by_group, find_spec
from tryredis.ui import catalogue
from tryredis.ui.syntax import SyntaxUnparsed, parse, render

CONTAINER_SYNTAX = re.compile(r"^[A-Z]+ subcommand \[argument \.\.\.\]$")


def _every_spec() -> dict[str, CommandSpec]:
    leaves = {s.name: s for specs in commands_by_group().values() for s in specs}
    parents = {name.split("|")[0] for name in leaves if "|" in name}
    return {**leaves, **{p: s for p in parents if (s := find_spec(p)) is not None}}


SPECS = _every_spec()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_syntax_line_round_trips(name: str) -> None:
    syntax = SPECS[name].syntax
    words = len(name.split("|"))
    if CONTAINER_SYNTAX.match(syntax):
        with pytest.raises(SyntaxUnparsed):
            parse(syntax, words)
        return
    tree = parse(syntax, words)
    head = " ".join(syntax.split(" ")[:words])
    assert " ".join([head, render(tree)]).rstrip() == syntax


def test_trees_read_as_redis_means_them() -> None:
    assert parse("ZUNION numkeys key [key ...] [AGGREGATE SUM | MIN | MAX]", 1) == [
        {"a": "numkeys"},
        {"r": [{"a": "key"}]},
        {"tc": "AGGREGATE", "oc": [[{"t": "SUM"}], [{"t": "MIN"}], [{"t": "MAX"}]]},
    ]
    assert parse("HSET key field value [field value ...]", 1) == [
        {"a": "key"},
        {"r": [{"a": "field"}, {"a": "value"}]},
    ]
    assert parse("XADD key <* | id>", 1) == [{"a": "key"}, {"c": [[{"t": "*"}], [{"a": "id"}]]}]


def test_catalogue_matches_the_table() -> None:
    entries = catalogue.build()["commands"]
    leaves = [s for specs in commands_by_group().values() for s in specs]
    assert {s.name for s in leaves} <= set(entries)
    for spec in leaves:
        entry = entries[spec.name]
        assert entry["n"] == spec.display
        if spec.handler == "refused":
            assert entry["why"] == spec.refusal and "st" not in entry
        else:
            assert entry["st"] == ("emulated" if spec.handler == "emulated" else "ok")
            writes = "write" in spec.flags or spec.name == "exec"
            assert entry.get("w") == (1 if writes else None), spec.name
        rest = render(entry["a"]) if "a" in entry else entry["x"]
        assert spec.syntax == f"{spec.display} {rest}".rstrip()
    for name, entry in entries.items():
        assert find_spec(name) is not None, name
        for sub in entry.get("subs", []):
            assert find_spec(f"{name} {sub}") is not None
    subs = {s.name.split("|")[0] for s in leaves if "|" in s.name}
    assert {n for n, e in entries.items() if "subs" in e} == subs
    assert entries["config"]["why"]  # every CONFIG subcommand is refused
    assert entries["object"]["st"] == "ok" and "encoding" in entries["object"]["subs"]
    assert entries["get"]["a"] == [{"a": "key", "k": 1}]


def test_catalogue_is_served_immutable_at_its_hash(client: TestClient) -> None:
    body, digest = catalogue.document()
    page = client.get("/repl").text
    match = re.search(r'data-commands-url="([^"]+)"', page)
    assert match and match.group(1) == f"/repl/commands.{digest}.json"
    answer = client.get(match.group(1))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == body
    assert json.loads(body) == catalogue.build()
    assert client.get("/repl/commands.0000000000000000.json").status_code == 404
