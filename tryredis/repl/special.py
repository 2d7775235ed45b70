"""The named special grammars: commands whose keys hide among their options.

Each mirrors the option loop of Redis 7.0.15's own implementation (same order,
same argument counts, same "last one wins"), because a key found by a looser
parse than Redis's is a key left unprefixed. Two more guards:

* a key-naming option given twice (SORT STORE, GEORADIUS STORE/STOREDIST) is
  refused: Redis writes only the last one while its ACL check looks at the first
  (security notes 1.1 and 2.8);
* where Redis's key extraction (what its ACL checks, and ``COMMAND GETKEYS``)
  would point at a different argument than the one it really uses, the command
  is refused rather than run with a key the ACL backstop never saw.
"""

from __future__ import annotations

from tryredis.repl.grammar import SYNTAX_ERROR, W
from tryredis.repl.numbers import redis_int
from tryredis.repl.spec import Builder, CommandError, Refusal, Rule, StoreCap, Timeout
from tryredis.startup import redis_version


def _keyword_spec(b: Builder, keyword: bytes, start: int) -> int | None:
    """Where a Redis 7.0 ``keyword`` key spec finds its key (it never searches the last arg)."""
    for index in range(start, len(b.args) - 1):
        if b.args[index].lower() == keyword:
            return index + 1
    return None


def _agrees_with_redis(b: Builder, expected: list[int]) -> None:
    """Refuse when Redis's key extraction would check arguments this parse does not prefix."""
    if any(index not in b.keys for index in expected):
        raise Refusal(
            f"Redis 7.0 would check a different argument than the key {b.spec.display} really "
            "uses here (a name spelled like an option, such as STORE or STREAMS); "
            "please choose another name."
        )


def _twice(option: str) -> Refusal:
    return Refusal(
        f"{option} given twice: Redis would silently use only the last one; give it once."
    )


def sort(readonly: bool) -> Rule:
    """SORT / SORT_RO: ASC DESC ALPHA, LIMIT offset count, BY, GET, STORE (sortCommandGeneric)."""

    def rule(b: Builder) -> None:
        args, store_at = b.args, 0
        b.key(1)
        index = 2
        while index < len(args):
            word, left = args[index].lower(), len(args) - index - 1
            if word in (b"asc", b"desc", b"alpha"):
                pass
            elif word == b"limit" and left >= 2:
                if redis_int(args[index + 1]) is None or redis_int(args[index + 2]) is None:
                    raise CommandError("ERR value is not an integer or out of range")
                index += 2
            elif word == b"store" and left >= 1 and not readonly:
                if store_at:
                    raise _twice("STORE")
                store_at = index = index + 1
            elif word == b"by" and left >= 1:
                # BY without '*' means "don't sort" and reads nothing; a real pattern
                # reads other keys by name (Redis also denies it to key-restricted users).
                if b"*" in args[index + 1]:
                    raise Refusal(
                        f"{b.spec.display} BY with a pattern is not available in the sandbox: "
                        "the pattern reads other keys by name (BY nosort is fine)."
                    )
                index += 1
            elif word == b"get" and left >= 1:
                raise Refusal(
                    f"{b.spec.display} GET is not available in the sandbox: "
                    "its patterns read other keys by name."
                )
            else:
                raise CommandError(SYNTAX_ERROR)
            index += 1
        if store_at:
            b.key(store_at, W)
        _agrees_with_redis(b, _sort_acl_keys(b) if not readonly else [1])

    return rule


def _sort_acl_keys(b: Builder) -> list[int]:
    # Redis 7.0's sortGetKeys(): skips LIMIT's two and BY/GET's one argument but not
    # STORE's, and keeps the last STORE it sees (the source of security notes 2.8).
    found, index = [1], 2
    while index < len(b.args):
        word = b.args[index].lower()
        if word == b"limit":
            index += 2
        elif word in (b"get", b"by"):
            index += 1
        elif word == b"store" and index + 1 < len(b.args):
            found[1:] = [index + 1]
        index += 1
    return found


_GEO_FLAGS = (b"withdist", b"withhash", b"withcoord", b"any", b"asc", b"desc")


