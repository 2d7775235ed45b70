"""The ``Settings`` dataclass: every setting's value, built from the environment by ``from_env``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tryredis.resources import packaged_dir
from tryredis.settings.environment import read_env
from tryredis.settings.fields import FIELDS
from tryredis.settings.parsers import SettingsError


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
