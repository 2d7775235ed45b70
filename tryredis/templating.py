"""Jinja2 templates from ``site/``, with the helpers every page uses."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.templating import Jinja2Templates

from tryredis.assets import static_url


def build_templates(directory: Path) -> Jinja2Templates:
    """The template set: autoescaped, strict about undefined names, with ``static_url``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates = Jinja2Templates(env=env)
    env.globals["static_url"] = jinja2.pass_context(
        lambda context, path: static_url(context["request"], path)
    )
    return templates
