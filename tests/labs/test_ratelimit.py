"""The rate-limit lab: 200s then 429 with Retry-After, from a fixed and a sliding window."""

from __future__ import annotations

from tests.labs.conftest import Clock, Learner, ttl_of

WINDOW, LIMIT = 10, 5


def test_fixed_window_allows_the_limit_then_answers_429(learner: Learner, clock: Clock) -> None:
    responses = [learner.post("/lab/rate-limit/fixed") for _ in range(LIMIT + 3)]
    assert [r.status_code for r in responses] == [200] * LIMIT + [429] * 3
    assert [r.headers["x-ratelimit-remaining"] for r in responses[:LIMIT]] == [
        "4",
        "3",
        "2",
        "1",
        "0",
    ]
    refused = responses[-1]
    assert refused.headers["retry-after"] == str(WINDOW)  # the clock is pinned at a window start
    assert refused.json()["limiter"] == "fixed" and refused.json()["count"] == LIMIT + 3
    assert refused.headers["cache-control"] == "no-store"

    key = f"rate:fixed:testclient:{int(clock() // WINDOW)}"
    assert key in learner.sandbox_keys()
    assert learner.run(f"GET {key}") == '"8"'
    assert 1 <= ttl_of(learner, key) <= WINDOW

    clock.advance(WINDOW)  # the next window: a new key, a fresh count
    assert learner.post("/lab/rate-limit/fixed").status_code == 200


def test_sliding_window_refuses_without_spending_the_budget(learner: Learner, clock: Clock) -> None:
    statuses = []
    for _ in range(LIMIT + 2):
        statuses.append(learner.post("/lab/rate-limit/sliding"))
        clock.advance(1)
    assert [r.status_code for r in statuses] == [200] * LIMIT + [429] * 2
    # The oldest request (t=0) leaves the window at t=10; it is t=5 and t=6 now.
    assert [r.headers["retry-after"] for r in statuses[LIMIT:]] == ["5", "4"]
    assert learner.run("ZCARD rate:sliding:testclient") == f"(integer) {LIMIT}"  # refused: removed
    assert "rate:sliding:testclient" in learner.sandbox_keys()
    assert WINDOW - 1 <= ttl_of(learner, "rate:sliding:testclient") <= WINDOW

    clock.advance(3)  # t=10: the first request has left the window
    assert learner.post("/lab/rate-limit/sliding").status_code == 200


def test_only_the_two_limiters_exist(learner: Learner) -> None:
    assert learner.post("/lab/rate-limit/token-bucket").status_code == 404
