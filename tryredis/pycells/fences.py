"""The code cells' lesson fences: ```` ```python cell ```` and ```` ```exercise python ````.

A cell is Python the learner edits and runs in their browser, against their sandbox.
A coding exercise is a task, starter code, tests run after the learner's code, hints
and a reference solution (for the test suite; the learner sees it once solved, or
when a teacher reveals it). Both render as static HTML: the code highlighted by
Pygments, readable without JavaScript; static/js/cells.js turns them into editors.

Exercise YAML::

    id: get-stars            # unique in the lesson
    task: |                  # Markdown
      Write ...
    starter: |               # the code the editor starts with (must fail the tests)
      ...
    tests: |                 # test_* functions (see tryredis/pycells/runner.py)
      ...
    solution: |              # the reference solution (must pass them)
      ...
    hint: ...                # or hints: [...], shown one at a time
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

EXERCISE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")
FIELDS = {"id", "task", "starter", "tests", "solution", "hint", "hints"}
TEST_FUNCTION = re.compile(r"^(?:async )?def (test_\w+)\(", re.MULTILINE)
Fail = Callable[[str], Exception]
_markdown = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class CodeCell:
    """A ```` ```python cell ````: its starter code, and an id that changes with the code."""

    id: str
    code: str
    line: int


@dataclass(frozen=True)
class CodeExercise:
    """A ```` ```exercise python ```` block."""

    id: str
    task_html: str
    hints_html: tuple[str, ...]
    starter: str
    tests: str
    solution: str
    line: int

    @property
    def solution_html(self) -> str:
        """The reference solution, highlighted (a panel shows it once solved or revealed)."""
        return highlighted(self.solution)

    @property
    def test_names(self) -> tuple[str, ...]:
        """The test functions, in file order."""
        return tuple(TEST_FUNCTION.findall(self.tests))


def code_id(prefix: str, code: str) -> str:
    """An id that names the code too: code saved for an older version is not restored."""
    return f"{prefix}-{hashlib.sha256(code.encode()).hexdigest()[:8]}"


def highlighted(code: str) -> str:
    """Python as Pygments highlights lesson code."""
    body = highlight(code, PythonLexer(), HtmlFormatter(nowrap=True))
    return f'<pre class="code highlight"><code class="language-python">{body}</code></pre>'


def _editor(cell_id: str, code: str, label: str, tests: str | None = None) -> str:
    tests_attr = "" if tests is None else f' data-tests="{escape(tests)}"'
    return (
        f'<div class="code-cell" data-code-cell="{cell_id}" data-starter="{escape(code)}"'
        f'{tests_attr} data-label="{escape(label)}" data-testid="code-cell">'
        f'<div class="cell-editor" data-cell-editor>{highlighted(code)}</div>'
        '<div class="cell-bar" hidden data-cell-bar>'
        '<button type="button" class="cell-run" data-cell-run>Run</button>'
        '<button type="button" class="cell-reset" data-cell-reset>Reset</button>'
        '<span class="cell-keys" aria-hidden="true">Ctrl+Enter runs; Esc then Tab leaves '
        "the editor</span>"
        '<span class="cell-status" data-cell-status role="status"></span>'
        "</div>"
        '<div class="cell-results" data-cell-results hidden>'
        '<pre class="cell-output" data-cell-output tabindex="0" aria-label="Output"></pre>'
        '<details class="cell-trace"><summary>Redis commands your code sent '
        "(<span data-cell-trace-count>0</span>)</summary><ol data-cell-trace></ol></details>"
        "</div>"
        "</div>"
    )


def render_cell(code: str, index: int, line: int) -> tuple[str, CodeCell]:
    """A ```` ```python cell ```` block's HTML and what it collected."""
    cell = CodeCell(code_id(f"cell-{index}", code), code, line)
    html = _editor(cell.id, code, f"Python cell {index}")
    return f'<section class="cell-block" aria-label="Python cell {index}">{html}</section>\n', cell


def parse_code_exercise(data: Any, number: int, line: int, fail: Fail) -> CodeExercise:
    """Validate a coding exercise's YAML; ``fail(message)`` builds the error to raise."""
    if not isinstance(data, dict):
        raise fail("a python exercise is a YAML mapping with task, starter, tests and solution")
    missing = {"task", "starter", "tests", "solution"} - set(data)
    unknown = set(data) - FIELDS
    if missing or unknown:
        detail = f"missing {sorted(missing)}" if missing else f"unknown {sorted(unknown)}"
        raise fail(f"python exercise fields: {detail}")
    exercise_id = str(data.get("id", number))
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise fail(f"exercise id {exercise_id!r} must match {EXERCISE_ID.pattern}")
    texts = {}
    for name in ("task", "starter", "tests", "solution"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise fail(f"python exercise {name!r} must be a non-empty text")
        texts[name] = data[name]
    for name in ("starter", "tests", "solution"):
        try:
            compile(texts[name], f"<{name}>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, True)
        except SyntaxError as error:
            raise fail(f"python exercise {name!r} does not compile: {error}") from None
    exercise = CodeExercise(
        id=exercise_id,
        task_html=_markdown.render(texts["task"]),
        hints_html=_hints(data, fail),
        starter=texts["starter"],
        tests=texts["tests"],
        solution=texts["solution"],
        line=line,
    )
    if not exercise.test_names:
        raise fail("python exercise 'tests' defines no test_* function")
    return exercise


def _hints(data: dict[str, Any], fail: Fail) -> tuple[str, ...]:
    if "hint" in data and "hints" in data:
        raise fail("give 'hint' or 'hints', not both")
    hints = data.get("hints", [data["hint"]] if "hint" in data else [])
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        raise fail("'hints' is a list of texts")
    return tuple(_markdown.render(h) for h in hints)


def code_exercise_html(exercise: CodeExercise, hints: str, number: int) -> str:
    """The exercise's static HTML: the task, the editor, the tests, the place of its panel
    (filled per request like every exercise's: site/_exercise_python.html), the hints."""
    ex = f"ex-{exercise.id}"
    editor = _editor(
        code_id(f"ex-{exercise.id}", exercise.starter),
        exercise.starter,
        f"Your code for the exercise {exercise.id}",
        exercise.tests,
    )
    names = "".join(
        # <wbr>: a long test name breaks after its underscores on a phone
        f'<li class="cell-test" data-cell-test="{name}">{escape(name).replace("_", "_<wbr>")}</li>'
        for name in exercise.test_names
    )
    return (
        f'<section class="exercise is-python code-exercise" id="{ex}" '
        f'data-exercise="{exercise.id}" aria-labelledby="{ex}-title" data-testid="exercise">'
        f'<h3 id="{ex}-title" class="exercise-title">Coding exercise {number}</h3>'
        f'<div class="exercise-task">{exercise.task_html}</div>'
        f"{editor}"
        f'<ol class="cell-tests" data-cell-tests aria-label="Tests">{names}</ol>'
        f'<details class="cell-test-code"><summary>The tests your code must pass</summary>'
        f"{highlighted(exercise.tests)}</details>"
        f'<div id="{ex}-panel" class="exercise-panel" aria-live="polite" '
        'data-testid="exercise-panel">'
        f'<p id="{ex}-status" class="exercise-status" data-testid="exercise-status">'
        "Loading this exercise…</p></div>"
        f"{hints}"
        "</section>\n"
    )
