"""The session lab: a hash in the sandbox, a sliding TTL, a new token at login, real logout."""

from __future__ import annotations

import hashlib

from tests.labs.conftest import Clock, Learner, ttl_of

LOGIN = "/lab/sessions/login"
ADA = {"user": "ada", "password": "correct horse battery staple"}


def test_login_me_and_logout(learner: Learner) -> None:
    assert learner.post(LOGIN, {"user": "ada", "password": "guess"}).status_code == 401
    assert learner.post(LOGIN, {"user": "nobody", "password": ""}).status_code == 401

    response = learner.post(LOGIN, ADA)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lab_sid=") and "HttpOnly" in cookie and "Path=/lab/sessions" in cookie
    token = response.cookies["lab_sid"]
    key = "session:" + hashlib.sha256(token.encode()).hexdigest()
    assert response.json()["session_key"] == key and token not in response.text

    assert {key, "user:ada:sessions"} <= learner.sandbox_keys()
    assert learner.run(f"HGET {key} user_id") == '"ada"'
    assert 1799 <= ttl_of(learner, key) <= 1800

    # The sliding TTL: as if 29 minutes passed, then one request pushes it back.
    assert learner.run(f"EXPIRE {key} 60") == "(integer) 1"
    me = learner.get("/lab/sessions/me")
    assert me.status_code == 200 and me.json()["user"] == "ada"
    assert me.json()["ttl_before"] <= 60 and me.json()["ttl"] == 1800
    assert 1799 <= ttl_of(learner, key) <= 1800

    out = learner.post("/lab/sessions/logout")
    assert out.status_code == 200 and out.json()["session_key"] == key
    assert key not in learner.sandbox_keys()
    assert learner.run("SMEMBERS user:ada:sessions") == "(empty array)"
    assert learner.get("/lab/sessions/me").status_code == 401


def test_a_new_login_replaces_the_session(learner: Learner) -> None:
    first = learner.post(LOGIN, ADA).json()["session_key"]
    second = learner.post(LOGIN, ADA).json()
    assert second["replaced"] == first and second["session_key"] != first
    assert learner.run(f"EXISTS {first}") == "(integer) 0"


def test_the_absolute_timeout_ends_an_active_session(learner: Learner, clock: Clock) -> None:
    key = learner.post(LOGIN, ADA).json()["session_key"]
    clock.advance(12 * 3600 + 1)
    assert learner.get("/lab/sessions/me").status_code == 401
    assert learner.run(f"EXISTS {key}") == "(integer) 0"


def test_a_session_only_works_with_its_own_cookie(learner: Learner) -> None:
    learner.post(LOGIN, ADA)
    jar = learner.client.cookies.jar
    (real,) = [c for c in jar if c.name == "lab_sid"]
    jar.clear(real.domain, real.path, real.name)
    learner.client.cookies.set("lab_sid", "forged", domain=real.domain, path=real.path)
    assert learner.get("/lab/sessions/me").status_code == 401
