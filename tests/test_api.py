"""The HTTP API v1 exactly as DESIGN.md says: sessions, run, delete, status codes, limits."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from starlette.requests import ClientDisconnect, Request
from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.views.api import ApiError, read_json


def test_create_run_delete(client: TestClient, redis_server: RedisServer) -> None:
    created = client.post("/api/v1/sessions")
    assert created.status_code == 201
    token = created.json()["token"]
    assert re.fullmatch(r"[a-z0-9]{26}\.[A-Za-z0-9_-]{32}", token)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        "/api/v1/run", json={"lines": ["SET a 1", "GET a", "GET", 'SET "x']}, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "results": [
            {"line": "SET a 1", "output": "OK", "kind": "reply"},
            {"line": "GET a", "output": '"1"', "kind": "reply"},
            {
                "line": "GET",
                "output": "(error) ERR wrong number of arguments for 'get' command",
                "kind": "error",
            },
            {"line": 'SET "x', "output": "Invalid argument(s)", "kind": "parse"},
        ]
    }
    learner = token.split(".")[0]
    assert redis_server.client().exists(f"tryredis:u:{{{learner}}}:a") == 1
    deleted = client.delete("/api/v1/sessions/current", headers=headers)
    assert deleted.status_code == 204
    # Nothing is left but the mark that the id's session ended (tests/abuse/test_sessions_http.py).
    assert redis_server.client().keys(f"*{{{learner}}}*") == [
        f"tryredis:s:{{{learner}}}.end".encode()
    ]
    again = client.post("/api/v1/run", json={"line": "PING"}, headers=headers)
    assert again.status_code == 401


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nonsense"}, 401),
        ({"Authorization": "Bearer aaaaaaaaaaaaaaaaaaaaaaaaaa.forged-signature-forged-sig"}, 401),
        ({"Authorization": "Basic dXNlcjpwdw=="}, 401),
    ],
)
def test_missing_or_forged_tokens_are_401(
    client: TestClient, headers: dict[str, str], status: int
) -> None:
    response = client.post("/api/v1/run", json={"line": "PING"}, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()


def test_body_errors(api: ApiSession) -> None:
    client, headers = api.client, api.headers
    assert client.post("/api/v1/run", content=b"line=PING", headers=headers).status_code == 415
    json_headers = {**headers, "Content-Type": "application/json"}
    assert client.post("/api/v1/run", content=b"{nope", headers=json_headers).status_code == 400
    assert client.post("/api/v1/run", json={"line": 3}, headers=headers).status_code == 400
    assert client.post("/api/v1/run", json={"lines": []}, headers=headers).status_code == 400
    too_many = client.post("/api/v1/run", json={"lines": ["PING"] * 21}, headers=headers)
    assert too_many.status_code == 400
    huge = client.post("/api/v1/run", json={"line": "x" * 2_000_000}, headers=headers)
    assert huge.status_code == 413
    assert client.get("/api/v1/run").status_code == 405


def test_browser_cookie_needs_csrf_and_same_origin(client: TestClient) -> None:
    page = client.get("/repl").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert csrf
    body = {"line": "SET from-browser 1"}
    assert client.post("/api/v1/run", json=body).status_code == 403  # no CSRF token
    wrong = {"X-CSRF-Token": "wrong"}
    assert client.post("/api/v1/run", json=body, headers=wrong).status_code == 403
    token = {"X-CSRF-Token": csrf.group(1)}
    cross = {**token, "Origin": "https://evil.example"}
    assert client.post("/api/v1/run", json=body, headers=cross).status_code == 403
    fetch_site = {**token, "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/v1/run", json=body, headers=fetch_site).status_code == 403
    same = {**token, "Origin": "http://testserver"}
    response = client.post("/api/v1/run", json=body, headers=same)
    assert response.status_code == 200
    assert response.json()["results"][0]["output"] == "OK"
    # The browser's first command created its sandbox; the next ones find it.
    again = client.post("/api/v1/run", json={"line": "GET from-browser"}, headers=token)
    assert again.json()["results"][0]["output"] == '"1"'


def test_a_token_cookie_or_csrf_header_with_any_byte_is_refused_not_a_500(
    client: TestClient,
) -> None:
    # Headers arrive as latin-1 text; compare_digest raised on "é" and the site answered 500.
    forged = ("a" * 26 + ".\u00e9").encode("latin-1")
    cookie = {b"Cookie": b"tryredis_session=" + forged}
    assert client.get("/repl", headers=cookie).status_code == 200  # a new learner's page
    body = {"line": "PING"}
    bearer = {b"Authorization": b"Bearer " + forged}
    assert client.post("/api/v1/run", json=body, headers=bearer).status_code == 401
    client.get("/repl")  # a genuine cookie, then a CSRF header with such a byte
    csrf = {b"X-CSRF-Token": "\u00e9".encode("latin-1")}
    assert client.post("/api/v1/run", json=body, headers=csrf).status_code == 403


def test_learner_rate_limit_answers_429_with_retry_after(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, rate_per_second=2.0, rate_burst=3)
    with TestClient(create_app(settings)) as client:
        learner = ApiSession.open(client)
        statuses = [
            client.post("/api/v1/run", json={"line": "PING"}, headers=learner.headers)
            for _ in range(4)
        ]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        limited = statuses[-1]
        assert int(limited.headers["retry-after"]) >= 1
        assert "commands per learner" in limited.json()["error"]
        # Another learner is not limited by this one.
        other = ApiSession.open(client)
        assert other.out("PING") == "PONG"
        time.sleep(0.6)  # 2 tokens per second: one is back
        assert learner.out("PING") == "PONG"


def test_a_batch_costs_one_token_per_line(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, rate_per_second=1.0, rate_burst=5)
    with TestClient(create_app(settings)) as client:
        learner = ApiSession.open(client)
        ok = client.post("/api/v1/run", json={"lines": ["PING"] * 5}, headers=learner.headers)
        assert ok.status_code == 200
        again = client.post("/api/v1/run", json={"line": "PING"}, headers=learner.headers)
        assert again.status_code == 429


def test_client_address_rate_limit(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, ip_rate_per_second=1.0, ip_rate_burst=3)
    with TestClient(create_app(settings)) as client:
        first, second = ApiSession.open(client), ApiSession.open(client)
        assert first.out("PING") == "PONG"
        assert second.out("PING") == "PONG"
        assert first.out("PING") == "PONG"
        limited = client.post("/api/v1/run", json={"line": "PING"}, headers=second.headers)
        assert limited.status_code == 429
        assert "client address" in limited.json()["error"]


def test_new_sandboxes_per_address_per_hour(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, sessions_per_ip_hour=2)
    with TestClient(create_app(settings), client=("10.9.8.7", 1234)) as client:
        assert client.post("/api/v1/sessions").status_code == 201
        assert client.post("/api/v1/sessions").status_code == 201
        refused = client.post("/api/v1/sessions")
        assert refused.status_code == 429
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600


def test_redis_down_is_503_with_a_message(fresh_redis: RedisServer) -> None:
    with TestClient(create_app(settings_for(fresh_redis))) as client:
        learner = ApiSession.open(client)
        fresh_redis.stop()
        response = client.post("/api/v1/run", json={"line": "PING"}, headers=learner.headers)
        assert response.status_code == 503
        assert "unreachable" in response.json()["error"]
        assert client.post("/api/v1/sessions").status_code == 503


def test_idle_sandboxes_are_deleted_by_the_janitor(
    client: TestClient, redis_server: RedisServer
) -> None:
    from tryredis.janitor import Janitor

    learner = ApiSession.open(client)
    assert learner.out("SET k v") == "OK"
    learner_id = learner.token.split(".")[0]
    services = client.app.state.services  # type: ignore[attr-defined]
    janitor = Janitor(
        services.site, services.keys.sandboxes, services.keys.janitor_lock, 3600,
        lambda lid: services.sandbox_reset(lid, keep_session=False),
    )  # fmt: skip

    async def sweep(now: float) -> int:
        return await janitor.sweep(now)

    deleted = client.portal.call(sweep, time.time() + 7200)  # type: ignore[union-attr]
    assert deleted >= 1
    assert redis_server.client().keys(f"*{{{learner_id}}}*") == []
    gone = client.post("/api/v1/run", json={"line": "PING"}, headers=learner.headers)
    assert gone.status_code == 401


def test_browser_reset_empties_the_sandbox_and_leaves_multi(client: TestClient) -> None:
    page = client.get("/repl").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert csrf
    headers = {"X-CSRF-Token": csrf.group(1)}

    def out(line: str) -> str:
        response = client.post("/api/v1/run", json={"line": line}, headers=headers)
        result: str = response.json()["results"][0]["output"]
        return result

    assert out("SET k v") == "OK"
    assert out("WATCH k") == "OK"
    assert out("MULTI") == "OK"
    assert client.post("/sandbox/reset", json={}, headers=headers).status_code == 200
    assert out("GET k") == "(nil)"  # not QUEUED: the reset left the transaction
    assert out("EXEC") == "(error) ERR EXEC without MULTI"


def test_a_body_in_many_messages_is_read_whole_within_its_limit(client: TestClient) -> None:
    def request(*parts: bytes, disconnect: bool = False) -> Request:
        messages: list[dict[str, Any]] = [
            {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
            for i, part in enumerate(parts)
        ]
        if disconnect:
            messages[-1] = {"type": "http.disconnect"}

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        headers = [(b"content-type", b"application/json")]  # no length: sent in chunks
        scope = {"type": "http", "app": client.app, "headers": headers, "method": "POST"}
        return Request(scope, receive)

    assert asyncio.run(read_json(request(b'{"li', b"", b'ne": "PING"}'), 100)) == {"line": "PING"}
    assert asyncio.run(read_json(request(b'{"line": "PING"}'), 100)) == {"line": "PING"}
    with pytest.raises(ApiError) as over:
        asyncio.run(read_json(request(b"[" + b"1," * 40, b"1" * 30 + b"]"), 100))
    assert over.value.status == 413
    with pytest.raises(ApiError) as whole:  # one message over the limit, no length declared
        asyncio.run(read_json(request(b'"' + b"x" * 200 + b'"'), 100))
    assert whole.value.status == 413
    with pytest.raises(ClientDisconnect):
        asyncio.run(read_json(request(b'{"li', b"", disconnect=True), 100))
