"""Method checks: did the learner solve the exercise the way it asks?

A pure function over the lines the learner ran since they pressed Start, each as
``(line, output, kind)``: exactly what ``Sandbox.run`` returns and what the journal
records. Nothing here touches Redis, so the tests feed it lines run through the
real engine.

How the lines are read:

- a line's command is the engine's own reading of it (tokenizer and command table),
  so ``set`` and ``SET`` are one command and ``OBJECT ENCODING`` is ``object|encoding``;
- only lines that *ran* count: a ``reply`` that is not ``QUEUED``, or a queued command
  whose ``EXEC`` committed. Errors, refusals, discarded or aborted transactions changed
  nothing, so they neither satisfy nor break a rule;
- ``max_commands`` counts commands that write (the table's ``write`` flag): reading to
  look around (``GET``, ``TTL``, ``KEYS``) never costs the learner anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tryredis.lessons.model import MethodRule
from tryredis.repl import CommandError, LineError, Refusal, resolve, split_line

QUEUED = "QUEUED"


class Ran(Protocol):
    """One line the learner ran and what it printed (a ``Result`` or a ``JournalEntry``)."""

    @property
    def line(self) -> str:
        """The line as typed."""
        ...

    @property
    def output(self) -> str:
        """What redis-cli would have printed."""
        ...

    @property
    def kind(self) -> str:
        """``reply``, ``error``, ``refused`` or ``parse``."""
        ...


@dataclass(frozen=True)
class Command:
    """A line that ran: its command, its argument words, whether it writes, what it printed."""

    name: str
    words: frozenset[str]
    writes: bool
    output: str
    transaction: int | None  # which committed MULTI/EXEC it ran in, if any


def commands_that_ran(entries: Iterable[Ran]) -> list[Command]:
    """The lines that changed or read something, in order, with their transactions."""
    ran: list[Command] = []
    queued: list[Command] = []
    transactions = 0
    for entry in entries:
        name, words, writes = _read(entry.line)
        if name is None:
            continue
        if entry.output == QUEUED and entry.kind == "reply":
            queued.append(Command(name, words, writes, entry.output, None))
            continue
        if name == "exec":
            # A QUEUED line before any MULTI in the window belongs to a transaction
            # opened before Start: its EXEC commits it just the same.
            if entry.kind == "reply" and entry.output != "(nil)":
                transactions += 1
                ran.extend(
                    Command(c.name, c.words, c.writes, c.output, transactions) for c in queued
                )
            queued = []
        elif name == "discard" or (name == "multi" and entry.kind == "reply"):
            queued = []
        if entry.kind == "reply":
            ran.append(Command(name, words, writes, entry.output, None))
    return ran


def _read(line: str) -> tuple[str | None, frozenset[str], bool]:
    try:
        args = split_line(line, max_bytes=1 << 20, max_args=1 << 16)
        spec = resolve(args) if args else None
    except (LineError, CommandError, Refusal):
        return None, frozenset(), False
    if spec is None:
        return None, frozenset(), False
    words = frozenset(arg.decode("latin-1").upper() for arg in args[1:])
    return spec.name, words, "write" in spec.flags


def first_broken(rules: Sequence[MethodRule], entries: Iterable[Ran]) -> MethodRule | None:
    """The first rule the learner's lines break, or None when the method is right."""
    ran = commands_that_ran(entries)
    return next((rule for rule in rules if not _keeps(rule, ran)), None)


def _keeps(rule: MethodRule, ran: list[Command]) -> bool:
    named = [c for c in ran if c.name in rule.commands]
    if rule.kind == "used":
        return any(_fits(rule, c) for c in named)
    if rule.kind == "forbid":
        return not named
    if rule.kind == "max_commands":
        return sum(1 for c in ran if c.writes) <= rule.limit
    # in_multi: the named commands that ran all ran in one committed transaction.
    transactions = {c.transaction for c in named}
    return len(transactions) == 1 and None not in transactions


def _fits(rule: MethodRule, command: Command) -> bool:
    if not set(rule.words) <= command.words:
        return False
    return rule.output is None or re.fullmatch(rule.output, command.output) is not None
