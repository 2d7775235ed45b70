"""Limits that depend on the sandbox's state, checked before a write runs.

The command table finds what a command could grow (``ElementCap``,
``StoreCap``, ``StringCap``, ``LcsCap``); this module measures it in one
pipelined round trip, together with the sandbox's key count and memory, and
refuses the command (nothing is written) if it would go over a limit.

The quotas on keys and memory allow a bounded overshoot: they are checked
before the command, so one command may end slightly above them (at most one
key's worth: strings and collections have their own caps), and concurrent
requests of the *same* learner could each pass the check.
"""

from __future__ import annotations

from collections.abc import Sequence

from tryredis.repl.keyindex import KeyIndex
from tryredis.repl.limits import Limits
from tryredis.repl.namespace import Namespace
from tryredis.repl.spec import Analysis, ElementCap, LcsCap, Probe, Refusal, StoreCap, StringCap
from tryredis.wire import Command, Reply

LCS_MAX_CELLS = 4_000_000  # (len(a)+1)*(len(b)+1): about 16 MB of transient memory in Redis


def needs_check(analysis: Analysis) -> bool:
    """Whether the command needs the pre-write round trip at all."""
    return bool(analysis.probes) or "denyoom" in analysis.spec.flags


def _probe_commands(probe: Probe, args: Sequence[bytes], ns: Namespace) -> list[Command]:
    if isinstance(probe, ElementCap):
        return [(probe.measure, ns.key(args[probe.key]))]
    if isinstance(probe, StoreCap):
        # Z*STORE also accepts plain sets, which answer WRONGTYPE to ZCARD: measure
        # each source both ways and keep the number (see _store_sizes).
        measures = (probe.measure, b"SCARD") if probe.measure == b"ZCARD" else (probe.measure,)
        return [(m, ns.key(args[i])) for i in probe.sources for m in measures]
    if isinstance(probe, StringCap):
        return [(b"STRLEN", ns.key(args[probe.key]))]
    return [(b"STRLEN", ns.key(args[probe.a])), (b"STRLEN", ns.key(args[probe.b]))]


def _size(reply: Reply) -> int:
    # A wrong type answers an error: the command itself will then fail with WRONGTYPE.
    return reply if isinstance(reply, int) else 0


def _sizes(probe: Probe, replies: Sequence[Reply]) -> list[int]:
    if isinstance(probe, StoreCap) and probe.measure == b"ZCARD":
        pairs = zip(replies[0::2], replies[1::2], strict=True)
        return [max(_size(zcard), _size(scard)) for zcard, scard in pairs]
    return [_size(reply) for reply in replies]


def _verdict(probe: Probe, sizes: list[int], args: Sequence[bytes], s: Limits) -> str | None:
    name = args[0].decode(errors="replace").upper()
    cap = s.key_max_elements
    if isinstance(probe, ElementCap):
        total = sizes[0] + probe.added
        if total > cap:
            return (
                f"{name} could make the key hold {total} elements; the limit is {cap} elements "
                "per key (TRYREDIS_KEY_MAX_ELEMENTS)"
            )
    elif isinstance(probe, StoreCap):
        bound = (
            sum(sizes)
            if probe.combine == "sum"
            else min(sizes)
            if probe.combine == "min"
            else sizes[0]
        )
        if bound > cap:
            return (
                f"{name} could store up to {bound} elements in one key; the limit is {cap} "
                "elements per key (TRYREDIS_KEY_MAX_ELEMENTS)"
            )
    elif isinstance(probe, StringCap):
        total = sizes[0] + probe.added
        if total > s.string_max_bytes:
            return (
                f"{name} would make a string of {total} bytes; the limit is "
                f"{s.string_max_bytes} bytes (TRYREDIS_STRING_MAX_BYTES)"
            )
    elif isinstance(probe, LcsCap):
        cells = (sizes[0] + 1) * (sizes[1] + 1)
        if cells > LCS_MAX_CELLS:
            return (
                f"LCS of strings of {sizes[0]} and {sizes[1]} bytes needs a table of {cells} "
                f"cells; the sandbox allows {LCS_MAX_CELLS}"
            )
    return None


async def check_limits(
    analysis: Analysis, args: Sequence[bytes], ns: Namespace, index: KeyIndex, s: Limits
) -> None:
    """Raise Refusal if running this write would go over a limit (one round trip)."""
    commands: list[Command] = []
    spans: list[tuple[Probe, int, int]] = []
    for probe in analysis.probes:
        probe_commands = _probe_commands(probe, args, ns)
        spans.append((probe, len(commands), len(commands) + len(probe_commands)))
        commands += probe_commands
    grows = "denyoom" in analysis.spec.flags
    writes = analysis.written(args)
    quota_at = len(commands)
    if grows:
        commands += index.usage_commands(writes)
    replies = await index.executor.run(commands) if commands else []
    for probe, start, end in spans:
        message = _verdict(probe, _sizes(probe, replies[start:end]), args, s)
        if message:
            raise Refusal(message)
    if grows:
        await _check_quota(index.parse_usage(replies[quota_at:], writes), writes, index, s)


async def _check_quota(
    usage: tuple[int, int, int], writes: list[bytes], index: KeyIndex, s: Limits
) -> None:
    count, used, new_keys = usage
    if count + new_keys > s.sandbox_max_keys or used > s.sandbox_max_bytes:
        await index.prune()  # keys that expired are still counted until pruned
        count, used, new_keys = await index.usage(writes)
    if count + new_keys > s.sandbox_max_keys:
        raise Refusal(
            f"the sandbox holds {count} keys; the limit is {s.sandbox_max_keys} keys "
            "(TRYREDIS_SANDBOX_MAX_KEYS): delete some keys or FLUSHALL"
        )
    if used > s.sandbox_max_bytes:
        raise Refusal(
            f"the sandbox uses {used} bytes; the limit is {s.sandbox_max_bytes} bytes "
            "(TRYREDIS_SANDBOX_MAX_BYTES): delete some keys or FLUSHALL"
        )
