"""Labs treat what the learner can edit as untrusted: no 500, no header built from it unchecked.

The learner can rewrite every key a lab stores (the REPL, or ``/api/v1/resp`` for any
bytes), so the fuzzers write arbitrary values and types into those keys, then call the
lab's endpoints with arbitrary bodies and headers, over real HTTP against a real Redis.
Every answer must be a deliberate status (a 409 names the key to fix), with header values
that are valid HTTP (visible ASCII), and nothing may be logged as an unhandled error.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.abuse.live_site import Browser, live_app
from tests.support.redis_servers import RedisServer

REPO = "redis/redis"
HTTP_REPO = f"/lab/http-caching/repo/{REPO}"
PROXY = f"/lab/http-caching/proxy/repo/{REPO}"
LOGIN = {"user": "ada", "password": "correct horse battery staple"}
DELIBERATE = {200, 304, 400, 401, 404, 405, 409, 413, 415, 429}
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Unhandled(logging.Handler):
    """Collects the app's error logs (an unhandled exception is logged before its 500)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Browser]:
    learner = Browser(site)
    yield learner
    learner.close()


@pytest.fixture(autouse=True)
def no_unhandled_errors() -> Iterator[None]:
    handler = Unhandled()
    for name in ("tryredis", "uvicorn.error"):
        logging.getLogger(name).addHandler(handler)
    yield
    for name in ("tryredis", "uvicorn.error"):
        logging.getLogger(name).removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


def deliberate(response: httpx.Response) -> httpx.Response:
    """Assert the answer is one the lab meant to give, with valid header values."""
    if response.status_code == 307:  # the site's own redirect of a trailing slash, and only it
        path = response.request.url.raw_path.split(b"?")[0]
        location = response.headers["location"].encode()
        assert path.endswith(b"/") and location == path.rstrip(b"/"), (path, location)
        return response
    assert response.status_code in DELIBERATE, (response.status_code, response.text[:300])
    for name, value in response.headers.items():
        assert HEADER_VALUE.fullmatch(value), (name, value)
    return response


NASTY = [
    "€".encode(),
    b"\xff\xfe",
    b"\r\nSet-Cookie: evil=1",
    b"\x00",
    "²".encode(),  # str.isdigit() says yes, int() says no
    b"99999999999999999999999999999999999999",
    b"-99999999999999999999999999999999999999",
    b"1" * 5000,
    b"inf",
    b"1e400",
    b" 12 ",
    b"[" * 3000,
    b"",
    b"max-age=\xc2\xb2",
    b"s-maxage=99999999999999999999, stale-while-revalidate=5",
    b"public, max-age=-5",
]
values = st.one_of(
    st.sampled_from(NASTY), st.binary(max_size=80), st.text(max_size=40).map(str.encode)
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda n: str(n).encode()), values
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["repo", "stars", "invalidate", "clients", "lock", "crash", "user", "password"]
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=4)
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
).map(str.strip)  # what a client can send: visible ASCII, no spaces around it


def reshape(browser: Browser, key: str, kind: str) -> None:
    """Make ``key`` a value of another type than the lab expects."""
    browser.execute("DEL", key)
    command = {"string": ["SET", key, "x"], "list": ["RPUSH", key, "x"], "set": ["SADD", key, "x"]}
    browser.execute(*command[kind])


kinds = st.sampled_from(["string", "list", "set"])


# The examples, one by one.


def test_a_non_ascii_etag_in_the_cached_representation(browser: Browser) -> None:
    key = f"cache:v1:http:repo:{REPO}"
    browser.execute("HSET", key, "etag", "€".encode(), "body", "{}", "modified", "1")
    response = deliberate(browser.request("GET", HTTP_REPO))
    assert response.status_code == 409 and key in response.json()["error"]
    browser.execute("DEL", key)
    assert deliberate(browser.request("GET", HTTP_REPO)).status_code == 200


def test_a_non_ascii_content_type_in_the_proxys_copy(browser: Browser) -> None:
    key = f"proxy:repo:{REPO}"
    now_ms = str(int(time.time() * 1000)).encode()
    browser.execute(
        "HSET",
        key,
        "content-type",
        "€".encode(),
        "body",
        "{}",
        "stored-at-ms",
        now_ms,
        "cache-control",
        "max-age=60",
    )
    response = deliberate(browser.request("GET", PROXY))
    assert response.status_code == 409 and "content-type" in response.json()["error"]
    browser.execute("HSET", key, "content-type", b"text/plain\r\nSet-Cookie: evil=1")
    assert deliberate(browser.request("GET", PROXY)).status_code == 409
    browser.execute("DEL", key)
    assert deliberate(browser.request("GET", PROXY)).status_code == 200


