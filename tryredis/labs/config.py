"""The labs' tunables: lesson-sized defaults, replaceable per app (tests make them fast).

Settings proper live in ``tryredis.settings``; these are teaching parameters
(how slow the fake upstream is, how long a lock lives), so they stay with the
labs. A test or a deployment may put its own ``LabConfig`` on
``app.state.lab_config``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request


@dataclass(frozen=True)
class LabConfig:
    """How the labs behave; every default matches the lesson the lab comes from."""

    upstream_delay: float = 0.3
    """Seconds the fake upstream (a stand-in for GitHub's API) takes per call."""
    stars_ttl: int = 60
    """Lesson 12: ``SET cache:stars:<repo> ... EX 60``."""
    repo_ttl: int = 300
    """Lesson 12's helper: ``cache:v1:repo:<repo>`` for 300 s (the stampede lab)."""
    lock_ms: int = 10_000
    """Lesson 13's ``SET lock:... NX PX``; 10 s, so that a left-behind lock can be seen."""
    stampede_clients: int = 20
    stampede_max_clients: int = 50
    poll_first: float = 0.15
    """A waiting client looks again after 150 ms (about half a rebuild), then 300, 400 ms.

    Lesson 13 polls every 20 ms; with every command paid from the learner's rate
    limit, the lab waits longer between looks and says so on the page.
    """
    poll_max: float = 0.4
    wait_deadline: float = 2.0
    """A client that waited this long for the lock holder loads the value itself."""
    rate_limit: int = 5
    rate_window: int = 10
    """Lesson 14's limiters, sized for a page: 5 requests per 10 s."""
    session_idle: int = 1800
    session_absolute: int = 12 * 3600
    representation_ttl: int = 300
    """Lesson 16: the cached representation (``cache:v1:http:repo:<repo>``) lives 300 s."""
    origin_max_age: int = 5
    origin_s_maxage: int = 10
    origin_swr: int = 20
    """The proxy demo's origin: ``public, max-age=5, s-maxage=10, stale-while-revalidate=20``."""
    token_wait_max: float = 10.0
    """Longest a lab request waits for rate-limit tokens before answering 429."""
    clock: Callable[[], float] = field(default=time.time)
    """Wall-clock seconds (tests may pin or advance it)."""


DEFAULT = LabConfig()


def lab_config(request: Request) -> LabConfig:
    """The running app's lab configuration."""
    config = getattr(request.app.state, "lab_config", DEFAULT)
    assert isinstance(config, LabConfig)
    return config
