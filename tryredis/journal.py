"""The learner's journal: the last lines they ran, with what each printed.

Exercise method checks ("in one command", "inside MULTI") and a teacher's view of
a student read it. It is a bounded list in Redis next to the session (same hash
tag, same sliding TTL), so it costs at most ``size`` entries of at most
``LINE_CHARS + OUTPUT_CHARS`` characters per learner: its memory is part of the
site's own headroom (docs/sandbox.md, "Capacity").

Entries are numbered: ``seq`` counts every line the learner ever journaled, so a
reader can ask for what came after a position it remembered (``since``). The
counter lives in the session hash; the append and the read are each one MULTI, so
numbers stay right when two requests of one learner interleave.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

from tryredis.keys import Keys
from tryredis.sessions import SiteRedis
from tryredis.wire import Coalescer, Command, ErrorReply, is_noscript

LINE_CHARS = 300
OUTPUT_CHARS = 300
SEQ_FIELD = "js"


@dataclass(frozen=True)
class JournalEntry:
    """One line a learner ran: its position, when, what it printed and where it came from."""

    seq: int
    at_ms: int
    line: str
    output: str
    kind: str
    source: str


# KEYS: journal, session. ARGV: size, ttl (ms), sequence field, rows... One call, one
# round trip: append, keep the last ``size``, count, and keep a class member's journal
# (the session has ``cls``) without a TTL, as long as the class.
RECORD = """
redis.call('RPUSH', KEYS[1], unpack(ARGV, 4))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
if redis.call('HEXISTS', KEYS[2], 'cls') == 1 then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('HINCRBY', KEYS[2], ARGV[3], #ARGV - 3)
return 0
"""
RECORD_SHA = hashlib.sha1(RECORD.encode()).hexdigest().encode()  # noqa: S324


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Journal:
    """The per-learner journals, on the site's Redis."""

    def __init__(
        self,
        redis: SiteRedis,
        keys: Keys,
        size: int,
        ttl_ms: int,
        paused: Callable[[], bool] = lambda: False,
        fast: Coalescer | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.size = size
        self.ttl_ms = ttl_ms
        self.paused = paused  # Redis nearly full: keep its headroom for sessions and limits
        # The raw path (standalone Redis): every REPL request records, and redis-py's
        # MULTI pipeline cost as much worker time as the learner's command itself.
        self.fast = fast
        self._record = redis.register_script(RECORD)

    async def record(
        self, learner_id: str, lines: Sequence[tuple[str, str, str]], source: str
    ) -> None:
        """Append ``(line, output, kind)`` rows, keeping the last ``size`` (none while paused)."""
        if not lines or self.paused():
            return
        now = int(time.time() * 1000)
        rows = [
            json.dumps(
                [now, _clip(line, LINE_CHARS), _clip(output, OUTPUT_CHARS), kind, source],
                ensure_ascii=False,
            )
            for line, output, kind in lines
        ]
        keys = [self.keys.journal(learner_id), self.keys.session(learner_id)]  # one slot: {id}
        args = [str(self.size), str(self.ttl_ms), SEQ_FIELD, *rows]
        if self.fast is None:
            await self._record(keys=keys, args=args)
            return
        command: Command = (b"EVALSHA", RECORD_SHA, b"2", *keys, *args)
        (reply,) = await self.fast.run([command])
        if is_noscript(reply):
            await self.fast.run([(b"SCRIPT", b"LOAD", RECORD)])  # Redis restarted: load it
            (reply,) = await self.fast.run([command])
        if isinstance(reply, ErrorReply):
            raise RedisError(bytes(reply).decode(errors="replace"))

    async def recent(self, learner_id: str, count: int) -> list[JournalEntry]:
        """The last ``count`` entries, oldest first."""
        return await self._read(learner_id, max(0, min(count, self.size)))

    async def since(self, learner_id: str, seq: int) -> list[JournalEntry]:
        """The entries numbered after ``seq`` that are still kept, oldest first."""
        return [entry for entry in await self._read(learner_id, self.size) if entry.seq > seq]

    async def head(self, learner_id: str) -> int:
        """The number of the last entry (0 before the first)."""
        value = await self.redis.hget(self.keys.session(learner_id), SEQ_FIELD)
        return int(value) if value else 0

    async def _read(self, learner_id: str, count: int) -> list[JournalEntry]:
        if count == 0:
            return []
        pipe = self.redis.pipeline(transaction=True)
        pipe.lrange(self.keys.journal(learner_id), -count, -1)
        pipe.hget(self.keys.session(learner_id), SEQ_FIELD)
        rows, last = await pipe.execute()
        last_seq = int(last) if last else 0
        first = last_seq - len(rows) + 1
        entries = []
        for offset, raw in enumerate(rows):
            at_ms, line, output, kind, source = json.loads(raw)
            entries.append(JournalEntry(first + offset, at_ms, line, output, kind, source))
        return entries
