"""The ```` ```exercise ```` fence: YAML in, a validated ``Exercise`` and its static HTML out.

Two kinds share one block format (docs/lesson-format.md, "Exercises"): a *commands*
exercise has ``checks`` (and may have ``setup``, ``method`` rules and a ``wrong``
solution for the tests); a *choice* exercise has ``choices``. The static HTML holds
the task and the tiered hints; the interactive panel (Start, Check, the answers, the
state and the solution) is rendered per request by ``tryredis.views.exercises``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from tryredis.lessons.model import Choice, Exercise, ExerciseCheck, MethodRule, RuleKind

EXERCISE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")
COMMAND_NAME = re.compile(r"[a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)?")
COMMON_FIELDS = {"id", "task", "hint", "hints", "solution_after"}
COMMAND_FIELDS = {"checks", "method", "setup", "solution", "wrong"}
CHOICE_FIELDS = {"choices"}
RULE_KINDS: tuple[RuleKind, ...] = ("used", "forbid", "max_commands", "in_multi")
MAX_TRIES = 20

Fail = Callable[[str], Exception]
_markdown = MarkdownIt("commonmark", {"html": False})


def render_block(text: str) -> str:
    """Markdown (raw HTML escaped) for tasks, hints and explanations."""
    html: str = _markdown.render(text)
    return html


def render_inline(text: str) -> str:
    """One line of Markdown without the surrounding paragraph (answers, messages)."""
    html: str = _markdown.renderInline(text)
    return html


def parse_exercise(
    data: Any, number: int, line: int, fail: Fail, *, extra_fields: frozenset[str] = frozenset()
) -> Exercise:
    """Validate one exercise block's YAML; ``fail(message)`` builds the error to raise.

    ``extra_fields`` are fields a fence plug-in understands itself: they are kept,
    unparsed, in ``Exercise.extra``.
    """
    if not isinstance(data, dict) or "task" not in data:
        raise fail("an exercise is a YAML mapping with at least a task")
    kind = "choice" if "choices" in data else "commands"
    allowed = COMMON_FIELDS | (CHOICE_FIELDS if kind == "choice" else COMMAND_FIELDS) | extra_fields
    unknown = set(data) - allowed
    if unknown:
        raise fail(f"unknown exercise field(s) {sorted(unknown)} for a {kind} exercise")
    exercise_id = str(data.get("id", number))
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise fail(f"exercise id {exercise_id!r} must match {EXERCISE_ID.pattern}")
    after = data.get("solution_after", 2 if kind == "choice" else 3)
    if not isinstance(after, int) or isinstance(after, bool) or not 1 <= after <= MAX_TRIES:
        raise fail(f"solution_after must be a number of tries from 1 to {MAX_TRIES}")
    common: dict[str, Any] = {
        "id": exercise_id,
        "task_html": render_block(_text(data, "task", fail)),
        "hints_html": _hints(data, fail),
        "line": line,
        "solution_after": after,
        "extra": {name: data[name] for name in extra_fields if name in data},
    }
    if kind == "choice":
        return Exercise(kind="choice", choices=_choices(data["choices"], fail), **common)
    method = tuple(_rule(rule, fail) for rule in _list(data, "method", fail, required=False))
    wrong = _lines(data, "wrong", fail, required=bool(method))
    if wrong and not method:
        raise fail("'wrong' shows a refused method: it needs 'method' rules")
    # Without checks, a 'used' rule is what an empty sandbox fails (a PUBLISH leaves no state).
    checks = _list(data, "checks", fail, required=not any(r.kind == "used" for r in method))
    return Exercise(
        kind="commands",
        checks=tuple(_check(check, fail) for check in checks),
        method=method,
        setup=_lines(data, "setup", fail, required=False),
        solution=_lines(data, "solution", fail),
        wrong=wrong,
        **common,
    )


def _text(data: dict[str, Any], name: str, fail: Fail) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise fail(f"exercise {name!r} must be non-empty text")
    return value


def _hints(data: dict[str, Any], fail: Fail) -> tuple[str, ...]:
    if "hint" in data and "hints" in data:
        raise fail("give either 'hint' or 'hints', not both")
    if "hint" in data:
        return (render_block(_text(data, "hint", fail)),)
    hints = data.get("hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        raise fail("exercise hints must be a list of texts, from gentle to explicit")
    return tuple(render_block(hint) for hint in hints)


def _list(data: dict[str, Any], name: str, fail: Fail, *, required: bool = True) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list) or (required and not value):
        raise fail(f"exercise {name} must be a non-empty list")
    return value


def _lines(
    data: dict[str, Any], name: str, fail: Fail, *, required: bool = True
) -> tuple[str, ...]:
    lines = _list(data, name, fail, required=required)
    if not all(isinstance(line, str) and line.strip() for line in lines):
        raise fail(f"exercise {name} must be a list of command lines")
    return tuple(lines)


def _check(check: Any, fail: Fail) -> ExerciseCheck:
    if (
        not isinstance(check, dict)
        or "run" not in check
        or ("expect" in check) == ("match" in check)
        or set(check) - {"run", "expect", "match", "unordered", "fail"}
    ):
        raise fail("each check needs 'run', one of 'expect' or 'match', and 'fail'")
    if not isinstance(check.get("fail"), str) or not check["fail"].strip():
        raise fail(f"check {check['run']!r} needs a 'fail' message saying what is wrong")
    if "match" in check:
        try:
            re.compile(str(check["match"]))
        except re.error as error:
            raise fail(f"check 'match' is not a valid regex: {error}") from None
    return ExerciseCheck(
        command=str(check["run"]),
        expect=str(check["expect"]) if "expect" in check else None,
        match=str(check["match"]) if "match" in check else None,
        unordered=bool(check.get("unordered")),
        fail_html=render_inline(check["fail"]),
    )


def _rule(rule: Any, fail: Fail) -> MethodRule:
    kinds = [kind for kind in RULE_KINDS if isinstance(rule, dict) and kind in rule]
    if len(kinds) != 1:
        raise fail(f"each method rule has exactly one of {', '.join(RULE_KINDS)}")
    kind = kinds[0]
    allowed = {kind, "fail"} | ({"with", "output"} if kind == "used" else set())
    if set(rule) - allowed:
        raise fail(f"method rule {kind!r}: unknown field(s) {sorted(set(rule) - allowed)}")
    if not isinstance(rule.get("fail"), str) or not rule["fail"].strip():
        raise fail(f"method rule {kind!r} needs a 'fail' message saying what is wrong")
    fail_html = render_inline(rule["fail"])
    if kind == "max_commands":
        limit = rule[kind]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise fail("max_commands is a positive number of commands")
        return MethodRule(kind, fail_html, limit=limit)
    names = rule[kind] if isinstance(rule[kind], list) else [rule[kind]]
    commands = tuple(" ".join(str(name).split()).lower().replace(" ", "|") for name in names)
    if not commands or not all(COMMAND_NAME.fullmatch(name) for name in commands):
        raise fail(f"method rule {kind!r}: command names such as SET or XGROUP CREATE")
    words = rule.get("with", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise fail("method rule 'with' is a list of argument words, such as [NX, EX]")
    output = rule.get("output")
    if output is not None:
        try:
            re.compile(str(output))
        except re.error as error:
            raise fail(f"method rule 'output' is not a valid regex: {error}") from None
    return MethodRule(
        kind,
        fail_html,
        commands=commands,
        words=tuple(word.upper() for word in words),
        output=None if output is None else str(output),
    )


def _choices(choices: Any, fail: Fail) -> tuple[Choice, ...]:
    if not isinstance(choices, list) or len(choices) < 2:
        raise fail("a question needs a list of at least two choices")
    parsed = []
    for choice in choices:
        if (
            not isinstance(choice, dict)
            or set(choice) - {"answer", "correct", "why"}
            or not isinstance(choice.get("answer"), str)
            or not isinstance(choice.get("why"), str)
            or not isinstance(choice.get("correct", False), bool)
        ):
            raise fail("each choice has 'answer' and 'why' texts, and 'correct: true' on one")
        parsed.append(
            Choice(
                render_inline(choice["answer"]),
                choice.get("correct", False),
                render_block(choice["why"]),
            )
        )
    if sum(choice.correct for choice in parsed) != 1:
        raise fail("exactly one choice is 'correct: true'")
    return tuple(parsed)


def exercise_html(exercise: Exercise, number: int) -> str:
    """The static part of an exercise: its task, its tiered hints, a place for its panel."""
    ex = escape(exercise.id)
    # Numbered, so each exercise's region has its own name (landmarks must be unique).
    label = f"{'Question' if exercise.kind == 'choice' else 'Exercise'} {number}"
    return (
        f'<section class="exercise is-{escape(exercise.kind)}" id="ex-{ex}" data-exercise="{ex}" '
        f'aria-labelledby="ex-{ex}-title" data-testid="exercise">'
        f'<h3 id="ex-{ex}-title" class="exercise-title">{label}</h3>'
        f'<div class="exercise-task">{exercise.task_html}</div>'
        f'<div id="ex-{ex}-panel" class="exercise-panel" aria-live="polite" '
        'data-testid="exercise-panel">'
        f'<p id="ex-{ex}-status" class="exercise-status" role="status" '
        'data-testid="exercise-status">'
        "Loading this exercise…</p></div>"
        f"{hints_html(exercise.hints_html)}"
        "</section>\n"
    )


def hints_html(hints: tuple[str, ...]) -> str:
    """Hints as nested disclosures: each one opens only after the one before it."""
    html = ""
    for number in range(len(hints), 0, -1):
        body = hints[number - 1]
        html = (
            f'<details class="exercise-hint"><summary>Hint {number} of {len(hints)}</summary>'
            f"{body}{html}</details>"
        )
    return html
