"""``GET /repl/subscribe``: SUBSCRIBE streamed as server-sent events, within the sandbox."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import httpx
import pytest

from tests.support.redis_servers import RedisServer


def new_token(base: str) -> str:
    response = httpx.post(f"{base}/api/v1/sessions", json={})
    token: str = response.json()["token"]
    return token


def run(base: str, token: str, line: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/run", json={"line": line}, headers={"Authorization": f"Bearer {token}"}
    )
    output: str = response.json()["results"][0]["output"]
    return output


def subscribe_url(base: str, line: str) -> str:
    return f"{base}/repl/subscribe?line={urllib.parse.quote(line)}"


def test_messages_arrive_formatted_like_redis_cli(
    live_server: str, redis_server: RedisServer
) -> None:
    token = new_token(live_server)
    events: list[str] = []
    done = threading.Event()

    def listen() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.stream(
            "GET", subscribe_url(live_server, "SUBSCRIBE news alerts"), headers=headers, timeout=10
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            data: list[str] = []
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and data:
                    events.append("\n".join(data))
                    data = []
                    if len(events) == 4:
                        done.set()
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    deadline = time.monotonic() + 5
    while len(events) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run(live_server, token, "PUBLISH news hello") == "(integer) 1"
    assert done.wait(5)
    assert events[0] == "Reading messages... (press Ctrl-C to quit)"
    assert events[1] == '1) "subscribe"\n2) "news"\n3) (integer) 1'
    assert events[2] == '1) "subscribe"\n2) "alerts"\n3) (integer) 2'
    assert events[3] == '1) "message"\n2) "news"\n3) "hello"'
    # Another learner publishing to "news" reaches nobody: channels are per sandbox.
    other = new_token(live_server)
    assert run(live_server, other, "PUBLISH news spam") == "(integer) 0"
    listener.join(5)
    # The subscriber connection is gone once the stream ends.
    deadline = time.monotonic() + 5
    while (
        time.monotonic() < deadline and run(live_server, token, "PUBLISH news x") != "(integer) 0"
    ):
        time.sleep(0.05)
    assert run(live_server, token, "PUBLISH news x") == "(integer) 0"


@pytest.mark.parametrize(
    ("line", "status", "message"),
    [
        ("PSUBSCRIBE news.*", 400, "PSUBSCRIBE"),
        ("SUBSCRIBE a b c d e f", 400, "at most 5 channels"),
        ("GET k", 400, "SUBSCRIBE only"),
        ('SUBSCRIBE "a', 400, "Invalid argument(s)"),
    ],
)
def test_refusals(live_server: str, line: str, status: int, message: str) -> None:
    token = new_token(live_server)
    response = httpx.get(
        subscribe_url(live_server, line), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == status
    assert message in json.loads(response.text)["error"]


def test_needs_a_session_and_one_at_a_time(live_server: str) -> None:
    assert httpx.get(subscribe_url(live_server, "SUBSCRIBE a")).status_code == 401
    token = new_token(live_server)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "GET", subscribe_url(live_server, "SUBSCRIBE a"), headers=headers, timeout=10
    ) as first:
        assert first.status_code == 200
        lines = first.iter_lines()  # keep it: a collected iterator closes the stream
        next(lines)
        second = httpx.get(subscribe_url(live_server, "SUBSCRIBE b"), headers=headers)
        assert second.status_code == 409


def test_pubsub_introspection_sees_only_the_sandbox(live_server: str) -> None:
    token, other = new_token(live_server), new_token(live_server)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "GET", subscribe_url(live_server, "SUBSCRIBE news"), headers=headers, timeout=10
    ) as stream:
        lines = stream.iter_lines()
        while next(lines) != "data: 3) (integer) 1":
            pass
        assert run(live_server, token, "PUBSUB CHANNELS") == '1) "news"'
        assert run(live_server, token, "PUBSUB CHANNELS n*") == '1) "news"'
        assert run(live_server, token, "PUBSUB NUMSUB news other") == (
            '1) "news"\n2) (integer) 1\n3) "other"\n4) (integer) 0'
        )
        assert run(live_server, other, "PUBSUB CHANNELS") == "(empty array)"
        assert run(live_server, other, "PUBSUB NUMSUB news") == '1) "news"\n2) (integer) 0'
        assert run(live_server, token, "PUBSUB NUMPAT") == "(integer) 0"
