"""How late this worker's event loop runs its callbacks: the cost anyone's work imposes on all.

A task asks to wake every ``TICK`` seconds and records how much later than asked
it woke. Anything that holds the loop (a slow regex, a huge JSON encode) shows
up here as lag, for every request of the worker at once; ``/healthz`` reports the
worst of the last ``WINDOW`` seconds and the benchmarks read it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

TICK = 0.05
WINDOW = 10.0


class LoopLag:
    """The event loop's recent lateness, in milliseconds."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque()  # (when, lag ms)
        self.worst_ever = 0.0

    async def run_forever(self) -> None:
        """Measure until cancelled."""
        while True:
            asked = time.monotonic()
            await asyncio.sleep(TICK)
            woke = time.monotonic()
            self.record(woke, max(0.0, (woke - asked - TICK) * 1000))

    def record(self, when: float, lag_ms: float) -> None:
        """Keep one sample; forget those older than the window."""
        self.samples.append((when, lag_ms))
        self.worst_ever = max(self.worst_ever, lag_ms)
        while self.samples and self.samples[0][0] < when - WINDOW:
            self.samples.popleft()

    @property
    def recent_ms(self) -> float:
        """The worst lag of the last ``WINDOW`` seconds."""
        return round(max((lag for _, lag in self.samples), default=0.0), 1)

    def report(self) -> dict[str, float]:
        """What ``/healthz`` shows."""
        return {"loop_lag_ms": self.recent_ms, "loop_lag_max_ms": round(self.worst_ever, 1)}
