"""The Redis documentation's examples print, through the sandbox, what redis-cli prints.

Each example runs in a fresh sandbox through ``POST /api/v1/run``, line after line, and
each output is compared with the corpus (README.md here):

- a deterministic line must match byte for byte (a flat list marked ``unordered`` as a
  multiset), except lines exact only for Redis 7.0.15, checked only on a 7.0 server;
- clock-made stream IDs are masked, then the line must match;
- hash-ordered lists must hold the same items; random and time-dependent lines must be
  replies of the same shape (line count, reply types);
- the sandbox may refuse only the commands it refuses by design (COMMAND, INFO, CLIENT,
  ROLE): anything else refused fails.

The test app runs with the suite's generous rate limits (``TEST_LIMITS``): the defaults
(10 commands/s per learner) would make 674 lines take over a minute.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer

CORPUS = Path(__file__).with_name("redis-doc-examples.jsonl")
EXAMPLES: list[dict[str, Any]] = [json.loads(line) for line in CORPUS.read_text().splitlines()]
REFUSED_BY_DESIGN = {"COMMAND", "INFO", "CLIENT", "ROLE"}
STREAM_ID = re.compile(r'"\d{10,}-\d+"')
ITEM = re.compile(r"^\s*\d+\) ", re.M)  # the "1) " numbering of redis-cli's lists


def _id(example: dict[str, Any]) -> str:
    return f"{example['page']}-{example['block']}"


@pytest.fixture(scope="module")
def server_is_7_0(server: RedisServer) -> bool:
    """Whether the suite's redis-server is a 7.0 (the corpus was recorded on 7.0.15)."""
    version = str(server.client().info("server")["redis_version"])
    return version.startswith("7.0.")


@pytest.fixture
def sandbox(module_client: TestClient) -> Iterator[ApiSession]:
    """A fresh sandbox, deleted afterwards."""
    session = ApiSession.open(module_client)
    yield session
    module_client.delete("/api/v1/sessions/current", headers=session.headers)


def items(output: str) -> Counter[str]:
    """The lines of a reply without redis-cli's numbering, as a multiset."""
    return Counter(ITEM.sub("", output).splitlines())


def shape(output: str) -> list[str]:
    """The reply's structure: per line, its numbering and type, without the values."""
    return [re.sub(r'"(?:[^"\\]|\\.)*"|-?\d+(\.\d+)?', "v", line) for line in output.splitlines()]


def mismatch(line: dict[str, Any], result: dict[str, str], exact_versions: bool) -> str | None:
    """Why ``result`` does not conform to the corpus ``line`` (None if it does)."""
    command = line["cmd"].split()[0].upper()
    got, want = result["output"], line["out"]
    if result["kind"] == "refused":
        return None if command in REFUSED_BY_DESIGN else f"refused: {got}"
    if command in REFUSED_BY_DESIGN and command != "COMMAND":
        return f"{command} should be refused, got {result['kind']}: {got}"
    note = line.get("note", "")
    if line["deterministic"]:
        if ("7.0.15" in note or "7.2" in note) and not exact_versions:
            return None  # another server version answers otherwise, and rightly so
        if line.get("unordered"):
            return None if items(got) == items(want) else f"{got!r} != {want!r} (as a multiset)"
        return None if got == want else f"{got!r} != {want!r}"
    reason = line["reason"]
    if reason == "stream-id":
        masked = STREAM_ID.sub('"<id>"', got), STREAM_ID.sub('"<id>"', want)
        return None if masked[0] == masked[1] else f"{got!r} != {want!r} (IDs masked)"
    if reason == "hash-order" and "depend on the earlier SPOP" not in note:
        return None if items(got) == items(want) else f"{got!r} != {want!r} (as a multiset)"
    if result["kind"] != "reply" or len(got.splitlines()) != len(want.splitlines()):
        return f"{got!r} is not shaped like {want!r}"
    if reason == "time" and shape(got) != shape(want):
        return f"{got!r} is not shaped like {want!r}"
    return None


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_example_prints_what_redis_cli_prints(
    example: dict[str, Any], sandbox: ApiSession, server_is_7_0: bool
) -> None:
    failures = []
    for line in example["lines"]:
        result = sandbox.run(line["cmd"])
        why = mismatch(line, result, server_is_7_0)
        if why is not None:
            failures.append(f"{line['cmd']}: {why}")
    assert not failures, "\n".join(failures)


def test_the_corpus_is_whole() -> None:
    lines = [line for example in EXAMPLES for line in example["lines"]]
    assert (len(EXAMPLES), len(lines)) == (155, 674)
    assert sum(line["deterministic"] for line in lines) == 620
