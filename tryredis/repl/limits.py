"""The limits one sandbox runs under: the engine's only configuration.

Each field is a setting of the same name (``TRYREDIS_<FIELD>``, see the README's
settings table); refusals name that variable so a learner or a teacher knows
which knob it is. The engine never reads ``Settings`` itself: whoever builds it
picks these fields out (``Limits.pick``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one learner's commands may cost."""

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

    @classmethod
    def pick(cls, source: object) -> Limits:
        """The limits from any object with attributes of the same names (the app's Settings)."""
        return cls(**{f.name: getattr(source, f.name) for f in dataclasses.fields(cls)})

    def replace(self, **changes: object) -> Limits:
        """A copy with some limits changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def setting_name(field: str) -> str:
    """The environment variable of a limit: ``TRYREDIS_STRING_MAX_BYTES``."""
    return "TRYREDIS_" + field.upper()