def georadius(base: int) -> Rule:
    """GEORADIUS(BYMEMBER) options from ``base`` on, with STORE/STOREDIST (georadiusGeneric)."""

    def rule(b: Builder) -> None:
        args, stores = b.args, []
        b.key(1)
        index = base
        while index < len(args):
            word, more = args[index].lower(), index + 1 < len(args)
            if word in _GEO_FLAGS:
                index += 1
            elif word == b"count" and more:
                count = redis_int(args[index + 1])
                if count is None or count <= 0:
                    b.keys_from(index + 2)  # Redis stops here, after its key/coordinate checks
                    break
                index += 2
            elif word in (b"store", b"storedist") and more:
                stores.append(index + 1)
                index += 2
            else:
                b.keys_from(index)  # a syntax error, answered by Redis after its own checks
                break
        if len(stores) > 1:
            raise _twice("STORE/STOREDIST")
        for store_at in stores:
            b.key(store_at, W)
            b.probes.append(StoreCap((1,), b"ZCARD", "first"))
        expected = [_keyword_spec(b, word, base) for word in (b"store", b"storedist")]
        _agrees_with_redis(b, [index for index in expected if index is not None])

    return rule


_ONLY_XREADGROUP = "ERR The {} option is only supported by XREADGROUP. You called XREAD instead."


class UnbalancedStreams(CommandError):
    """XREAD/XREADGROUP with a key and no ID: the one error whose text each server words its way."""

    def __init__(self, group: bool) -> None:
        super().__init__(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified."
        )  # Redis 7.0's text, for both commands
        self.group = group

    def reply_on(self, server: str, version: str) -> bytes:
        """Redis 7.2 and Valkey name the command; 7.4 added XREAD's ``+`` (read in t_stream.c)."""
        release = redis_version(version)
        if server == "Redis" and (release is None or release < (7, 2)):
            return self.reply
        name = "xreadgroup" if self.group else "xread"
        if self.group:
            ids = "ID or '>'"
        elif server == "Redis" and release is not None and release >= (7, 4):
            ids = "ID, '+', or '$'"
        else:
            ids = "ID or '$'"
        return (
            f"ERR Unbalanced '{name}' list of streams: "
            f"for each stream key an {ids} must be specified."
        ).encode()


def xread(group: bool) -> Rule:
    """XREAD / XREADGROUP: options in order up to the first STREAMS; keys are the first half.

    Every error Redis gives while parsing is answered here, in Redis's order, because
    until STREAMS is found it is not known which arguments are keys.
    """

    def rule(b: Builder) -> None:
        args, streams, has_group = b.args, 0, False
        index = 1
        while index < len(args):
            word, more = args[index].lower(), len(args) - index - 1
            if word == b"block" and more:
                value = redis_int(args[index + 1])
                if value is None:
                    raise CommandError("ERR timeout is not an integer or out of range")
                if value < 0:
                    raise CommandError("ERR timeout is negative")
                b.timeout = Timeout(index + 1, "ms")  # the last BLOCK wins, as in Redis
                index += 2
            elif word == b"count" and more:
                if redis_int(args[index + 1]) is None:
                    raise CommandError("ERR value is not an integer or out of range")
                index += 2
            elif word == b"streams" and more:
                streams = index + 1
                break
            elif word == b"group" and more >= 2:
                if not group:
                    raise CommandError(_ONLY_XREADGROUP.format("GROUP"))
                has_group, index = True, index + 3
            elif word == b"noack":
                if not group:
                    raise CommandError(_ONLY_XREADGROUP.format("NOACK"))
                index += 1
            else:
                raise CommandError(SYNTAX_ERROR)
        if not streams:
            raise CommandError(SYNTAX_ERROR)
        if (len(args) - streams) % 2:
            raise UnbalancedStreams(group)
        if group and not has_group:
            raise CommandError("ERR Missing GROUP option for XREADGROUP")
        half = (len(args) - streams) // 2
        for position in range(streams, streams + half):
            # XREADGROUP changes the stream's consumer group (PEL, consumers): a write.
            b.key(position, group)
        first = _keyword_spec(b, b"streams", 4 if group else 1)
        if first is not None:
            _agrees_with_redis(b, list(range(first, first + (len(args) - first) // 2)))

    return rule
