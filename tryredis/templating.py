"""Jinja2 templates from ``site/``, with the helpers every page uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from tryredis.assets import static_url
from tryredis.pycells.lessons import has_code_cells
from tryredis.pycells.runtime import cells_runtime
from tryredis.routepaths import route_path


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
    env.globals["path_for"] = jinja2.pass_context(path_for)
    env.globals["has_code_cells"] = has_code_cells  # site/lesson.html: code cells' script
    env.globals["cells_runtime"] = cells_runtime
    return templates


def path_for(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """The path (no scheme or host) of a named route: links survive any proxy's Host header."""
    request: Request = context["request"]
    return route_path(request, name, **params)
