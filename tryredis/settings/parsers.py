"""Parsers of one setting's value, each ``(variable, raw text) -> value``, and ``SettingsError``.

A parser raises ``SettingsError`` with a one-line message that names the variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis.asyncio

from tryredis.resources import packaged_dir


class SettingsError(ValueError):
    """A setting has a value tryredis cannot use; the message names the variable."""


def positive_int(name: str, raw: str) -> int:
    """A whole number above 0 (``_`` separators allowed)."""
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be greater than 0")
    return value


def positive_float(name: str, raw: str) -> float:
    """A finite number above 0."""
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name}={raw!r} must be a finite number greater than 0")
    return value


def percent(name: str, raw: str) -> float:
    """A percentage: above 0, at most 100."""
    value = positive_float(name, raw)
    if value > 100:
        raise SettingsError(f"{name}={raw!r} must be a percentage, at most 100")
    return value


def port(name: str, raw: str) -> int:
    """A TCP port, 1-65535."""
    value = positive_int(name, raw)
    if value > 65535:
        raise SettingsError(f"{name}={raw!r} is not a TCP port (1-65535)")
    return value


def text(name: str, raw: str) -> str:
    """The value as it is."""
    return raw


# URL options that would override what tryredis sets on its connections (raw RESP2
# replies as bytes, its own timeouts): redis-py lets the URL win over its caller.
_URL_OPTIONS_OWNED = ("protocol", "decode_responses", "encoding", "encoding_errors",
                      "socket_timeout", "socket_connect_timeout")  # fmt: skip


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


def optional_redis_url(name: str, raw: str) -> str | None:
    """A Redis URL tryredis can connect with, or None when unset."""
    raw = raw.strip()
    if not raw:
        return None
    shown = f"{name}={redacted(raw)}"
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"{shown} is not a Redis URL (expected redis://, rediss:// or unix://)")
    database = parts.path if parts.scheme != "unix" else ""
    if database not in ("", "/") and not re.fullmatch(r"/[0-9]+", database):
        raise SettingsError(f"{shown}: the path must be a database number such as /0")
    for option in parse_qs(parts.query, keep_blank_values=True):
        if option in _URL_OPTIONS_OWNED:
            raise SettingsError(f"{shown}: tryredis sets {option} itself; remove it from the URL")
    try:  # parse it and build a connection, unconnected: a bad option fails here
        redis.asyncio.ConnectionPool.from_url(raw).make_connection()  # type: ignore[no-untyped-call]
    except TypeError as error:
        found = re.search(r"keyword argument '(\w+)'", str(error))
        option = found[1] if found else "?"
        raise SettingsError(f"{shown}: unknown URL option {option!r}") from None
    except ValueError as error:
        raise SettingsError(f"{shown}: {error}") from None
    return raw


def optional_path(name: str, raw: str) -> Path | None:
    """A path (``~`` expanded), or None when unset."""
    raw = raw.strip()
    return Path(raw).expanduser() if raw else None


def optional_directory(name: str, raw: str) -> Path | None:
    """A directory tryredis creates if missing (anything else there is a mistake), or None."""
    path = optional_path(name, raw)
    if path is not None and path.exists() and not path.is_dir():
        raise SettingsError(f"{name}={raw!r} is not a directory")
    return path


def lessons_dir(name: str, raw: str) -> Path:
    """A folder holding lessons; unset: the ones shipped with tryredis."""
    path = optional_path(name, raw)
    if path is None:
        return packaged_dir("lessons_md")
    if not path.is_dir():
        raise SettingsError(f"{name}={raw!r} is not a directory")
    if not any(path.glob("*.md")):
        raise SettingsError(f"{name}={raw!r} holds no lessons (NN-slug.md files)")
    return path


def host(name: str, raw: str) -> str:
    """A host name or IP address to listen on."""
    address = raw.strip()
    if not address or any(c.isspace() or c in "/[]" for c in address):
        raise SettingsError(f"{name}={raw!r} is not a host name or IP address")
    return address


def key_prefix(name: str, raw: str) -> str:
    """A key prefix with no glob or hash-tag metacharacters."""
    # The prefix is used inside glob patterns (SCAN MATCH, ACL ~patterns) and in
    # hash-tagged names, so it must not contain glob or hash-tag metacharacters.
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,32}", raw):
        raise SettingsError(f"{name}={raw!r} must be 1-32 characters from A-Z a-z 0-9 _ . : -")
    return raw


def log_level(name: str, raw: str) -> str:
    """A log level name, lower-cased."""
    level = raw.strip().lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        raise SettingsError(f"{name}={raw!r} is not one of critical, error, warning, info, debug")
    return level


def boolean(name: str, raw: str) -> bool:
    """true/false, yes/no, on/off or 1/0 (unset: false)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (true/false)")
