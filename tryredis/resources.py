"""Where the site's own files are: inside the installed package, or in the checkout.

A wheel carries ``site/``, ``static/`` and ``lessons_md/`` as ``tryredis/_data/<name>``
(``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml). A checkout (and
its editable install) keeps them at the top level, as DESIGN.md lays them out.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGED = "_data"


def packaged_dir(name: str) -> Path:
    """The directory ``name`` (``site``, ``static`` or ``lessons_md``) shipped with tryredis."""
    inside = importlib.resources.files("tryredis") / PACKAGED / name
    # Wheels install unpacked, so the resource is a real directory Jinja2 and the static
    # files can read; a zipped install would not be, and falls through to the error below.
    if isinstance(inside, Path) and inside.is_dir():
        return inside
    return CHECKOUT / name  # a missing folder fails later with its name (no lessons found ...)
