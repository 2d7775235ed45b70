"""The highlighted-code themes: the committed stylesheet is the generated one, and readable."""

from __future__ import annotations

import re

import pytest

from tryredis.lessons.markdown import pygments_css
from tryredis.settings import PROJECT_ROOT

CSS = PROJECT_ROOT / "static" / "css" / "pygments.css"


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of #rgb or #rrggbb."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_committed_stylesheet_is_generated() -> None:
    assert CSS.read_text() == pygments_css()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_token_colour_meets_aa(theme: str) -> None:
    light, _, dark = pygments_css().partition("@media (prefers-color-scheme: dark)")
    css = light if theme == "light" else dark
    background = re.search(r"\.highlight \{ background: (#[0-9a-fA-F]+)", css)
    assert background
    rules = re.findall(r"^\.highlight \.(\w+) \{([^}]*)\}", css, re.MULTILINE)
    assert len(rules) > 50
    for token, body in rules:
        if token == "w":  # whitespace: nothing to read
            continue
        behind = re.search(r"background-color: (#[0-9a-fA-F]+)", body)
        for colour in re.findall(r"(?<!-)color: (#[0-9a-fA-F]+)", body):
            ratio = contrast(colour, behind.group(1) if behind else background.group(1))
            assert ratio >= 4.5, f"{theme} .{token} {colour}: {ratio:.2f}"
