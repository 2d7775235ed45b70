"""Run a cell's code, then (for an exercise) its tests, and report what happened.

The learner's code runs like a script (``asyncio.run(...)`` works) or a notebook cell
(a top-level ``await`` works too). An exercise's tests are ``test_*`` functions, sync
or async, run one by one after the code, in its namespace; a parameter named ``r`` gets
a fresh client (``redis.asyncio`` for async tests, ``redis.Redis`` otherwise, both with
``decode_responses=True``). A test passes when it returns; its message is the
assertion's text, or the failing line.

Each run is written once, as *steps*: a generator that yields the coroutines it needs
run (the code's top-level ``await``, an async test) and gets their outcome back. Two
drivers run the steps: ``run_code``/``run_exercise`` block on each coroutine with a
``run_async`` function (``asyncio.run`` under CPython; Pyodide's ``run_sync`` in a
browser with WebAssembly JavaScript Promise Integration, so that a learner's own
``asyncio.run`` works there too); ``run_code_async``/``run_exercise_async`` await
them, for browsers without it.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import linecache
import traceback
from collections.abc import Callable, Coroutine, Generator
from dataclasses import asdict, dataclass, field
from types import CodeType
from typing import Any

import redis
import redis.asyncio

from tryredis.pycells import helpers

CODE_FILE = "<your code>"
TESTS_FILE = "<tests>"
RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
Steps = Generator[Coroutine[Any, Any, Any], Any, Any]


@dataclass(frozen=True)
class TestResult:
    """One test: its name, whether it passed, and why not."""

    name: str
    passed: bool
    message: str = ""


@dataclass
class Report:
    """What a run produced: the code's traceback if it failed, and the tests' results."""

    error: str | None = None
    tests: list[TestResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """The code ran and every test passed (and there was at least one)."""
        return self.error is None and bool(self.tests) and all(t.passed for t in self.tests)

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return {**asdict(self), "passed": self.passed}


def _compile(source: str, filename: str) -> CodeType:
    # Register the source so tracebacks can quote the learner's lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code: CodeType = compile(source, filename, "exec", flags=flags, dont_inherit=True)
    return code


def _execute(source: str, namespace: dict[str, Any], filename: str) -> Steps:
    """Run ``source`` in ``namespace``; a top-level ``await`` makes it a coroutine, run too."""
    result = eval(_compile(source, filename), namespace)  # noqa: S307 (the learner's own code, in their browser)
    if inspect.iscoroutine(result):
        yield result


def traceback_text(error: BaseException, files: tuple[str, ...] = (CODE_FILE, TESTS_FILE)) -> str:
    """A traceback showing only the frames of the learner's code and the tests."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename in files  # not redis-py's or the runner's own frames
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


def _code_steps(source: str, namespace: dict[str, Any]) -> Steps:
    """A plain cell: its traceback text, or None when it finished."""
    try:
        yield from _execute(source, namespace, CODE_FILE)
    except BaseException as error:  # the learner's exception (SystemExit too) is a result
        if isinstance(error, KeyboardInterrupt):
            raise
        return traceback_text(error)
    return None


def _exercise_steps(code: str, tests: str) -> Steps:
    """Fresh helpers, the learner's code, then each ``test_*`` function of ``tests``."""
    helpers.reset()
    namespace = helpers.namespace()
    report = Report(error=(yield from _code_steps(code, namespace)))
    if report.error is not None:
        return report
    before = set(namespace)
    try:
        yield from _execute(tests, namespace, TESTS_FILE)
    except Exception as error:  # a broken test file is the site's bug: show it plainly
        report.error = "The tests could not load:\n" + traceback_text(error)
        return report
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value) and name not in before:
            report.tests.append((yield from _test_steps(name, value)))
    return report


def _test_steps(name: str, test: Callable[..., Any]) -> Steps:
    """One test function, with its ``r`` argument if it has one."""
    helpers.reset()
    wants_client = "r" in inspect.signature(test).parameters
    try:
        if inspect.iscoroutinefunction(test):
            yield _async_test(test, wants_client)
        elif wants_client:
            with redis.Redis(decode_responses=True) as client:
                test(client)
        else:
            test()
    except AssertionError as error:
        return TestResult(name, False, str(error) or _failing_line(error))
    except Exception as error:
        return TestResult(name, False, f"{type(error).__name__}: {error}")
    return TestResult(name, True)


async def _async_test(test: Callable[..., Any], wants_client: bool) -> None:
    if not wants_client:
        await test()
        return
    client = redis.asyncio.Redis(decode_responses=True)
    try:
        await test(client)
    finally:
        await client.aclose()


def _failing_line(error: BaseException) -> str:
    """``assert x == 1`` failed: the line itself, as pytest would show it."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.line:
            return f"failed: {frame.line}"
    return "an assertion failed"


def _drive(steps: Steps, run_async: RunAsync) -> Any:
    """Run the steps, blocking on each coroutine they yield."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as stop:
            return stop.value
        try:
            value, error = run_async(step), None
        except BaseException as raised:  # thrown back into the steps, which report it
            value, error = None, raised


async def _drive_async(steps: Steps) -> Any:
    """Run the steps, awaiting each coroutine they yield."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as stop:
            return stop.value
        try:
            value, error = await step, None
        except BaseException as raised:
            value, error = None, raised


def run_code(source: str, namespace: dict[str, Any], run_async: RunAsync) -> str | None:
    """Run a plain cell's code; its traceback text, or None when it finished."""
    result: str | None = _drive(_code_steps(source, namespace), run_async)
    return result


def run_exercise(code: str, tests: str, run_async: RunAsync) -> Report:
    """Run an exercise: the learner's code, then the tests."""
    report: Report = _drive(_exercise_steps(code, tests), run_async)
    return report


async def run_code_async(source: str, namespace: dict[str, Any]) -> str | None:
    """``run_code``, awaiting (the learner's ``asyncio.run`` cannot block then)."""
    result: str | None = await _drive_async(_code_steps(source, namespace))
    return result


async def run_exercise_async(code: str, tests: str) -> Report:
    """``run_exercise``, awaiting."""
    report: Report = await _drive_async(_exercise_steps(code, tests))
    return report


def default_run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """CPython's way to run a coroutine to completion (Pyodide's is in ``browser``)."""
    return asyncio.run(coroutine)
