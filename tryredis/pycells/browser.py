"""The Python half of the code cells' Web Worker (static/js/cells-worker.js), in Pyodide.

The worker registers its JavaScript functions as the module ``cells_js`` before it
imports this one: ``postSync`` (a synchronous XMLHttpRequest, for ``redis.Redis``),
``postAsync`` (``fetch``, for ``redis.asyncio``) and ``emit`` (a message to the page:
the commands sent, a wait for the rate limit). Where the browser has WebAssembly
JavaScript Promise Integration (JSPI), coroutines run to completion with Pyodide's
``run_sync``, so ``asyncio.run`` in a learner's code works as in a script; elsewhere the
runner awaits them instead, and ``asyncio.run`` says to use a top-level ``await``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

import cells_js  # type: ignore[import-not-found]  # registered by the worker
from pyodide.ffi import can_run_sync, run_sync, to_js  # type: ignore[import-not-found]

from tryredis.pycells import helpers, runner
from tryredis.pycells.connection import Endpoint, HTTPReply, install
from tryredis.pycells.trace import describe

_notebook: dict[str, Any] = helpers.namespace()  # plain cells of a page share their names


def _reply(answer: Any) -> HTTPReply:
    retry_after = answer.retryAfter
    return HTTPReply(int(answer.status), bytes(answer.body.to_bytes()), retry_after)


def _post(body: bytes) -> HTTPReply:
    return _reply(cells_js.postSync(to_js(body)))  # bytes -> Uint8Array


async def _apost(body: bytes) -> HTTPReply:
    return _reply(await cells_js.postAsync(to_js(body)))


def _sent(commands: list[list[bytes]]) -> None:
    cells_js.emit(json.dumps({"type": "trace", "commands": [describe(c) for c in commands]}))


def _waited(seconds: float) -> None:
    cells_js.emit(json.dumps({"type": "wait", "seconds": seconds}))


NO_JSPI = (
    "asyncio.run() needs a browser with WebAssembly JavaScript Promise Integration "
    "(Chrome and Edge have it); here, write `await main()` at the top level of the cell"
)


def _run(main: Coroutine[Any, Any, Any], **_: Any) -> Any:
    """``asyncio.run`` in a cell: block on the coroutine (JSPI), or say what to write."""
    if not can_run_sync():
        main.close()
        raise RuntimeError(NO_JSPI)
    return run_sync(main)


def setup() -> None:
    """Route redis-py to the sandbox and make ``asyncio.run`` work; once per worker."""
    install(Endpoint(_post, _apost, on_send=_sent, on_wait=_waited))
    asyncio.run = _run


async def run_cell(code: str) -> str:
    """A plain cell: run it in the page's shared namespace; JSON ``{"error": ...}``."""
    if can_run_sync():
        error = runner.run_code(code, _notebook, run_sync)
    else:
        error = await runner.run_code_async(code, _notebook)
    return json.dumps({"error": error})


async def run_exercise(code: str, tests: str) -> str:
    """An exercise: the learner's code and the tests, in a fresh namespace; JSON report."""
    if can_run_sync():
        report = runner.run_exercise(code, tests, run_sync)
    else:
        report = await runner.run_exercise_async(code, tests)
    return json.dumps(report.as_dict())
