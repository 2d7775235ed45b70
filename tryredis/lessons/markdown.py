"""Markdown to HTML for lessons: CommonMark plus front matter, anchors, admonitions,
tables, and the lesson fences (``tryredis.lessons.fences``).

``render_lesson_body`` returns the HTML and the blocks it found; the blocks are
what the site runs (Run buttons, exercises) and what the test suite checks.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pygments.formatters import HtmlFormatter

from tryredis.lessons.fences import Collected, render_fence

LESSON_LINK = re.compile(r"^(?:\./)?(\d{2})-([a-z0-9-]+)\.md(#[\w-]*)?$")


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
    return render_fence(token.info, token.content, line, env["collected"])


def pygments_css() -> str:
    """Stylesheet for highlighted code: a light theme, and a dark one under prefers-color-scheme."""
    # Both themes keep every token at WCAG AA contrast (4.5:1) on their own background.
    light = HtmlFormatter(style="xcode").get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style="lightbulb").get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
