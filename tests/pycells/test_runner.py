"""The code cells' runner and helpers under CPython (the browser runs the same modules)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.pycells.transport import sandbox_clients
from tryredis.pycells import helpers
from tryredis.pycells.connection import Endpoint
from tryredis.pycells.runner import (
    default_run_async,
    run_code,
    run_code_async,
    run_exercise,
    run_exercise_async,
)


@pytest.fixture
def sandbox(live_server: str) -> Iterator[Endpoint]:
    """redis-py routed to a fresh sandbox."""
    with sandbox_clients(live_server) as endpoint:
        yield endpoint


def test_scripts_and_notebook_cells_both_run(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = helpers.namespace()
    script = "import asyncio\nasync def main():\n    return 6 * 7\nprint(asyncio.run(main()))\n"
    assert run_code(script, namespace, default_run_async) is None
    assert run_code("x = await main()\nprint(x + 1)\n", namespace, default_run_async) is None
    assert capsys.readouterr().out == "42\n43\n"
    assert namespace["x"] == 42  # names stay for the next cell


def test_tracebacks_show_the_learners_lines_only() -> None:
    error = run_code("def f():\n    return 1 / 0\n\nf()\n", {}, default_run_async)
    assert error == (
        "Traceback (most recent call last):\n"
        '  File "<your code>", line 4, in <module>\n'
        "    f()\n"
        '  File "<your code>", line 2, in f\n'
        "    return 1 / 0\n"
        "           ~~^~~\n"
        "ZeroDivisionError: division by zero\n"
    )
    syntax = run_code("print(1\n", {}, default_run_async)
    assert syntax is not None and "SyntaxError" in syntax and "<your code>" in syntax
    exited = run_code("raise SystemExit(3)", {}, default_run_async)
    assert exited is not None and exited.endswith("SystemExit: 3\n")  # a result, not an exit


def test_exercise_reports_each_test(sandbox: Endpoint) -> None:
    tests = (
        "def test_sync(r):\n    assert r.ping()\n"
        "async def test_async(r):\n    assert await r.get('k') == 'v', 'k should be v'\n"
        "def test_plain():\n    assert answer() == 2\n"
        "def test_broken():\n    {}['missing']\n"
    )
    report = run_exercise(
        "import redis\nredis.Redis().set('k', 'w')\ndef answer():\n    return 1\n",
        tests,
        default_run_async,
    )
    assert report.error is None and not report.passed
    assert [(t.name, t.passed, t.message) for t in report.tests] == [
        ("test_sync", True, ""),
        ("test_async", False, "k should be v"),
        ("test_plain", False, "failed: assert answer() == 2"),
        ("test_broken", False, "KeyError: 'missing'"),
    ]
    fixed = run_exercise(
        "def answer():\n    return 2\n",
        "def test_plain():\n    assert answer() == 2\n",
        default_run_async,
    )
    assert fixed.passed and fixed.as_dict()["passed"] is True


def test_code_that_fails_runs_no_tests() -> None:
    report = run_exercise("1 / 0", "def test_never():\n    pass\n", default_run_async)
    assert report.tests == [] and not report.passed
    assert report.error is not None and report.error.endswith(
        "ZeroDivisionError: division by zero\n"
    )
    empty = run_exercise("x = 1", "x = 2\n", default_run_async)
    assert empty.tests == [] and not empty.passed  # no test, no pass


def test_helpers() -> None:
    async def scenario() -> None:
        upstream = helpers.upstream
        upstream.delay = 0.01
        assert await helpers.concurrently(5, upstream.fetch_stars, "redis/redis") == [66000] * 5
        assert upstream.calls["redis/redis"] == 5 and upstream.total == 5
        upstream.set_stars("redis/redis", 1)
        assert await upstream.fetch_stars("redis/redis") == 1

    helpers.reset()
    asyncio.run(scenario())
    clock = helpers.clock
    assert clock.freeze(1000.0) == 1000.0 and clock.now() == 1000.0
    assert clock.advance(61) == 1061.0 and clock.now() == 1061.0
    helpers.reset()
    assert clock.frozen is None and helpers.upstream.total == 0
    assert helpers.upstream.stars["redis/redis"] == 66000


def test_the_awaiting_driver_reports_the_same(sandbox: Endpoint) -> None:
    """For browsers without JSPI: the same steps, awaited instead of blocked on."""
    code = (
        "import redis.asyncio as redis\nasync with redis.Redis() as c:\n    await c.set('a', 1)\n"
    )
    tests = (
        "async def test_async(r):\n    assert await r.get('a') == '1'\n"
        "def test_sync(r):\n    assert r.get('a') == '2', 'a should be 2'\n"
    )
    blocked = run_exercise(code, tests, default_run_async)
    awaited = asyncio.run(run_exercise_async(code, tests))
    assert awaited == blocked
    assert [(t.name, t.passed) for t in awaited.tests] == [
        ("test_async", True),
        ("test_sync", False),
    ]
    namespace = helpers.namespace()
    assert (
        asyncio.run(
            run_code_async("x = await asyncio.sleep(0, 5)", {"asyncio": asyncio, **namespace})
        )
        is None
    )
    error = asyncio.run(run_code_async("await asyncio.sleep(0)\n1 / 0", {"asyncio": asyncio}))
    assert error is not None and error.endswith("ZeroDivisionError: division by zero\n")
