"""Fixtures shared by the whole suite: private Redis servers and the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.support.live import free_port as free_port
from tests.support.live import serving
from tests.support.redis_servers import REDIS_SERVER, RedisServer, running_redis
from tryredis.app import create_app
from tryredis.settings import Settings

requires_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")

# Generous limits so tests measure behaviour, not the rate limiter (tests of the
# limiter set their own).
TEST_LIMITS = {
    "rate_per_second": 10_000.0,
    "rate_burst": 10_000,
    "ip_rate_per_second": 10_000.0,
    "ip_rate_burst": 100_000,
    "sessions_per_ip_hour": 1_000_000,
}


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One private redis-server for the whole session (tests must use their own keys)."""
    with running_redis() as server:
        yield server


@pytest.fixture
def fresh_redis() -> Iterator[RedisServer]:
    """A private redis-server for one test; it may be flushed or killed freely."""
    with running_redis() as server:
        yield server


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    """A private redis-server for one test module (for tests that inspect the whole server)."""
    with running_redis() as redis_server:
        yield redis_server


@pytest.fixture(scope="module")
def module_client(server: RedisServer) -> Iterator[TestClient]:
    """The app on the module's server; blocking commands capped at 1 s to keep tests fast."""
    with TestClient(create_app(settings_for(server, block_max_seconds=1.0))) as test_client:
        yield test_client


def settings_for(server: RedisServer, **overrides: object) -> Settings:
    """Settings pointing at a private server, with test limits."""
    return Settings(redis_url=server.url, **{**TEST_LIMITS, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def app_settings(redis_server: RedisServer) -> Settings:
    """Settings for the shared private server."""
    return settings_for(redis_server)


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    """An in-process client of the app, lifespan started."""
    with TestClient(create_app(app_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(redis_server: RedisServer) -> Iterator[str]:
    """The site on a random local port, served by uvicorn in a thread of this process."""
    with serving(create_app(settings_for(redis_server))) as url:
        yield url


@pytest.fixture
def api(client: TestClient) -> ApiSession:
    """A fresh sandbox through the API."""
    return ApiSession.open(client)


class ApiSession:
    """A bearer-token sandbox: ``run(line)`` returns the result dict."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token

    @classmethod
    def open(cls, client: TestClient) -> ApiSession:
        """POST /api/v1/sessions."""
        response = client.post("/api/v1/sessions", json={})
        assert response.status_code == 201, response.text
        return cls(client, response.json()["token"])

    @property
    def learner_id(self) -> str:
        """The sandbox's id (the token's signed payload)."""
        return self.token.split(".")[0]

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    def run(self, line: str) -> dict[str, str]:
        """Run one line; the result's ``output`` and ``kind``."""
        response = self.client.post("/api/v1/run", json={"line": line}, headers=self.headers)
        assert response.status_code == 200, response.text
        result: dict[str, str] = response.json()["results"][0]
        return result

    def out(self, line: str) -> str:
        """Just the output text of one line."""
        return self.run(line)["output"]
