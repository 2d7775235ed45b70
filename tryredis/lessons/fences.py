"""Fenced blocks of a lesson: one renderer per fence name, in a registry.

A fence's info string is its name and options: ```` ```redis unordered ````. The
name is looked up first as its first two words (``python cell``, ``exercise
python``), then as its first word; the remaining words are the options. A
renderer returns the block's HTML and records what the site and the tests need
in ``Collected``. To add a fence, write a ``FenceRenderer`` and add it to
``FENCES`` (see docs/lesson-format.md, "Adding a fence").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import yaml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.token import Error

from tryredis.lessons.exercises import exercise_html, parse_exercise
from tryredis.lessons.model import (
    Exercise,
    LessonError,
    PythonBlock,
    RedisBlock,
    TranscriptStep,
)
from tryredis.pycells.lessons import render_python_cell, render_python_exercise

PROMPT = "redis> "
REDIS_OPTIONS = {"unordered", "nocheck"}
# Shown as they are: highlighting HTTP headers, shell sessions or config files
# with a strict lexer paints every line it does not know as an error.
PLAIN = ("text", "bash", "shell", "console", "http", "json", "yaml", "toml", "ini", "html")


@dataclass
class Collected:
    """Blocks and links found while rendering one lesson (the markdown-it ``env``).

    ``extra`` holds what fence plug-ins collect, by a name of their choosing.
    """

    path: str
    redis_blocks: list[RedisBlock] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    python_blocks: list[PythonBlock] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)
    extra: dict[str, list[Any]] = field(default_factory=dict)

    def add_exercise(self, exercise: Exercise, line: int) -> None:
        """Record an exercise; its id must be unique in the lesson."""
        if any(e.id == exercise.id for e in self.exercises):
            raise LessonError(f"{self.path}:{line}: duplicate exercise id {exercise.id!r}")
        self.exercises.append(exercise)


@dataclass(frozen=True)
class Fence:
    """One fenced block being rendered: its text, options, line and the lesson's collection."""

    content: str
    options: tuple[str, ...]
    line: int
    collected: Collected

    def error(self, message: str) -> LessonError:
        """A ``LessonError`` at this block's line."""
        return LessonError(f"{self.collected.path}:{self.line}: {message}")

    def no_options(self, name: str) -> None:
        """Refuse options on a fence that takes none."""
        if self.options:
            raise self.error(f"unknown {name} fence option {' '.join(self.options)!r}")


FenceRenderer = Callable[[Fence], str]


def render_fence(info: str, content: str, line: int, collected: Collected) -> str:
    """Render one fenced block with the renderer its info string names."""
    words = info.split() or ["text"]
    for size in (2, 1):
        renderer = FENCES.get(" ".join(words[:size])) if len(words) >= size else None
        if renderer is not None:
            return renderer(Fence(content, tuple(words[size:]), line, collected))
    raise LessonError(f"{collected.path}:{line}: unknown fence {info.strip()!r}")


def plain(code: str, lang: str) -> str:
    """A code block shown as plain, escaped text."""
    return (
        f'<pre class="code plain"><code class="language-{escape(lang)}">'
        f"{escape(code)}</code></pre>\n"
    )


def python_html(code: str) -> str:
    """Python highlighted by Pygments; plain text if the lexer finds anything it rejects."""
    tokens = list(PythonLexer().get_tokens(code))
    if any(kind in Error for kind, _ in tokens):
        return plain(code, "python")
    body = highlight(code, PythonLexer(), HtmlFormatter(nowrap=True))
    return f'<pre class="code highlight"><code class="language-python">{body}</code></pre>\n'


def _render_plain(lang: str) -> FenceRenderer:
    def render(fence: Fence) -> str:
        fence.no_options(lang)
        return plain(fence.content, lang)

    return render


