"""The learner's journal: every line run through the API, numbered, bounded, private."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.journal import JournalEntry


@pytest.fixture(scope="module")
def small_journal(server: RedisServer) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(server, journal_lines=5))) as client:
        yield client


def _journal(client: TestClient, learner: ApiSession, method: str, arg: int) -> list[JournalEntry]:
    journal = client.app.state.services.journal  # type: ignore[attr-defined]
    learner_id = learner.token.split(".")[0]

    async def read() -> list[JournalEntry]:
        entries: list[JournalEntry] = await getattr(journal, method)(learner_id, arg)
        return entries

    return client.portal.call(read)  # type: ignore[union-attr]


def test_lines_are_recorded_with_outputs_kinds_and_numbers(small_journal: TestClient) -> None:
    learner = ApiSession.open(small_journal)
    response = small_journal.post(
        "/api/v1/run",
        json={"lines": ["SET a 1", "", "INCR a", "NOSUCH", "CONFIG GET *"]},
        headers=learner.headers,
    )
    assert response.status_code == 200
    entries = _journal(small_journal, learner, "recent", 10)
    assert [(e.seq, e.line, e.output, e.kind, e.source) for e in entries] == [
        (1, "SET a 1", "OK", "reply", "repl"),
        (2, "INCR a", "(integer) 2", "reply", "repl"),
        (3, "NOSUCH", entries[2].output, "error", "repl"),
        (4, "CONFIG GET *", entries[3].output, "refused", "repl"),
    ]
    assert entries[2].output.startswith("(error) ERR unknown command 'NOSUCH'")
    assert [e.seq for e in _journal(small_journal, learner, "since", 2)] == [3, 4]


def test_only_the_last_entries_are_kept_and_numbering_continues(small_journal: TestClient) -> None:
    learner = ApiSession.open(small_journal)
    for n in range(8):
        learner.run(f"ECHO {n}")
    entries = _journal(small_journal, learner, "recent", 100)
    assert [e.seq for e in entries] == [4, 5, 6, 7, 8]
    assert [e.line for e in entries] == [f"ECHO {n}" for n in range(3, 8)]
    assert _journal(small_journal, learner, "since", 7)[0].output == '"7"'


def test_long_lines_and_outputs_are_clipped(small_journal: TestClient) -> None:
    learner = ApiSession.open(small_journal)
    learner.run("SET big " + "x" * 2000)
    learner.run("GET big")
    entries = _journal(small_journal, learner, "recent", 2)
    assert all(len(e.line) <= 300 and len(e.output) <= 300 for e in entries)
    assert entries[1].output.endswith("…")


def test_learners_have_separate_journals_and_delete_forgets_it(
    small_journal: TestClient, server: RedisServer
) -> None:
    alice, bob = ApiSession.open(small_journal), ApiSession.open(small_journal)
    alice.run("SET secret 1")
    assert _journal(small_journal, bob, "recent", 10) == []
    gone = small_journal.delete("/api/v1/sessions/current", headers=alice.headers)
    assert gone.status_code == 204
    alice_id = alice.token.split(".")[0]
    assert server.client().exists(f"tryredis:j:{{{alice_id}}}") == 0
