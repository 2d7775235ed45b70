"""Markdown to HTML for lessons: CommonMark plus front matter, anchors, admonitions,
tables, Pygments, and the lesson fences (``redis``, ``python``, ``exercise``).

``render_lesson_body`` returns the HTML and the blocks it found; the blocks are
what the site runs (Run buttons, exercises) and what the test suite checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from tryredis.lessons.model import (
    Exercise,
    ExerciseCheck,
    LessonError,
    PythonBlock,
    RedisBlock,
    TranscriptStep,
)

PROMPT = "redis> "
HIGHLIGHTED = {
    "python": "python",
    "bash": "bash",
    "shell": "bash",
    "console": "console",
    "http": "http",
    "json": "json",
    "yaml": "yaml",
    "toml": "toml",
    "ini": "ini",
    "html": "html",
    "text": "text",
}
REDIS_OPTIONS = {"unordered", "nocheck"}
EXERCISE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")
LESSON_LINK = re.compile(r"^(?:\./)?(\d{2})-([a-z0-9-]+)\.md(#[\w-]*)?$")


@dataclass
class Collected:
    """Blocks and links found while rendering one lesson (the markdown-it ``env``)."""

    path: str
    redis_blocks: list[RedisBlock] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    python_blocks: list[PythonBlock] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)


def build_markdown() -> MarkdownIt:
    """The markdown-it instance every lesson is rendered with (raw HTML disabled)."""
    md = (
        MarkdownIt("commonmark", {"html": False, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .use(anchors_plugin, min_level=2, max_level=3, permalink=True, permalinkSymbol="#")
        .use(admon_plugin)
    )
    md.core.ruler.push("link_lines", _annotate_link_lines)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("link_open", _render_link_open)
    return md


def render_lesson_body(md: MarkdownIt, source: str, path: str) -> tuple[str, str, Collected]:
    """Render a lesson; return (front matter YAML, HTML, collected blocks)."""
    collected = Collected(path)
    env: EnvType = {"collected": collected}
    tokens = md.parse(source, env)
    front = next((t.content for t in tokens if t.type == "front_matter"), "")
    html = md.renderer.render(tokens, md.options, env)
    return front, html, collected


def _fail(env: EnvType, line: int, message: str) -> LessonError:
    return LessonError(f"{env['collected'].path}:{line}: {message}")


def _render_link_open(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    line = int(token.meta.get("line", 0))
    match = LESSON_LINK.match(href)
    if match:  # a link to another lesson's file becomes its URL
        href = f"/lesson/{match.group(2)}{match.group(3) or ''}"
        token.attrSet("href", href)
    env["collected"].links.append((href, line))
    if href.startswith(("http://", "https://")):
        token.attrSet("rel", "noopener")
    return self.renderToken(tokens, idx, options, env)


def _annotate_link_lines(state: StateCore) -> None:
    # Links are children of inline tokens, which alone know their source line.
    for token in state.tokens:
        if token.type == "inline" and token.map and token.children:
            for child in token.children:
                if child.type == "link_open":
                    child.meta["line"] = token.map[0] + 1


def _render_fence(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    line = (token.map[0] + 1) if token.map else 0
    words = token.info.split()
    lang, flags = (words[0], words[1:]) if words else ("text", [])
    if lang == "redis":
        return _render_redis(token.content, flags, line, env)
    if lang == "exercise":
        return _render_exercise(token.content, line, env)
    if lang == "python":
        if flags not in ([], ["fragment"]):
            raise _fail(env, line, f"unknown python fence option {' '.join(flags)!r}")
        env["collected"].python_blocks.append(
            PythonBlock(token.content, fragment=bool(flags), line=line)
        )
    elif lang not in HIGHLIGHTED or flags:
        raise _fail(env, line, f"unknown fence {token.info.strip()!r}")
    return _highlighted(token.content, lang)


def _highlighted(code: str, lang: str) -> str:
    lexer = get_lexer_by_name(HIGHLIGHTED[lang])
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="code highlight"><code class="language-{lang}">{body}</code></pre>\n'


def _render_redis(content: str, flags: list[str], line: int, env: EnvType) -> str:
    unknown = set(flags) - REDIS_OPTIONS
    if unknown:
        raise _fail(env, line, f"unknown redis fence option {' '.join(sorted(unknown))!r}")
    lines = content.rstrip("\n").split("\n")
    transcript = any(text.startswith(PROMPT.rstrip()) for text in lines)
    steps = _parse_transcript(lines, line, env) if transcript else ()
    commands = (
        tuple(s.command for s in steps)
        if transcript
        else tuple(text.strip() for text in lines if text.strip())
    )
    if not commands:
        raise _fail(env, line, "empty redis block")
    block = RedisBlock(commands, steps, "unordered" in flags, "nocheck" not in flags, line)
    env["collected"].redis_blocks.append(block)
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


def _parse_transcript(lines: list[str], first: int, env: EnvType) -> tuple[TranscriptStep, ...]:
    steps: list[TranscriptStep] = []
    command: str | None = None
    output: list[str] = []
    start = first
    for offset, text in enumerate(lines, start=first + 1):
        if text.startswith(PROMPT.rstrip()):
            if command is not None:
                steps.append(_step(command, output, start, env))
            command, output, start = text[len(PROMPT.rstrip()) :].strip(), [], offset
        elif command is None:
            if text.strip():
                raise _fail(env, offset, "a transcript block must start with 'redis> '")
        else:
            output.append(text)
    if command is not None:
        steps.append(_step(command, output, start, env))
    return tuple(steps)


def _step(command: str, output: list[str], line: int, env: EnvType) -> TranscriptStep:
    while output and not output[-1].strip():
        output.pop()
    if not command or not output:
        raise _fail(env, line, "each 'redis> ' line needs a command and its expected output")
    return TranscriptStep(command, "\n".join(output), line)


def _render_exercise(content: str, line: int, env: EnvType) -> str:
    collected: Collected = env["collected"]
    try:
        data: Any = yaml.safe_load(content)
    except yaml.YAMLError as error:
        raise _fail(env, line, f"exercise is not valid YAML: {error}") from None
    exercise = _parse_exercise(data, len(collected.exercises) + 1, line, env)
    if any(e.id == exercise.id for e in collected.exercises):
        raise _fail(env, line, f"duplicate exercise id {exercise.id!r}")
    collected.exercises.append(exercise)
    return (
        f'<section class="exercise" id="ex-{exercise.id}" data-exercise="{exercise.id}" '
        f'aria-labelledby="ex-{exercise.id}-title" data-testid="exercise">'
        f'<h3 id="ex-{exercise.id}-title" class="exercise-title">Exercise</h3>'
        f'<div class="exercise-task">{exercise.task_html}</div>'
        f'<details class="exercise-hint"><summary>Hint</summary>{exercise.hint_html}</details>'
        f'<p id="ex-{exercise.id}-status" class="exercise-status" role="status" '
        'data-testid="exercise-status">Run commands in the REPL: this exercise is checked '
        "after each one.</p>"
        "</section>\n"
    )


def _parse_exercise(data: Any, number: int, line: int, env: EnvType) -> Exercise:
    if not isinstance(data, dict):
        raise _fail(env, line, "an exercise is a YAML mapping with task, checks, hint, solution")
    missing = {"task", "checks", "hint", "solution"} - set(data)
    extra = set(data) - {"id", "task", "checks", "hint", "solution"}
    if missing or extra:
        detail = f"missing {sorted(missing)}" if missing else f"unknown {sorted(extra)}"
        raise _fail(env, line, f"exercise fields: {detail}")
    exercise_id = str(data.get("id", number))
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise _fail(env, line, f"exercise id {exercise_id!r} must match {EXERCISE_ID.pattern}")
    checks = data["checks"]
    if not isinstance(checks, list) or not checks:
        raise _fail(env, line, "exercise checks must be a non-empty list")
    parsed = []
    for check in checks:
        if (
            not isinstance(check, dict)
            or "run" not in check
            or ("expect" in check) == ("match" in check)
            or set(check) - {"run", "expect", "match", "unordered"}
        ):
            raise _fail(env, line, "each check needs 'run' and one of 'expect' or 'match'")
        if "match" in check:
            try:
                re.compile(str(check["match"]))
            except re.error as error:
                raise _fail(env, line, f"check 'match' is not a valid regex: {error}") from None
        parsed.append(
            ExerciseCheck(
                command=str(check["run"]),
                expect=str(check["expect"]) if "expect" in check else None,
                match=str(check["match"]) if "match" in check else None,
                unordered=bool(check.get("unordered")),
            )
        )
    solution = data["solution"]
    if not isinstance(solution, list) or not all(isinstance(s, str) for s in solution):
        raise _fail(env, line, "exercise solution must be a list of command lines")
    inline = MarkdownIt("commonmark", {"html": False})
    return Exercise(
        id=exercise_id,
        task_html=inline.render(str(data["task"])),
        hint_html=inline.render(str(data["hint"])),
        checks=tuple(parsed),
        solution=tuple(solution),
        line=line,
    )


def pygments_css() -> str:
    """Stylesheet for highlighted code: a light theme, and a dark one under prefers-color-scheme."""
    light = HtmlFormatter(style="friendly").get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