def test_a_lone_surrogate_in_the_sessions_lab_password(browser: Browser) -> None:
    for body in (b'{"user": "ada", "password": "\\ud800"}', b'{"user": "\\udfff"}'):
        response = browser.request(
            "POST",
            "/lab/sessions/login",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert deliberate(response).status_code == 400, response.text


def test_values_that_broke_the_labs_arithmetic(browser: Browser) -> None:
    """Found by the fuzzers below: each was a 500."""
    key = f"proxy:repo:{REPO}"
    now_ms = str(int(time.time() * 1000)).encode()
    for stored in (
        {"cache-control": "max-age=²".encode(), "stored-at-ms": now_ms},
        {"cache-control": b"max-age=60", "stored-at-ms": b"9" * 400},
    ):
        browser.execute("DEL", key)
        browser.execute("HSET", key, "body", "{}", *[x for kv in stored.items() for x in kv])
        assert deliberate(browser.request("GET", PROXY)).status_code in (200, 409)
    browser.execute("DEL", key)
    sliding = "rate:sliding:127.0.0.1"
    browser.execute("DEL", sliding)
    for number in range(6):
        browser.execute("ZADD", sliding, "+inf", f"m{number}")
    refused = deliberate(browser.request("POST", "/lab/rate-limit/sliding"))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
    browser.execute("DEL", sliding)


RAW_BODIES = [
    b'{"clients": Infinity, "stars": NaN}',
    b'{"clients": 1e999, "stars": -1e999}',
    b'{"stars": 99999999999999999999999999999999, "repo": "redis/redis"}',
    b'{"repo": "redis/\\ud800", "user": ["ada"], "password": {"a": 1}}',
    b'{"repo": "' + b"[" * 1000 + b'"}',
    b"[" * 900 + b"]" * 900,
    b'"just a string"',
    b"null",
]
POSTS = [
    "/lab/cache-aside/fetch",
    "/lab/cache-aside/update",
    "/lab/stampede/run",
    "/lab/sessions/login",
    "/lab/rate-limit/fixed",
    "/lab/sessions/logout",
]


def test_odd_json_bodies_on_every_lab_action(browser: Browser) -> None:
    for path in POSTS:
        for body in RAW_BODIES:
            headers = {"content-type": "application/json"}
            deliberate(browser.request("POST", path, content=body, headers=headers))


# Fuzzers: every lab endpoint, with what the learner may have stored.


@FUZZ
@given(
    stars=st.none() | numbers,
    updated=st.none() | numbers,
    cached=st.none() | numbers,
    body=bodies,
    kind=st.none() | kinds,
)
def test_fuzz_cache_aside(
    browser: Browser,
    stars: bytes | None,
    updated: bytes | None,
    cached: bytes | None,
    body: dict[str, Any],
    kind: str | None,
) -> None:
    database, cache = f"labdb:repo:{REPO}", f"cache:stars:{REPO}"
    browser.execute("DEL", database, cache)
    for name, value in (("stars", stars), ("updated", updated)):
        if value is not None:
            browser.execute("HSET", database, name, value)
    if cached is not None:
        browser.execute("SET", cache, cached)
    if kind is not None:
        reshape(browser, cache if cached else database, kind)
    deliberate(browser.request("POST", "/lab/cache-aside/fetch", json={"repo": REPO}))
    deliberate(browser.request("POST", "/lab/cache-aside/fetch", json=body))
    deliberate(browser.request("POST", "/lab/cache-aside/update", json=body))
    update = {"repo": REPO, "stars": 5, "invalidate": True}
    deliberate(browser.request("POST", "/lab/cache-aside/update", json=update))


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(["etag", "body", "modified"]), values),
    database=st.dictionaries(st.sampled_from(["stars", "updated"]), numbers),
    if_none_match=st.none() | header_text,
    if_modified_since=st.none() | header_text,
    kind=st.none() | kinds,
)
def test_fuzz_http_caching_representation(
    browser: Browser,
    fields: dict[str, bytes],
    database: dict[str, bytes],
    if_none_match: str | None,
    if_modified_since: str | None,
    kind: str | None,
) -> None:
    key, db = f"cache:v1:http:repo:{REPO}", f"labdb:repo:{REPO}"
    browser.execute("DEL", key, db)
    for name, value in fields.items():
        browser.execute("HSET", key, name, value)
    for name, value in database.items():
        browser.execute("HSET", db, name, value)
    if kind is not None:
        reshape(browser, key, kind)
    headers = {"if-none-match": if_none_match, "if-modified-since": if_modified_since}
    sent = {k: v for k, v in headers.items() if v is not None}
    deliberate(browser.request("GET", HTTP_REPO, headers=sent))
    deliberate(browser.request("POST", f"{HTTP_REPO}/star"))
    deliberate(browser.request("GET", HTTP_REPO, headers=sent))


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["content-type", "etag", "last-modified", "cache-control", "body", "stored-at-ms"]
        ),
        values,
    ),
    age=st.none() | st.integers(min_value=-(10**6), max_value=10**6),
    if_none_match=st.none() | header_text,
    lock=st.none() | values,
)
def test_fuzz_caching_proxy(
    browser: Browser,
    fields: dict[str, bytes],
    age: int | None,
    if_none_match: str | None,
    lock: bytes | None,
) -> None:
    key = f"proxy:repo:{REPO}"
    browser.execute("DEL", key, f"lock:{key}")
    if age is not None:  # a copy stored ``age`` seconds ago, whatever else it says
        fields = {
            "body": b"{}",
            "stored-at-ms": str(int((time.time() - age) * 1000)).encode(),
            "cache-control": b"max-age=5, stale-while-revalidate=20",
            **fields,
        }
    for name, value in fields.items():
        browser.execute("HSET", key, name, value)
    if lock is not None:
        browser.execute("SET", f"lock:{key}", lock)
    headers = {} if if_none_match is None else {"if-none-match": if_none_match}
    deliberate(browser.request("GET", PROXY, headers=headers))
    deliberate(browser.request("GET", PROXY, headers=headers))


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(["user_id", "created"]), numbers),
    member=st.none() | values,
    body=bodies,
    kind=st.none() | kinds,
)
def test_fuzz_sessions(
    browser: Browser,
    fields: dict[str, bytes],
    member: bytes | None,
    body: dict[str, Any],
    kind: str | None,
) -> None:
    deliberate(browser.request("POST", "/lab/sessions/login", json=body))
    browser.http.cookies.delete("lab_sid")  # the last example may have broken its session
    login = deliberate(browser.request("POST", "/lab/sessions/login", json=LOGIN))
    assert login.status_code == 200, login.text
    token = browser.http.cookies["lab_sid"]
    key = "session:" + hashlib.sha256(token.encode()).hexdigest()
    for name, value in fields.items():
        browser.execute("HSET", key, name, value)
    if member is not None:
        browser.execute("SADD", "user:ada:sessions", member)
    if kind is not None:
        reshape(browser, key, kind)
    deliberate(browser.request("GET", "/lab/sessions/me"))
    deliberate(browser.request("POST", "/lab/sessions/logout"))
    deliberate(browser.request("GET", "/lab/sessions/me"))


