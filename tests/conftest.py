"""Fixtures shared by the whole suite: private Redis servers and the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.redis_servers import REDIS_SERVER, RedisServer, running_redis

requires_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")


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
