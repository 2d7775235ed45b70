"""What one command of the sandbox's table is: its entry, its rules, and what analysis finds.

A ``CommandSpec`` is one command (or subcommand) of Redis 7.0 with its arity,
flags and *rules* (key positions, clamps, limits, probes). ``analyze()`` runs the
rules on a learner's arguments and returns an ``Analysis``: every key position
(never asking Redis's ``COMMAND GETKEYS``, which is wrong for SORT and duplicate
options), the blocking timeout to clamp, and the probes the limits need. It
raises ``Refusal`` for the sandbox's own policy and ``CommandError`` for the
syntax errors that decide where keys are (numkeys, XREAD's STREAMS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias

from tryredis.repl.command_docs import DOCS
from tryredis.repl.limits import Limits
from tryredis.repl.newer_docs import NEWER_DOCS
from tryredis.repl.numbers import timeout_seconds

Handler: TypeAlias = Literal["redis", "emulated", "transaction", "pubsub", "refused", "container"]


class CommandError(Exception):
    """Answered as a Redis error without running anything; ``str(e)`` is Redis's exact text.

    Texts built from learner bytes keep them: ``e.reply`` is the reply as bytes.
    """

    def __init__(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            message = message.decode("utf-8", "surrogateescape")
        super().__init__(message)

    @property
    def reply(self) -> bytes:
        """The error text as the bytes Redis would send."""
        return str(self).encode("utf-8", "surrogateescape")

    def reply_on(self, server: str, version: str) -> bytes:
        """The text as that server (``Redis``/``Valkey``, ``8.0.2``) sends it; most never vary."""
        return self.reply


class Refusal(Exception):
    """Sandbox policy: ``str(e)`` is a sentence for the learner naming the limit or reason."""


@dataclass(frozen=True)
class KeyRef:
    """A key argument: its position in args and whether the command may change that key."""

    index: int
    write: bool


@dataclass(frozen=True)
class Timeout:
    """A blocking timeout the engine clamps (0 or over the cap -> the cap)."""

    index: int
    unit: Literal["s", "ms"]

    def seconds(self, args: Sequence[bytes]) -> float | None:
        """The timeout as Redis reads it (0 = forever), or None when Redis will reject it."""
        return timeout_seconds(args[self.index], self.unit)


@dataclass(frozen=True)
class ElementCap:
    """``args[key]`` may gain up to ``added`` elements; current size from ``measure``."""

    key: int
    measure: bytes
    added: int


@dataclass(frozen=True)
class StoreCap:
    """The destination gets at most ``combine(measure(args[i]) for i in sources)`` elements."""

    sources: tuple[int, ...]
    measure: bytes
    combine: Literal["sum", "min", "first"]


@dataclass(frozen=True)
class StringCap:
    """``args[key]``'s string grows by ``added`` bytes (APPEND): STRLEN + added is checked."""

    key: int
    added: int


@dataclass(frozen=True)
class LcsCap:
    """LCS a b: (STRLEN a + 1) * (STRLEN b + 1) must stay under a bound."""

    a: int
    b: int


Probe: TypeAlias = ElementCap | StoreCap | StringCap | LcsCap


@dataclass(frozen=True)
class Analysis:
    """What the engine needs to run one command safely."""

    spec: CommandSpec
    keys: tuple[KeyRef, ...]
    channels: tuple[int, ...]
    timeout: Timeout | None
    probes: tuple[Probe, ...]

    def written(self, args: Sequence[bytes]) -> list[bytes]:
        """The key names (as the learner typed them) the command may write, once each."""
        return list(dict.fromkeys(args[k.index] for k in self.keys if k.write))


Rule: TypeAlias = Callable[["Builder"], None]
"""One piece of an entry's grammar: it inspects ``b.args`` and records into ``b``."""


@dataclass(frozen=True)
class CommandSpec:
    """One command (or subcommand) of the table."""

    name: str
    arity: int
    flags: frozenset[str]
    group: str
    summary: str
    syntax: str
    handler: Handler
    rules: tuple[Rule, ...] = field(default=(), repr=False, compare=False)
    refusal: str | None = None  # the reason, for handler == "refused"
    since: str = ""

    @property
    def display(self) -> str:
        """The name as a learner types it: ``OBJECT ENCODING``."""
        return self.name.upper().replace("|", " ")

    def arity_error(self, argc: int) -> CommandError | None:
        """Redis's wrong-number-of-arguments error for ``argc`` arguments, if any."""
        if argc == self.arity or (self.arity < 0 and argc >= -self.arity):
            return None
        return CommandError(f"ERR wrong number of arguments for '{self.name}' command")

    def analyze(self, args: Sequence[bytes], limits: Limits) -> Analysis:
        """Keys, channels, timeout and probes of ``args``; may raise CommandError or Refusal."""
        if (error := self.arity_error(len(args))) is not None:
            raise error
        if self.refusal is not None:
            raise Refusal(f"{self.display} is not available in the sandbox: {self.refusal}")
        builder = Builder(self, args, limits)
        for rule in self.rules:
            rule(builder)
        return builder.build()


@dataclass
class Builder:
    """Collects one command's analysis while the entry's rules run."""

    spec: CommandSpec
    args: Sequence[bytes]
    limits: Limits
    keys: dict[int, bool] = field(default_factory=dict)  # index -> write
    channels: list[int] = field(default_factory=list)
    timeout: Timeout | None = None
    probes: list[Probe] = field(default_factory=list)

    def key(self, index: int, write: bool = False) -> None:
        """Record ``args[index]`` as a key (recording it twice keeps the stronger role)."""
        if 0 < index < len(self.args):
            self.keys[index] = self.keys.get(index, False) or write

    def keys_from(self, start: int) -> None:
        """Treat every argument from ``start`` on as a key.

        Used where Redis's own parser stops with an error it reports *after* checks
        the sandbox cannot make (key type, coordinates): prefixing the rest keeps
        Redis's reply exact and can never leave a real key unprefixed.
        """
        for index in range(max(start, 1), len(self.args)):
            self.key(index)

    def sources(self) -> tuple[int, ...]:
        """The keys recorded so far as read-only, in order (the inputs of a *STORE)."""
        return tuple(i for i, write in sorted(self.keys.items()) if not write)

    def build(self) -> Analysis:
        """The finished analysis."""
        keys = tuple(KeyRef(i, write) for i, write in sorted(self.keys.items()))
        return Analysis(self.spec, keys, tuple(self.channels), self.timeout, tuple(self.probes))


def command(group: str, handler: Handler = "redis") -> _Maker:
    """A maker of entries for one help group: ``cmd("get", 2, "readonly fast", key(1))``."""

    def make(
        name: str, arity: int, flags: str, *rules: Rule, refusal: str | None = None
    ) -> CommandSpec:
        unknown = ("", "", name.upper(), "")
        _, summary, syntax, since = DOCS.get(name) or NEWER_DOCS.get(name, unknown)
        return CommandSpec(
            name, arity, frozenset(flags.split()), group, summary, syntax, handler, rules,
            refusal=refusal, since=since,
        )  # fmt: skip

    return make


class _Maker(Protocol):
    def __call__(
        self, name: str, arity: int, flags: str, *rules: Rule, refusal: str | None = ...
    ) -> CommandSpec: ...
