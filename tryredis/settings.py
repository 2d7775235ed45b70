"""Settings: one frozen object built from ``TRYREDIS_*`` variables and an optional ``.env``.

Every setting is declared once in ``FIELDS`` with its type, default and one-line
meaning; the README's settings table is generated from (and tested against) it.
A bad value raises ``SettingsError`` whose message is one line naming the variable.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis.asyncio

from tryredis.resources import CHECKOUT, packaged_dir

ENV_PREFIX = "TRYREDIS_"
PROJECT_ROOT = CHECKOUT
"""The checkout's root (tests and tools); an installed site finds its files with packaged_dir."""
# Variables that are not settings: set by `tryredis serve` for its workers.
INTERNAL_VARIABLES = ("TRYREDIS_PARENT_PID",)


class SettingsError(ValueError):
    """A setting has a value tryredis cannot use; the message names the variable."""


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be greater than 0")
    return value


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name}={raw!r} must be a finite number greater than 0")
    return value


def _percent(name: str, raw: str) -> float:
    value = _positive_float(name, raw)
    if value > 100:
        raise SettingsError(f"{name}={raw!r} must be a percentage, at most 100")
    return value


def _port(name: str, raw: str) -> int:
    value = _positive_int(name, raw)
    if value > 65535:
        raise SettingsError(f"{name}={raw!r} is not a TCP port (1-65535)")
    return value


def _text(name: str, raw: str) -> str:
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


def _optional_redis_url(name: str, raw: str) -> str | None:
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


def _optional_path(name: str, raw: str) -> Path | None:
    raw = raw.strip()
    return Path(raw).expanduser() if raw else None


def _optional_directory(name: str, raw: str) -> Path | None:
    # A directory tryredis creates if missing: anything else at that path is a mistake.
    path = _optional_path(name, raw)
    if path is not None and path.exists() and not path.is_dir():
        raise SettingsError(f"{name}={raw!r} is not a directory")
    return path


def _lessons_dir(name: str, raw: str) -> Path:
    path = _optional_path(name, raw)
    if path is None:
        return packaged_dir("lessons_md")
    if not path.is_dir():
        raise SettingsError(f"{name}={raw!r} is not a directory")
    if not any(path.glob("*.md")):
        raise SettingsError(f"{name}={raw!r} holds no lessons (NN-slug.md files)")
    return path


def _host(name: str, raw: str) -> str:
    host = raw.strip()
    if not host or any(c.isspace() or c in "/[]" for c in host):
        raise SettingsError(f"{name}={raw!r} is not a host name or IP address")
    return host


def _key_prefix(name: str, raw: str) -> str:
    # The prefix is used inside glob patterns (SCAN MATCH, ACL ~patterns) and in
    # hash-tagged names, so it must not contain glob or hash-tag metacharacters.
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,32}", raw):
        raise SettingsError(f"{name}={raw!r} must be 1-32 characters from A-Z a-z 0-9 _ . : -")
    return raw


def _log_level(name: str, raw: str) -> str:
    level = raw.strip().lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        raise SettingsError(f"{name}={raw!r} is not one of critical, error, warning, info, debug")
    return level


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (true/false)")


@dataclass(frozen=True)
class Field:
    """One setting: its attribute name, parser, default text and README description."""

    attr: str
    parse: Callable[[str, str], Any]
    default: str
    doc: str

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return ENV_PREFIX + self.attr.upper()


