"""POST /api/v1/resp: typed replies, as RESP or JSON, under the same door as /api/v1/run."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.views.resp import BODY_MAX_BYTES, MAX_COMMANDS
from tryredis.wire import pack

RESP = {"Content-Type": "application/x-redis-resp"}


def post_resp(api: ApiSession, *commands: list[bytes]) -> bytes:
    """Send commands as RESP with the bearer token; the RESP answer."""
    response = api.client.post(
        "/api/v1/resp", content=pack(commands), headers={**api.headers, **RESP}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-redis-resp"
    assert response.headers["cache-control"] == "no-store"
    return response.content


def test_replies_keep_their_resp_types(api: ApiSession) -> None:
    body = post_resp(
        api,
        [b"SET", b"greeting", b"hello"],
        [b"GET", b"greeting"],
        [b"GET", b"missing"],
        [b"INCR", b"n"],
        [b"RPUSH", b"list", b"a", b"b"],
        [b"LRANGE", b"list", b"0", b"-1"],
        [b"INCR", b"greeting"],
        [b"GET"],
    )
    assert body == (
        b"+OK\r\n$5\r\nhello\r\n$-1\r\n:1\r\n:2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        b"-ERR value is not an integer or out of range\r\n"
        b"-ERR wrong number of arguments for 'get' command\r\n"
    )


def test_binary_values_and_a_transaction(api: ApiSession) -> None:
    value = bytes(range(256))
    body = post_resp(
        api,
        [b"MULTI"],
        [b"SET", b"bin", value],
        [b"STRLEN", b"bin"],
        [b"GET", b"bin"],
        [b"EXEC"],
    )
    assert body == (
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n:256\r\n$256\r\n" + value + b"\r\n"
    )


def test_refusals_are_errors_with_their_own_code(api: ApiSession) -> None:
    body = post_resp(api, [b"CONFIG", b"GET", b"*"], [b"PING"])
    refusal, pong = body.split(b"\r\n")[:2]
    assert refusal.startswith(b"-REFUSED CONFIG GET is not available in the sandbox")
    assert pong == b"+PONG"


def test_the_namespace_is_stripped(api: ApiSession, redis_server: RedisServer) -> None:
    body = post_resp(api, [b"SET", b"mine", b"1"], [b"KEYS", b"*"], [b"GET", b"nothere"])
    assert body == b"+OK\r\n*1\r\n$4\r\nmine\r\n$-1\r\n"
    learner = api.token.split(".")[0]
    assert redis_server.client().get(f"tryredis:u:{{{learner}}}:mine") == b"1"


def test_json_in_json_out(api: ApiSession) -> None:
    response = api.client.post(
        "/api/v1/resp",
        json={
            "commands": [
                ["SET", "k", {"base64": base64.b64encode(b"\xff\x00").decode()}],
                ["GET", "k"],
                ["SET", "t", "€"],
                ["GET", "t"],
                ["HSET", "h", "f", "v"],
                ["HGETALL", "h"],
                ["GET", "none"],
                ["DEBUG", "SLEEP", "1"],
                ["LPUSH", "k", "x"],
            ]
        },
        headers=api.headers,
    )
    assert response.status_code == 200, response.text
    replies = response.json()["replies"]
    assert replies[:7] == [
        {"type": "status", "value": "OK"},
        {"type": "bulk", "base64": "/wA="},
        {"type": "status", "value": "OK"},
        {"type": "bulk", "value": "€"},
        {"type": "integer", "value": 1},
        {
            "type": "array",
            "value": [{"type": "bulk", "value": "f"}, {"type": "bulk", "value": "v"}],
        },
        {"type": "null"},
    ]
    assert replies[7]["type"] == "refused" and replies[7]["value"].startswith("DEBUG")
    assert replies[8] == {
        "type": "error",
        "value": "WRONGTYPE Operation against a key holding the wrong kind of value",
    }
    single = api.client.post("/api/v1/resp", json={"command": ["PING"]}, headers=api.headers)
    assert single.json() == {"replies": [{"type": "status", "value": "PONG"}]}


@pytest.mark.parametrize(
    "payload",
    [
        {"commands": []},
        {"command": []},
        {"command": "PING"},
        {"command": ["SET", "k", 1]},
        {"command": ["SET", "k", {"base64": "%%%"}]},
        {"lines": ["PING"]},
        {"command": ["PING"], "extra": 1},
    ],
)
def test_malformed_json_is_400(api: ApiSession, payload: object) -> None:
    response = api.client.post("/api/v1/resp", json=payload, headers=api.headers)
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        b"PING\r\n",  # an inline command
        b"*1\r\n*1\r\n$4\r\nPING\r\n",  # a nested array
        b"*1\r\n:1\r\n",  # an integer argument
        b"*2\r\n$3\r\nGET\r\n$1\r\nk",  # truncated
        b"*1\r\n$10\r\nPING\r\n",  # a wrong length
        b"*0\r\n",
        b"",
    ],
)
def test_malformed_resp_is_400(api: ApiSession, body: bytes) -> None:
    response = api.client.post("/api/v1/resp", content=body, headers={**api.headers, **RESP})
    assert response.status_code == 400, response.text


def test_an_oversized_pipeline_runs_nothing(api: ApiSession) -> None:
    too_many = [[b"INCR", b"counter"]] * (MAX_COMMANDS + 1)
    for response in (
        api.client.post("/api/v1/resp", content=pack(too_many), headers={**api.headers, **RESP}),
        api.client.post(
            "/api/v1/resp",
            json={"commands": [["INCR", "counter"]] * (MAX_COMMANDS + 1)},
            headers=api.headers,
        ),
    ):
        assert response.status_code == 400
        assert f"at most {MAX_COMMANDS} commands" in response.json()["error"]
    assert api.out("GET counter") == "(nil)"
    assert post_resp(api, *[[b"INCR", b"counter"]] * MAX_COMMANDS).endswith(b":20\r\n")


def test_body_and_argument_limits(api: ApiSession) -> None:
    huge = pack([[b"SET", b"k", b"x" * BODY_MAX_BYTES]])
    response = api.client.post("/api/v1/resp", content=huge, headers={**api.headers, **RESP})
    assert response.status_code == 413
    body = post_resp(api, [b"SET", b"k", b"x" * 70_000], [b"PING", *[b"a"] * 64])
    assert body.startswith(b"-REFUSED an argument of 70000 bytes is over the limit of 65536")
    assert b"-REFUSED a command may have at most 64 arguments" in body
    assert api.out("EXISTS k") == "(integer) 0"


def test_same_door_as_run(client: TestClient) -> None:
    ping = pack([[b"PING"]])
    assert client.post("/api/v1/resp", content=ping, headers=RESP).status_code == 401
    bad = {"Authorization": "Bearer nonsense", **RESP}
    assert client.post("/api/v1/resp", content=ping, headers=bad).status_code == 401
    api = ApiSession.open(client)
    text = {**api.headers, "Content-Type": "text/plain"}
    assert client.post("/api/v1/resp", content=ping, headers=text).status_code == 415
    # A browser: the page sets the cookie; without the CSRF token, or cross-site, 403.
    page = client.get("/repl")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/api/v1/resp", content=ping, headers=RESP).status_code == 403
    cross = {**RESP, "X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    assert client.post("/api/v1/resp", content=ping, headers=cross).status_code == 403
    mine = {**RESP, "X-CSRF-Token": csrf, "Origin": "http://testserver"}
    response = client.post("/api/v1/resp", content=ping, headers=mine)
    assert (response.status_code, response.content) == (200, b"+PONG\r\n")


def test_each_command_pays_the_rate_limit(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, rate_per_second=0.5, rate_burst=5)
    with TestClient(create_app(settings)) as client:
        api = ApiSession.open(client)
        headers = {**api.headers, **RESP}
        five = pack([[b"INCR", b"n"]] * 5)
        assert client.post("/api/v1/resp", content=five, headers=headers).status_code == 200
        limited = client.post("/api/v1/resp", content=pack([[b"PING"]]), headers=headers)
        assert limited.status_code == 429
        assert float(limited.headers["retry-after"]) > 0
        assert (
            api.client.post("/api/v1/run", json={"line": "PING"}, headers=api.headers).status_code
            == 429
        )


def test_commands_are_journaled_for_teachers_and_checks(client: TestClient) -> None:
    api = ApiSession.open(client)
    post_resp(api, [b"SET", b"greeting", b"hello world"], [b"GET", b"greeting"], [b"FLUSHX"])
    post_resp(api, [b"CONFIG", b"GET", b"*"])
    learner = api.token.split(".")[0]
    journal = client.app.state.services.journal  # type: ignore[attr-defined]
    entries = client.portal.call(journal.recent, learner, 10)  # type: ignore[union-attr]
    assert [(e.line, e.output, e.kind, e.source) for e in entries][:3] == [
        ('SET greeting "hello world"', "OK", "reply", "resp"),
        ("GET greeting", '"hello world"', "reply", "resp"),
        (
            "FLUSHX",
            "(error) ERR unknown command 'FLUSHX', with args beginning with: ",
            "error",
            "resp",
        ),
    ]
    assert entries[3].kind == "refused" and entries[3].output.startswith("(refused) CONFIG GET")
