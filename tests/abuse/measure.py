"""What the abuse tests measure as the admin, and how they send many lines at once."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer
from tryredis.janitor import Janitor


def used_by(server: RedisServer, learner_id: str) -> tuple[int, int]:
    """Bytes (MEMORY USAGE SAMPLES 0, summed) and keys under the learner's prefix (SCAN)."""
    admin = server.client()
    names = list(admin.scan_iter(match=f"tryredis:u:{{{learner_id}}}:*", count=1000))
    sizes = [admin.memory_usage(name, samples=0) or 0 for name in names]
    return sum(sizes), len(names)


def run_lines(learner: ApiSession, lines: list[str]) -> list[dict[str, str]]:
    """Run ``lines`` through /api/v1/run, 20 to a request; every result."""
    results: list[dict[str, str]] = []
    for start in range(0, len(lines), 20):
        response = learner.client.post(
            "/api/v1/run", json={"lines": lines[start : start + 20]}, headers=learner.headers
        )
        assert response.status_code == 200, response.text
        results += response.json()["results"]
    return results


def index_names(server: RedisServer, learner_id: str) -> set[bytes]:
    """Every name the learner's key index knows: recorded, or written ahead (pending)."""
    admin = server.client(decode_responses=True)
    index = f"tryredis:u:{{{learner_id}}}"
    names = [*admin.hkeys(index), *admin.smembers(index + ".d")]
    return {str(name).encode() for name in names}


def learner_keys(server: RedisServer, learner_id: str) -> set[bytes]:
    """The learner's key names as Redis holds them (the admin's SCAN, prefix removed)."""
    prefix = f"tryredis:u:{{{learner_id}}}:"
    found = server.client(decode_responses=True).scan_iter(match=prefix + "*", count=1000)
    return {str(name).removeprefix(prefix).encode() for name in found}


def sweep_idle(client: TestClient) -> int:
    """One janitor round run now as if every sandbox had been idle for two hours."""
    services = client.app.state.services  # type: ignore[attr-defined]
    janitor = Janitor(
        services.site, services.keys.sandboxes, services.keys.janitor_lock, 3600,
        lambda learner_id: services.sandbox_reset(learner_id, keep_session=False),
    )  # fmt: skip

    async def sweep() -> int:
        return await janitor.sweep(time.time() + 7200)

    deleted: int = client.portal.call(sweep)  # type: ignore[union-attr]
    return deleted


def calls(server: RedisServer) -> dict[str, int]:
    """Calls per command so far on the server (INFO commandstats), e.g. ``{"lrange": 3}``."""
    stats = server.client().info("commandstats")
    return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}


def calls_since(server: RedisServer, before: dict[str, int]) -> dict[str, int]:
    """The commands run since ``before`` (a ``calls`` reading), and how often."""
    now = calls(server)
    return {name: count - before.get(name, 0) for name, count in now.items()
            if count > before.get(name, 0)}  # fmt: skip