FIELDS: tuple[Field, ...] = (
    Field(
        "redis_url",
        _optional_redis_url,
        "",
        "Redis 7+ (or Cluster) for the site; unset: the CLI starts an embedded redis-server",
    ),
    Field(
        "sandbox_redis_url",
        _optional_redis_url,
        "",
        "Put learner data on a separate Redis; unset: same as the site's Redis",
    ),
    Field("redis_cluster", _bool, "false", "Treat the Redis URLs as Redis Cluster seed nodes"),
    Field(
        "redis_server",
        _optional_path,
        "",
        "Path to the redis-server binary for the embedded Redis (default: found on PATH)",
    ),
    Field(
        "data_dir",
        _optional_directory,
        "",
        "Embedded Redis keeps its data here (AOF fsynced every second, and RDB) across restarts",
    ),
    Field(
        "lessons_dir",
        _lessons_dir,
        "",
        "A folder of your own lessons (NN-slug.md) instead of the ones shipped with tryredis",
    ),
    Field("embedded_maxmemory", _text, "256mb", "maxmemory of the embedded redis-server"),
    Field(
        "secret_key",
        _text,
        "",
        "Signs session cookies and API tokens; unset: generated once and kept in Redis",
    ),
    Field("key_prefix", _key_prefix, "tryredis:", "Every key the site writes starts with this"),
    Field("host", _host, "127.0.0.1", "Address `tryredis serve` listens on"),
    Field("port", _port, "8000", "Port `tryredis serve` listens on"),
    Field("workers", _positive_int, "1", "Web worker processes started by `tryredis serve`"),
    # HTTP: who is trusted and how long and big a request may be (tryredis/httpserver.py).
    Field(
        "forwarded_allow_ips",
        _text,
        "",
        "Proxies trusted for X-Forwarded-For/-Proto (comma-separated addresses); unset: none",
    ),
    Field(
        "http_header_timeout_seconds",
        _positive_float,
        "10",
        "A request's head (request line and headers) must arrive within this, else 408",
    ),
    Field(
        "http_header_max_bytes",
        _positive_int,
        "65536",
        "Largest request head, else 431",
    ),
    Field(
        "http_body_timeout_seconds",
        _positive_float,
        "20",
        "A request's body must arrive within this, else 408",
    ),
    Field(
        "http_max_connections",
        _positive_int,
        "500",
        "Most connections open at once per worker; more get 503",
    ),
    Field(
        "http_keep_alive_seconds",
        _positive_float,
        "5",
        "An idle kept-alive connection is closed after this",
    ),
    Field("log_level", _log_level, "info", "Log level"),
    Field("line_max_bytes", _positive_int, "4096", "Longest command line a learner may type"),
    Field("args_max", _positive_int, "64", "Most arguments in one command"),
    Field(
        "string_max_bytes",
        _positive_int,
        "65536",
        "Largest string value (SETRANGE, APPEND, SETBIT, BITFIELD checked before they run)",
    ),
    Field(
        "key_max_elements",
        _positive_int,
        "1000",
        "Most elements in one list, set, sorted set, hash or stream",
    ),
    Field("sandbox_max_keys", _positive_int, "1000", "Most keys in one sandbox"),
    Field("sandbox_max_bytes", _positive_int, "1048576", "Most memory one sandbox may use"),
    Field("reply_max_items", _positive_int, "1000", "Most items one reply may hold"),
    Field("pattern_max_bytes", _positive_int, "128", "Longest glob pattern (KEYS, SCAN MATCH)"),
    Field(
        "match_chunk_bytes",
        _positive_int,
        "4096",
        "Bytes of key names (or elements) a worker matches against a pattern before it lets "
        "other requests run (about a millisecond)",
    ),
    Field(
        "block_max_seconds",
        _positive_float,
        "10",
        "Cap on blocking commands' timeouts (0 means this cap)",
    ),
    Field("multi_max_commands", _positive_int, "50", "Most commands queued in one MULTI"),
    Field(
        "multi_max_bytes",
        _positive_int,
        "65536",
        "Most bytes of arguments queued in one MULTI",
    ),
    Field("watch_max_keys", _positive_int, "64", "Most keys one learner may WATCH at once"),
    Field(
        "reply_max_bytes",
        _positive_int,
        "524288",
        "Largest reply one command may have (bounded before it runs)",
    ),
    Field(
        "request_reply_max_bytes",
        _positive_int,
        "1048576",
        "Largest replies one request (up to 20 lines) may have together",
    ),
    Field(
        "command_max_ms",
        _positive_float,
        "10",
        "Most time one learner command may hold Redis (bounded before it runs)",
    ),
    Field("subscribe_max_channels", _positive_int, "5", "Most channels in one SUBSCRIBE stream"),
    Field(
        "subscribe_max_seconds",
        _positive_float,
        "300",
        "A SUBSCRIBE stream closes after this many seconds",
    ),
    Field(
        "subscriptions_per_worker",
        _positive_int,
        "1000",
        "Most SUBSCRIBE streams open at once (per worker; they share one Redis connection)",
    ),
    Field(
        "subscriptions_per_address",
        _positive_int,
        "32",
        "Most SUBSCRIBE streams open at once from one client address (one per learner)",
    ),
    Field(
        "blocking_per_address",
        _positive_int,
        "8",
        "Most blocking commands waiting at once from one client address (one per learner)",
    ),
    Field(
        "blocking_max_connections",
        _positive_int,
        "16",
        "Most blocking commands in flight at once (per worker)",
    ),
    Field(
        "sandbox_pool_size",
        _positive_int,
        "64",
        "Connections per worker for learners' ordinary commands",
    ),
    Field(
        "command_timeout_seconds",
        _positive_float,
        "5",
        "Socket timeout for one non-blocking learner command",
    ),
    Field(
        "pool_wait_seconds",
        _positive_float,
        "5",
        "How long a request waits for a free Redis connection before a 503 'busy, retry'",
    ),
    Field("rate_per_second", _positive_float, "10", "Commands per second per learner"),
    Field("rate_burst", _positive_int, "20", "Burst of commands per learner"),
    Field(
        "ip_rate_per_second",
        _positive_float,
        "100",
        "Commands per second per client address, all its learners together (a classroom "
        "shares one); a page view costs TRYREDIS_PAGE_COST of them",
    ),
    Field("ip_rate_burst", _positive_int, "300", "Burst of commands per client address"),
    Field(
        "page_cost",
        _positive_int,
        "5",
        "Commands of the address's rate limit one page view costs (a page takes the worker "
        "about as long as five commands)",
    ),
    Field(
        "turns_waiting_per_address",
        _positive_int,
        "32",
        "Page renders of one client address that may wait at once for their turn in a worker "
        "(turns go round-robin across addresses, one at a time); one more gets 503",
    ),
    Field(
        "sessions_per_ip_hour", _positive_int, "300", "New sandboxes per client address per hour"
    ),
    Field("sandbox_idle_hours", _positive_float, "72", "Idle sandboxes are deleted after this"),
    Field(
        "admit_memory_percent",
        _percent,
        "70",
        "No new sandboxes once Redis uses this much of its maxmemory ('site full', 503)",
    ),
    Field(
        "evict_memory_percent",
        _percent,
        "75",
        "Past this share of maxmemory the janitor deletes the longest-idle sandboxes first",
    ),
    Field(
        "write_memory_percent",
        _percent,
        "85",
        "Past this share of maxmemory learners' writes that add data are refused",
    ),
    Field(
        "journal_lines",
        _positive_int,
        "50",
        "Lines kept per learner in their journal (exercise method checks, a teacher's view)",
    ),
    # Classroom (docs/classroom.md)
    Field(
        "class_stuck_errors",
        _positive_int,
        "5",
        "A class member is flagged stuck after this many errors in a row",
    ),
    Field(
        "class_stuck_minutes",
        _positive_float,
        "10",
        "A class member is flagged stuck after this long active without finishing an exercise",
    ),
    # Code cells (tryredis/pycells): limits the learner's browser applies to their own code.
    Field(
        "cell_time_limit_seconds",
        _positive_float,
        "30",
        "A code cell's run is stopped (its Python worker ended) after this many seconds",
    ),
    Field(
        "cell_output_max_bytes",
        _positive_int,
        "65536",
        "A code cell's run is stopped once it printed more than this",
    ),
)


