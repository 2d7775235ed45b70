"""What the abuse tests measure as the admin, and how they send many lines at once."""

from __future__ import annotations

from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer


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
