"""Refusals: whether a command's bounds (``cost.py``) could pass a limit, and the message.

Each message says what the command could cost, the limit with the setting that
sets it, and what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from tryredis.repl.cost import REDIS_ELEMENTS_PER_MS, Bounds, View
from tryredis.repl.limits import Limits, setting_name
from tryredis.repl.spec import Analysis, ElementCap, Refusal, StoreCap, StringCap


def work_limit(limits: Limits) -> int:
    """The elements one command may touch: its Redis time at the calibrated rate."""
    return int(limits.command_max_ms * REDIS_ELEMENTS_PER_MS)


def reply_refusal(name: str, reply: int, limits: Limits, reply_left: int) -> Refusal | None:
    """The refusal for a reply of ``reply`` bytes (a bound or exact), or None if it fits."""
    if reply > limits.reply_max_bytes:
        return Refusal(
            f"{name} could answer up to {reply:,} bytes; the limit is "
            f"{limits.reply_max_bytes:,} bytes per reply ({setting_name('reply_max_bytes')}): "
            "read it in parts (a range, COUNT, or a SCAN)"
        )
    if reply > reply_left:
        return Refusal(
            f"{name} could answer up to {reply:,} bytes, more than the "
            f"{max(reply_left, 0):,} left of this request's "
            f"{limits.request_reply_max_bytes:,} ({setting_name('request_reply_max_bytes')}): "
            "send it on its own"
        )
    return None


def refusal(
    analysis: Analysis,
    args: Sequence[bytes],
    limits: Limits,
    view: View,
    found: Bounds,
    reply_left: int,
) -> Refusal | None:
    """The refusal for a command that could pass a limit, or None if it cannot."""
    name = analysis.spec.display
    refused = reply_refusal(name, found.reply, limits, reply_left)
    if refused is not None:
        return refused
    if found.work > work_limit(limits):
        return Refusal(
            f"{name} could touch up to {found.work:,} elements, about "
            f"{found.work / REDIS_ELEMENTS_PER_MS:.0f} ms of the shared Redis; a command may "
            f"take {limits.command_max_ms:g} ms ({setting_name('command_max_ms')}): "
            "work on fewer or smaller keys"
        )
    usage = view.usage
    if usage.keys + found.new_keys > limits.sandbox_max_keys:
        return Refusal(
            f"the sandbox holds {usage.keys} keys; the limit is {limits.sandbox_max_keys} keys "
            f"({setting_name('sandbox_max_keys')}): delete some keys or FLUSHALL"
        )
    if usage.size + found.growth > limits.sandbox_max_bytes:
        return Refusal(
            f"the sandbox uses {usage.size:,} bytes and {name} could add up to "
            f"{found.growth:,}; the limit is {limits.sandbox_max_bytes:,} bytes "
            f"({setting_name('sandbox_max_bytes')}): delete some keys or FLUSHALL"
        )
    return _probe_refusal(analysis, args, limits, view)


def _length(view: View, name: bytes) -> int:
    if not view.exact:  # a string is at most what the whole sandbox holds
        return view.usage.size
    entry = view.entry(name)
    return entry.elements if entry else 0


def _elements(view: View, name: bytes) -> int:
    if not view.exact:
        return view.usage.elements
    entry = view.entry(name)
    return entry.elements if entry and entry.kind != b"string" else 0


def _probe_refusal(
    analysis: Analysis, args: Sequence[bytes], limits: Limits, view: View
) -> Refusal | None:
    name = analysis.spec.display
    cap = limits.key_max_elements
    for probe in analysis.probes:
        if isinstance(probe, ElementCap):
            total = _elements(view, args[probe.key]) + probe.added
            if total > cap:
                return Refusal(
                    f"{name} could make the key hold {total} elements; the limit is {cap} "
                    f"elements per key ({setting_name('key_max_elements')})"
                )
        elif isinstance(probe, StoreCap):
            sizes = [_elements(view, args[i]) for i in probe.sources]
            if probe.combine == "sum":  # a key given twice adds nothing to a union
                distinct = {args[i]: _elements(view, args[i]) for i in probe.sources}
                bound = sum(distinct.values()) if view.exact else view.usage.elements
            else:
                bound = min(sizes, default=0) if probe.combine == "min" else sizes[0]
            if bound > cap:
                return Refusal(
                    f"{name} could store up to {bound} elements in one key; the limit is {cap} "
                    f"elements per key ({setting_name('key_max_elements')})"
                )
        elif isinstance(probe, StringCap):
            total = _length(view, args[probe.key]) + probe.added
            if total > limits.string_max_bytes:
                return Refusal(
                    f"{name} would make a string of {total} bytes; the limit is "
                    f"{limits.string_max_bytes} bytes ({setting_name('string_max_bytes')})"
                )
    return None