@dataclass(frozen=True)
class Settings:
    """All of tryredis's configuration; build it with ``Settings.from_env()``."""

    redis_url: str | None = None
    sandbox_redis_url: str | None = None
    redis_cluster: bool = False
    redis_server: Path | None = None
    data_dir: Path | None = None
    lessons_dir: Path = dataclasses.field(default_factory=lambda: packaged_dir("lessons_md"))
    embedded_maxmemory: str = "256mb"
    secret_key: str = ""
    key_prefix: str = "tryredis:"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    forwarded_allow_ips: str = ""
    http_header_timeout_seconds: float = 10.0
    http_header_max_bytes: int = 65536
    http_body_timeout_seconds: float = 20.0
    http_max_connections: int = 500
    http_keep_alive_seconds: float = 5.0
    log_level: str = "info"
    line_max_bytes: int = 4096
    args_max: int = 64
    string_max_bytes: int = 65536
    key_max_elements: int = 1000
    sandbox_max_keys: int = 1000
    sandbox_max_bytes: int = 1048576
    reply_max_items: int = 1000
    pattern_max_bytes: int = 128
    match_chunk_bytes: int = 4096
    block_max_seconds: float = 10.0
    multi_max_commands: int = 50
    multi_max_bytes: int = 65536
    watch_max_keys: int = 64
    reply_max_bytes: int = 524288
    request_reply_max_bytes: int = 1048576
    command_max_ms: float = 10.0
    subscribe_max_channels: int = 5
    subscribe_max_seconds: float = 300.0
    subscriptions_per_worker: int = 1000
    subscriptions_per_address: int = 32
    blocking_per_address: int = 8
    blocking_max_connections: int = 16
    sandbox_pool_size: int = 64
    command_timeout_seconds: float = 5.0
    pool_wait_seconds: float = 5.0
    rate_per_second: float = 10.0
    rate_burst: int = 20
    ip_rate_per_second: float = 100.0
    ip_rate_burst: int = 300
    page_cost: int = 5
    turns_waiting_per_address: int = 32
    sessions_per_ip_hour: int = 300
    sandbox_idle_hours: float = 72.0
    admit_memory_percent: float = 70.0
    evict_memory_percent: float = 75.0
    write_memory_percent: float = 85.0
    journal_lines: int = 50
    class_stuck_errors: int = 5
    class_stuck_minutes: float = 10.0
    cell_time_limit_seconds: float = 30.0
    cell_output_max_bytes: int = 65536

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        """Read settings from ``environ`` (default: ``os.environ``) over an optional ``.env``."""
        values = read_env(environ, env_file)
        parsed = {f.attr: f.parse(f.env, values.get(f.env, f.default)) for f in FIELDS}
        stages = [parsed[name] for name in ("admit_memory_percent", "evict_memory_percent")]
        if not stages[0] <= stages[1] <= parsed["write_memory_percent"]:
            raise SettingsError(
                "TRYREDIS_ADMIT_MEMORY_PERCENT <= TRYREDIS_EVICT_MEMORY_PERCENT <= "
                "TRYREDIS_WRITE_MEMORY_PERCENT must hold (admission closes before eviction, "
                "eviction starts before writes are refused)"
            )
        return cls(**parsed)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (used by the CLI and tests)."""
        return dataclasses.replace(self, **changes)

    @property
    def sandbox_url(self) -> str | None:
        """The Redis that holds learner data."""
        return self.sandbox_redis_url or self.redis_url


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
