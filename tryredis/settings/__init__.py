"""Settings: one frozen object built from ``TRYREDIS_*`` variables and an optional ``.env``.

Every setting is declared once in ``FIELDS`` with its type, default and one-line
meaning; the README's settings table is generated from (and tested against) it.
A bad value raises ``SettingsError`` whose message is one line naming the variable.

This module is the package's public surface; its parts: ``parsers`` (one value
each, and ``SettingsError``), ``fields`` (``FIELDS``), ``model`` (``Settings``)
and ``environment`` (``.env``, the environment, and names that are no setting).
"""

from __future__ import annotations

from tryredis.resources import CHECKOUT
from tryredis.settings.environment import (
    INTERNAL_VARIABLES,
    read_dotenv,
    read_env,
    unknown_variables,
)
from tryredis.settings.fields import ENV_PREFIX, FIELDS, Field
from tryredis.settings.model import Settings
from tryredis.settings.parsers import SettingsError, redacted

PROJECT_ROOT = CHECKOUT
"""The checkout's root (tests and tools); an installed site finds its files with packaged_dir."""

__all__ = [
    "ENV_PREFIX", "FIELDS", "INTERNAL_VARIABLES", "PROJECT_ROOT", "Field", "Settings",
    "SettingsError", "read_dotenv", "read_env", "redacted", "unknown_variables",
]  # fmt: skip
