"""Where settings come from: a ``.env`` file and the environment, and names that are no setting."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from tryredis.settings.fields import ENV_PREFIX, FIELDS
from tryredis.settings.parsers import SettingsError

# Variables that are not settings: set by `tryredis serve` for its workers.
INTERNAL_VARIABLES = ("TRYREDIS_PARENT_PID",)


def read_env(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> dict[str, str]:
    """The variables settings come from: ``.env`` (default: in the working directory), then
    ``environ`` (default: ``os.environ``) over it."""
    values: dict[str, str] = {}
    dotenv = env_file if env_file is not None else Path.cwd() / ".env"
    if dotenv.is_file():
        values.update(read_dotenv(dotenv))
    values.update(os.environ if environ is None else environ)
    return values


def unknown_variables(names: Iterable[str]) -> list[str]:
    """A warning for each ``TRYREDIS_*`` name that is no setting, with the nearest real one."""
    known = [field.attr.upper() for field in FIELDS]
    warnings = []
    for name in sorted(names):
        rest = name.removeprefix(ENV_PREFIX)
        if rest == name or rest in known or name in INTERNAL_VARIABLES:
            continue
        # Compared without the prefix, which every name shares and would make all "close".
        nearest = difflib.get_close_matches(rest, known, n=1, cutoff=0.6)
        hint = f"did you mean {ENV_PREFIX}{nearest[0]}?" if nearest else "see the README's settings"
        warnings.append(f"{name} is not a tryredis setting; ignored ({hint})")
    return warnings


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``NAME=value`` lines, ``#`` comments, optional quotes."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not name.strip():
            raise SettingsError(f"{path}:{number}: expected NAME=value, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values
