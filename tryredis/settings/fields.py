"""Every setting, declared once: ``FIELDS``, with each one's parser, default and meaning.

The README's settings table and ``.env.example`` are generated from ``FIELDS``
(tools/settings_docs.py) and tested against it (tests/test_settings.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tryredis.settings.parsers import (
    boolean,
    host,
    key_prefix,
    lessons_dir,
    log_level,
    optional_directory,
    optional_path,
    optional_redis_url,
    percent,
    port,
    positive_float,
    positive_int,
    text,
)

ENV_PREFIX = "TRYREDIS_"


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
        optional_redis_url,
        "",
        "Redis 7+ (or Cluster) for the site; unset: the CLI starts an embedded redis-server",
    ),
    Field(
        "sandbox_redis_url",
        optional_redis_url,
        "",
        "Put learner data on a separate Redis; unset: same as the site's Redis",
    ),
    Field("redis_cluster", boolean, "false", "Treat the Redis URLs as Redis Cluster seed nodes"),
    Field(
        "redis_server",
        optional_path,
        "",
        "Path to the redis-server binary for the embedded Redis (default: found on PATH)",
    ),
    Field(
        "data_dir",
        optional_directory,
        "",
        "Embedded Redis keeps its data here (AOF fsynced every second, and RDB) across restarts",
    ),
    Field(
        "lessons_dir",
        lessons_dir,
        "",
        "A folder of your own lessons (NN-slug.md) instead of the ones shipped with tryredis",
    ),
    Field("embedded_maxmemory", text, "256mb", "maxmemory of the embedded redis-server"),
    Field(
        "secret_key",
        text,
        "",
        "Signs session cookies and API tokens; unset: generated once and kept in Redis",
    ),
    Field("key_prefix", key_prefix, "tryredis:", "Every key the site writes starts with this"),
    Field("host", host, "127.0.0.1", "Address `tryredis serve` listens on"),
    Field("port", port, "8000", "Port `tryredis serve` listens on"),
    Field("workers", positive_int, "1", "Web worker processes started by `tryredis serve`"),
    # HTTP: who is trusted and how long and big a request may be (tryredis/httpserver.py).
    Field(
        "forwarded_allow_ips",
        text,
        "",
        "Proxies trusted for X-Forwarded-For/-Proto (comma-separated addresses); unset: none",
    ),
    Field(
        "http_header_timeout_seconds",
        positive_float,
        "10",
        "A request's head (request line and headers) must arrive within this, else 408",
    ),
    Field(
        "http_header_max_bytes",
        positive_int,
        "65536",
        "Largest request head, else 431",
    ),
    Field(
        "http_body_timeout_seconds",
        positive_float,
        "20",
        "A request's body must arrive within this, else 408",
    ),
    Field(
        "http_max_connections",
        positive_int,
        "500",
        "Most connections open at once per worker; more get 503",
    ),
    Field(
        "http_keep_alive_seconds",
        positive_float,
        "5",
        "An idle kept-alive connection is closed after this",
    ),
    Field("log_level", log_level, "info", "Log level"),
    Field("line_max_bytes", positive_int, "4096", "Longest command line a learner may type"),
    Field("args_max", positive_int, "64", "Most arguments in one command"),
    Field(
        "string_max_bytes",
        positive_int,
        "65536",
        "Largest string value (SETRANGE, APPEND, SETBIT, BITFIELD checked before they run)",
    ),
    Field(
        "key_max_elements",
        positive_int,
        "1000",
        "Most elements in one list, set, sorted set, hash or stream",
    ),
    Field("sandbox_max_keys", positive_int, "1000", "Most keys in one sandbox"),
    Field("sandbox_max_bytes", positive_int, "1048576", "Most memory one sandbox may use"),
    Field("reply_max_items", positive_int, "1000", "Most items one reply may hold"),
    Field("pattern_max_bytes", positive_int, "128", "Longest glob pattern (KEYS, SCAN MATCH)"),
    Field(
        "match_chunk_bytes",
        positive_int,
        "4096",
        "Bytes of key names (or elements) a worker matches against a pattern before it lets "
        "other requests run (about a millisecond)",
    ),
    Field(
        "block_max_seconds",
        positive_float,
        "10",
        "Cap on blocking commands' timeouts (0 means this cap)",
    ),
    Field("multi_max_commands", positive_int, "50", "Most commands queued in one MULTI"),
    Field(
        "multi_max_bytes",
        positive_int,
        "65536",
        "Most bytes of arguments queued in one MULTI",
    ),
    Field("watch_max_keys", positive_int, "64", "Most keys one learner may WATCH at once"),
    Field(
        "reply_max_bytes",
        positive_int,
        "524288",
        "Largest reply one command may have (bounded before it runs)",
    ),
    Field(
        "request_reply_max_bytes",
        positive_int,
        "1048576",
        "Largest replies one request (up to 20 lines) may have together",
    ),
    Field(
        "command_max_ms",
        positive_float,
        "10",
        "Most time one learner command may hold Redis (bounded before it runs)",
    ),
    Field("subscribe_max_channels", positive_int, "5", "Most channels in one SUBSCRIBE stream"),
    Field(
        "subscribe_max_seconds",
        positive_float,
        "300",
        "A SUBSCRIBE stream closes after this many seconds",
    ),
    Field(
        "subscriptions_per_worker",
        positive_int,
        "1000",
        "Most SUBSCRIBE streams open at once (per worker; they share one Redis connection)",
    ),
    Field(
        "subscriptions_per_address",
        positive_int,
        "32",
        "Most SUBSCRIBE streams open at once from one client address (one per learner)",
    ),
    Field(
        "blocking_per_address",
        positive_int,
        "8",
        "Most blocking commands waiting at once from one client address (one per learner)",
    ),
    Field(
        "blocking_max_connections",
        positive_int,
        "16",
        "Most blocking commands in flight at once (per worker)",
    ),
    Field(
        "sandbox_pool_size",
        positive_int,
        "64",
        "Connections per worker for learners' ordinary commands",
    ),
    Field(
        "command_timeout_seconds",
        positive_float,
        "5",
        "Socket timeout for one non-blocking learner command",
    ),
    Field(
        "pool_wait_seconds",
        positive_float,
        "5",
        "How long a request waits for a free Redis connection before a 503 'busy, retry'",
    ),
    Field("rate_per_second", positive_float, "10", "Commands per second per learner"),
    Field("rate_burst", positive_int, "20", "Burst of commands per learner"),
    Field(
        "ip_rate_per_second",
        positive_float,
        "100",
        "Commands per second per client address, all its learners together (a classroom "
        "shares one); a page view costs TRYREDIS_PAGE_COST of them",
    ),
    Field("ip_rate_burst", positive_int, "300", "Burst of commands per client address"),
    Field(
        "page_cost",
        positive_int,
        "5",
        "Commands of the address's rate limit one page view costs (a page takes the worker "
        "about as long as five commands)",
    ),
    Field(
        "turns_waiting_per_address",
        positive_int,
        "32",
        "Page renders of one client address that may wait at once for their turn in a worker "
        "(turns go round-robin across addresses, one at a time); one more gets 503",
    ),
    Field("sessions_per_ip_hour", positive_int, "300", "New sandboxes per client address per hour"),
    Field("sandbox_idle_hours", positive_float, "72", "Idle sandboxes are deleted after this"),
    Field(
        "admit_memory_percent",
        percent,
        "70",
        "No new sandboxes once Redis uses this much of its maxmemory ('site full', 503)",
    ),
    Field(
        "evict_memory_percent",
        percent,
        "75",
        "Past this share of maxmemory the janitor deletes the longest-idle sandboxes first",
    ),
    Field(
        "write_memory_percent",
        percent,
        "85",
        "Past this share of maxmemory learners' writes that add data are refused",
    ),
    Field(
        "journal_lines",
        positive_int,
        "50",
        "Lines kept per learner in their journal (exercise method checks, a teacher's view)",
    ),
    # Classroom (docs/classroom.md)
    Field(
        "class_stuck_errors",
        positive_int,
        "5",
        "A class member is flagged stuck after this many errors in a row",
    ),
    Field(
        "class_stuck_minutes",
        positive_float,
        "10",
        "A class member is flagged stuck after this long active without finishing an exercise",
    ),
    # Code cells (tryredis/pycells): limits the learner's browser applies to their own code.
    Field(
        "cell_time_limit_seconds",
        positive_float,
        "30",
        "A code cell's run is stopped (its Python worker ended) after this many seconds",
    ),
    Field(
        "cell_output_max_bytes",
        positive_int,
        "65536",
        "A code cell's run is stopped once it printed more than this",
    ),
)
