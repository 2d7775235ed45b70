"""bench/abuse.py's browsers: one cookie and CSRF token behind one address each.

The attackers' clients count their responses by status and, with ``--polite``, wait as
long as a 429's or 503's Retry-After says; the honest learners' clients do neither.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections import defaultdict

import httpx

LESSON = "keys-and-strings"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# One TLS context for every client: httpx builds a fresh one per AsyncClient by default,
# ~60 ms of CPU in this process's event loop each (certifi's bundle), which stalled every
# request in flight here whenever a learner arrived or the flood made a new client.
TLS = ssl.create_default_context()
POLITE = {"on": False}  # --polite: attackers wait as long as a 429's Retry-After says
ANSWERED: dict[int, int] = defaultdict(int)  # the attackers' responses by status (their process)


async def _obey(response: httpx.Response) -> None:
    ANSWERED[response.status_code] += 1
    if POLITE["on"] and response.status_code in (429, 503):
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))


class Client:
    """One browser (cookie and CSRF token) behind one address."""

    def __init__(self, base: str, address: str) -> None:
        self.base = base
        honest = address.startswith("10.")
        self.http = httpx.AsyncClient(
            base_url=base,
            timeout=30,
            verify=TLS,
            headers={"x-forwarded-for": address},
            event_hooks={} if honest else {"response": [_obey]},
        )
        self.csrf = ""

    async def page(self, slug: str = LESSON) -> httpx.Response:
        response = await self.http.get(f"/lesson/{slug}")
        if match := CSRF.search(response.text):
            self.csrf = match.group(1)
        return response

    @property
    def headers(self) -> dict[str, str]:
        return {"x-csrf-token": self.csrf, "origin": self.base}

    async def run(self, lines: list[str]) -> httpx.Response:
        return await self.http.post("/api/v1/run", json={"lines": lines}, headers=self.headers)

    async def check(self) -> httpx.Response:
        return await self.http.post(f"/lesson/{LESSON}/exercises/check", headers=self.headers)