def render_python(fence: Fence) -> str:
    """```` ```python ```` (executed by the tests) and ```` ```python fragment ```` (shown only)."""
    if fence.options not in ((), ("fragment",)):
        raise fence.error(f"unknown python fence option {' '.join(fence.options)!r}")
    block = PythonBlock(fence.content, fragment=bool(fence.options), line=fence.line)
    fence.collected.python_blocks.append(block)
    return python_html(fence.content)


def render_exercise(fence: Fence) -> str:
    """```` ```exercise ````: a commands exercise or a multiple-choice question."""
    fence.no_options("exercise")
    try:
        data: Any = yaml.safe_load(fence.content)
    except yaml.YAMLError as error:
        raise fence.error(f"exercise is not valid YAML: {error}") from None
    number = len(fence.collected.exercises) + 1
    exercise = parse_exercise(data, number, fence.line, fence.error)
    fence.collected.add_exercise(exercise, fence.line)
    return exercise_html(exercise, number)


def render_redis(fence: Fence) -> str:
    """```` ```redis ````: a runnable block, checked by the tests when it is a transcript."""
    unknown = set(fence.options) - REDIS_OPTIONS
    if unknown:
        raise fence.error(f"unknown redis fence option {' '.join(sorted(unknown))!r}")
    lines = fence.content.rstrip("\n").split("\n")
    transcript = any(text.startswith(PROMPT.rstrip()) for text in lines)
    steps = _parse_transcript(lines, fence) if transcript else ()
    commands = (
        tuple(s.command for s in steps)
        if transcript
        else tuple(text.strip() for text in lines if text.strip())
    )
    if not commands:
        raise fence.error("empty redis block")
    block = RedisBlock(
        commands, steps, "unordered" in fence.options, "nocheck" not in fence.options, fence.line
    )
    fence.collected.redis_blocks.append(block)
    if transcript:
        shown = "".join(
            f'<span class="prompt">{escape(PROMPT)}</span><span class="cmd">'
            f'{escape(s.command)}</span>\n<span class="out">{escape(s.expected)}</span>\n'
            for s in steps
        )
    else:
        shown = "".join(f'<span class="cmd">{escape(c)}</span>\n' for c in commands)
    label = "Run these commands" if len(commands) > 1 else "Run this command"
    return (
        '<figure class="redis-block" data-testid="redis-block">'
        f'<pre class="code redis"><code>{shown}</code></pre>'
        f'<button type="button" class="run-button" hidden aria-label="{label} in the REPL" '
        f"data-commands='{escape(json.dumps(commands), quote=True)}'>Run</button>"
        "</figure>\n"
    )


def _parse_transcript(lines: list[str], fence: Fence) -> tuple[TranscriptStep, ...]:
    steps: list[TranscriptStep] = []
    command: str | None = None
    output: list[str] = []
    start = fence.line
    for offset, text in enumerate(lines, start=fence.line + 1):
        if text.startswith(PROMPT.rstrip()):
            if command is not None:
                steps.append(_step(command, output, start, fence))
            command, output, start = text[len(PROMPT.rstrip()) :].strip(), [], offset
        elif command is None:
            if text.strip():
                raise LessonError(
                    f"{fence.collected.path}:{offset}: a transcript block must start with 'redis> '"
                )
        else:
            output.append(text)
    if command is not None:
        steps.append(_step(command, output, start, fence))
    return tuple(steps)


def _step(command: str, output: list[str], line: int, fence: Fence) -> TranscriptStep:
    while output and not output[-1].strip():
        output.pop()
    if not command or not output:
        raise LessonError(
            f"{fence.collected.path}:{line}: "
            "each 'redis> ' line needs a command and its expected output"
        )
    return TranscriptStep(command, "\n".join(output), line)


FENCES: dict[str, FenceRenderer] = {
    "redis": render_redis,
    "python": render_python,
    "exercise": render_exercise,
    # Code cells and coding exercises, run in the learner's browser: tryredis/pycells.
    "python cell": render_python_cell,
    "exercise python": render_python_exercise,
    **{lang: _render_plain(lang) for lang in PLAIN},
}
