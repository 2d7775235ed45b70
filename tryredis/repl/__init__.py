"""The sandbox engine: one learner's typed line in, what redis-cli would print out.

This is the engine's whole public surface; nothing outside ``tryredis/repl/``
imports its modules (``tests/test_imports.py`` checks it).

* ``Engine`` (one per process) is built from ``Limits``, the site's ``Keys``, a
  ``wire.Router`` and a ``Bookkeeping`` (the session store). ``Engine.open``
  gives the ``Sandbox`` of an admitted request; ``Engine.reset`` empties one.
* ``Sandbox.run(line) -> Result`` for typed lines, ``Sandbox.execute(args) ->
  Reply`` for argument lists (labs, typed replies); ``Refusal`` is the sandbox's
  policy, ``CommandError`` Redis's own error answered without running anything.
* ``probe_server(executor) -> ServerInfo`` reads what the connected server is and which
  newer commands (HEXPIRE ...) it has, for ``Engine(..., server=...)``.
* ``Engine.subscribe`` opens a ``Stream`` of SUBSCRIBE in the learner's own channels.
* ``overview``, ``inspect_key``, ``key_names``: the keys panel's reads (``inspect.py``).
"""

from tryredis.repl.bookkeeping import Bookkeeping, Capacity, Hold, TransactionState
from tryredis.repl.engine import Engine, Kind, Result, Sandbox
from tryredis.repl.formatter import format_reply
from tryredis.repl.help import help_text
from tryredis.repl.inspect import KeyInfo, KeyView, Overview, inspect_key, key_names, overview
from tryredis.repl.keyindex import Entry, Usage
from tryredis.repl.limits import Limits, setting_name
from tryredis.repl.server import ServerInfo, probe_server
from tryredis.repl.spec import CommandError, CommandSpec, Refusal
from tryredis.repl.subscription import Event, Stream, SubscriptionRefused
from tryredis.repl.table import acl_command_names, commands_by_group, find_spec, resolve
from tryredis.repl.tokenizer import LineError, split_line
from tryredis.wire import ErrorReply, Reply, Status

__all__ = [
    "Bookkeeping", "Capacity", "CommandError", "CommandSpec", "Engine", "Entry", "ErrorReply",
    "Event", "Hold", "KeyInfo", "KeyView", "Kind", "Limits", "LineError", "Overview", "Refusal",
    "Reply", "Result", "Sandbox", "ServerInfo", "Status", "Stream", "SubscriptionRefused",
    "TransactionState", "Usage",
    "acl_command_names", "commands_by_group", "find_spec", "format_reply", "help_text",
    "inspect_key", "key_names", "overview", "probe_server", "resolve", "setting_name", "split_line",
]  # fmt: skip