@FUZZ
@given(
    counter=st.none() | numbers,
    scores=st.lists(st.floats(allow_nan=False) | st.sampled_from([float("inf")]), max_size=8),
    kind=st.none() | kinds,
)
def test_fuzz_rate_limits(
    browser: Browser, counter: bytes | None, scores: list[float], kind: str | None
) -> None:
    window = int(time.time() // 10)
    fixed = [f"rate:fixed:127.0.0.1:{n}" for n in (window, window + 1)]
    sliding = "rate:sliding:127.0.0.1"
    browser.execute("DEL", sliding, *fixed)
    if counter is not None:
        for key in fixed:
            browser.execute("SET", key, counter)
    for number, score in enumerate(scores):
        browser.execute("ZADD", sliding, repr(score), f"m{number}")
    if kind is not None:
        reshape(browser, sliding, kind)
    for _ in range(2):
        deliberate(browser.request("POST", "/lab/rate-limit/fixed"))
        deliberate(browser.request("POST", "/lab/rate-limit/sliding"))


@FUZZ
@given(body=bodies, lock=st.none() | values)
def test_fuzz_stampede(browser: Browser, body: dict[str, Any], lock: bytes | None) -> None:
    if lock is not None:
        browser.execute("SET", f"lock:cache:v1:repo:{REPO}", lock)
    deliberate(browser.request("POST", "/lab/stampede/run", json=body))


@FUZZ
@given(owner=st.text(max_size=12), name=st.text(max_size=12))
@example(owner="0/0", name="")  # found by CI: ".../repo/0%2F0/" is the slash redirect's
def test_fuzz_repository_paths(browser: Browser, owner: str, name: str) -> None:
    from urllib.parse import quote

    path = f"{quote(owner, safe='')}/{quote(name, safe='')}"
    for prefix in ("repo", "origin/repo", "proxy/repo"):
        deliberate(browser.request("GET", f"/lab/http-caching/{prefix}/{path}"))
    deliberate(browser.request("POST", f"/lab/http-caching/repo/{path}/star"))
