"""The code cells' fences: validation with the block's line, and the static HTML."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tryredis.pycells.fences import code_exercise_html, parse_code_exercise, render_cell

GOOD: dict[str, Any] = {
    "id": "adder",
    "task": "Write `add(a, b)`.",
    "starter": "def add(a, b):\n    return 0\n",
    "tests": "def test_add():\n    assert add(1, 2) == 3\n\n"
    "async def test_async_add():\n    pass\n",
    "solution": "def add(a, b):\n    return a + b\n",
    "hint": "Use `+`.",
}


class Invalid(Exception):
    """What the tests' ``fail`` raises."""


def parse(data: Any) -> Any:
    return parse_code_exercise(data, 1, 7, Invalid)


def test_a_valid_exercise() -> None:
    exercise = parse(GOOD)
    assert exercise.id == "adder" and exercise.line == 7
    assert exercise.test_names == ("test_add", "test_async_add")
    assert exercise.hints_html == ("<p>Use <code>+</code>.</p>\n",)
    html = code_exercise_html(exercise, "<details>hints</details>", 1)
    assert 'data-exercise="adder"' in html and "<details>hints</details>" in html
    assert 'data-cell-test="test_add"' in html and 'data-cell-test="test_async_add"' in html
    assert "return a + b" not in html  # the reference solution never reaches the page
    assert 'data-starter="def add(a, b):\n    return 0\n"' in html
    assert "data-tests=" in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starter": None}, "missing ['starter']"),
        ({"extra": 1}, "unknown ['extra']"),
        ({"id": "Bad Id"}, "must match"),
        ({"tests": "x = 1\n"}, "defines no test_* function"),
        ({"solution": "def f(:\n"}, "'solution' does not compile"),
        ({"task": ""}, "'task' must be a non-empty text"),
        ({"hints": ["a"]}, "give 'hint' or 'hints', not both"),
    ],
)
def test_invalid_exercises_say_why(change: dict[str, Any], message: str) -> None:
    data = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(Invalid, match=re.escape(message)):
        parse(data)
    with pytest.raises(Invalid, match="a YAML mapping"):
        parse(["not", "a", "mapping"])


def test_cells_escape_their_code_and_change_id_with_it() -> None:
    html, cell = render_cell('print("<b>&")\n', 2, 40)
    assert cell.line == 40 and cell.id.startswith("cell-2-")
    assert 'data-starter="print(&quot;&lt;b&gt;&amp;&quot;)\n"' in html
    assert "<b>&" not in html
    other = render_cell('print("other")\n', 2, 40)[1]
    assert other.id != cell.id  # saved code for an older version is not restored
