"""redis.conf text and ACL users for the embedded redis-server and for ``tryredis acl``.

Two ACL users share the server: the site's user (every key and channel under the
prefix, most commands) and the sandbox's user (only learner namespaces and only the
commands of the sandbox's table). The ``default`` user is disabled, because RESET,
AUTH and HELLO bypass ACL command rules and would otherwise log a connection back
in as ``default`` (notes/security.md 2.5).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tryredis.settings import Settings, SettingsError

SITE_USER = "tryredis-site"
SANDBOX_USER = "tryredis-sandbox"
ADMIN_USER = "tryredis-admin"
# The embedded server's admin: only the CLI holds its password, never a worker. It turns
# AOF on for a data dir that has only an RDB snapshot (see aof_ready), reads INFO, and grants
# the sandbox's user the newer commands (HEXPIRE ...) the server has (COMMAND LIST).
ADMIN_RULES = "resetkeys resetchannels -@all +ping +info +config|set +command|list +acl|setuser"

# The site's user: everything under the prefix except @dangerous (CONFIG, DEBUG,
# SHUTDOWN, FLUSHALL, KEYS, MONITOR, ACL, MODULE, SORT, RESTORE, MIGRATE, INFO,
# CLIENT LIST/KILL, REPLICAOF ...) and @scripting, then back exactly what it uses:
# EVAL/EVALSHA (and the SCRIPT LOAD/EXISTS that redis-py's Script falls back to) for
# its session and rate-limit scripts, INFO for the health check, CLIENT NO-EVICT so
# maxmemory-clients never evicts its own connections, SCAN and MEMORY USAGE for the
# janitor and quotas. CLUSTER SLOTS/SHARDS/INFO/NODES and READONLY are in @all and
# not dangerous. FUNCTION, SCRIPT FLUSH/KILL and FCALL stay out (nothing needs them).
SITE_RULES = (
    "+@all", "-@dangerous", "-@scripting",
    "+eval", "+evalsha", "+eval_ro", "+evalsha_ro", "+script|load", "+script|exists",
    "+info", "+client|no-evict", "+client|setname", "+memory|usage", "+scan",
)  # fmt: skip

_PREFIX_RE = re.compile(r"[A-Za-z0-9_.:-]{1,32}")  # same rule as TRYREDIS_KEY_PREFIX
_COMMAND_RE = re.compile(r"[a-z][a-z0-9_-]*(\|[a-z][a-z0-9_-]*)?")
_MEMORY_RE = re.compile(r"([0-9]+)(b|k|kb|m|mb|g|gb)?", re.IGNORECASE)


@dataclass(frozen=True)
class AclUsers:
    """The two ACL users' names and passwords."""

    site_password: str
    sandbox_password: str
    site_user: str = SITE_USER
    sandbox_user: str = SANDBOX_USER
    admin_password: str = ""  # empty: no admin user (an external server's setup)

    @classmethod
    def generate(cls) -> AclUsers:
        """Users with fresh random passwords (256 bits, URL-safe: no quoting needed anywhere)."""
        return cls(site_password=secrets.token_urlsafe(32),
                   sandbox_password=secrets.token_urlsafe(32),
                   admin_password=secrets.token_urlsafe(32))  # fmt: skip

    def __repr__(self) -> str:  # keep passwords out of logs and tracebacks
        return f"AclUsers(site_user={self.site_user!r}, sandbox_user={self.sandbox_user!r})"


def sandbox_command_rules(sandbox_commands: Iterable[str]) -> list[str]:
    """``+cmd`` rules for the given commands (the engine's list), lower-cased, deduplicated."""
    rules: list[str] = []
    for name in sandbox_commands:
        name = name.strip().lower()
        # A name is pasted into an ACL line: anything but a plain name could add a rule.
        if not _COMMAND_RE.fullmatch(name):
            raise ValueError(f"not a Redis command name for an ACL rule: {name!r}")
        if f"+{name}" not in rules:
            rules.append(f"+{name}")
    return rules


def user_rules(
    prefix: str, users: AclUsers, sandbox_commands: Sequence[str]
) -> list[tuple[str, str]]:
    """``(user name, ACL rules)`` for ``default``, the site and the sandbox, in that order."""
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"key prefix {prefix!r} is not usable in an ACL pattern")
    for password in (users.site_password, users.sandbox_password):
        if not password or any(c.isspace() or c in "\"'" for c in password):
            raise ValueError("ACL passwords must be non-empty, without whitespace or quotes")
    learner = f"{prefix}u:"
    site = [f">{users.site_password}", "resetkeys", f"~{prefix}*", "resetchannels", f"&{prefix}*"]
    # Exact command names, never categories: categories grow with new Redis versions and
    # hold surprises (@keyspace has FLUSHALL and KEYS; security.md 2.1).
    sandbox = [f">{users.sandbox_password}", "resetkeys", f"~{learner}*", "resetchannels",
               f"&{learner}*", "-@all", *sandbox_command_rules(sandbox_commands)]  # fmt: skip
    return [
        # resetpass, not nopass: even if someone switched default back on, no password opens it.
        # Off, no connection ever runs a command as it (RESET leaves one unauthenticated), but
        # Redis replays an AOF as ``default`` and re-checks its rules at each EXEC: with -@all
        # every MULTI/EXEC and multi-write script in the AOF (sessions, sandboxes) is dropped
        # on restart (redis/redis#14541, fixed only in later releases). Hence all keys here.
        ("default", "off resetpass ~* &* +@all"),
        (users.site_user, " ".join(["on", *site, *SITE_RULES])),
        (users.sandbox_user, " ".join(["on", *sandbox])),
    ]


def acl_lines(prefix: str, users: AclUsers, sandbox_commands: Sequence[str]) -> list[str]:
    """The ``user ...`` lines (redis.conf/ACL file syntax): ``default``, site, sandbox."""
    return [f"user {name} {rules}" for name, rules in user_rules(prefix, users, sandbox_commands)]


def check_maxmemory(value: str) -> str:
    """``value`` if it is a Redis memory size (``256mb``, ``1gb``, ``0``), else a SettingsError."""
    if not _MEMORY_RE.fullmatch(value.strip()):
        raise SettingsError(
            f"TRYREDIS_EMBEDDED_MAXMEMORY={value!r} is not a memory size such as 256mb or 1gb"
        )
    return value.strip().lower()


def memory_bytes(value: str) -> int:
    """A Redis memory size in bytes, with redis.conf's units (``k`` = 1000, ``kb`` = 1024)."""
    match = _MEMORY_RE.fullmatch(check_maxmemory(value))
    assert match is not None  # check_maxmemory accepted it
    number, unit = match.groups("")
    scale = {
        "": 1,
        "b": 1,
        "k": 10**3,
        "kb": 2**10,
        "m": 10**6,
        "mb": 2**20,
        "g": 10**9,
        "gb": 2**30,
    }
    return int(number) * scale[unit]


def clients_memory(maxmemory: str) -> str:
    """``maxmemory-clients``: 5% of maxmemory, but never under 64 MB."""
    # An idle client costs ~37 KB on 7.0 (its 16 KB reply buffer included): 5% of 256mb
    # evicted idle pooled connections beyond ~350 in a test. 64 MB holds maxclients (1000)
    # idle ones and leaves room for real output; past that, the biggest buffers go first.
    return f"{max(memory_bytes(maxmemory) * 5 // 100, 64 * 2**20) // 2**20}mb"


def _quoted(path: Path) -> str:
    """A path as a double-quoted redis.conf argument (redis parses it like redis-cli's input)."""
    text = str(path)
    if any(c in text for c in "\r\n\0"):
        raise ValueError(f"path not usable in redis.conf: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def limit_directives(maxmemory: str | None) -> list[tuple[str, str]]:
    """Limit and hardening directives; ``maxmemory=None`` (an external server) leaves it out."""
    sized = [("maxmemory", check_maxmemory(maxmemory))] if maxmemory is not None else []
    return [
        *sized,
        # noeviction: allkeys-* would evict the site's own keys (sessions, the secret);
        # volatile-* would evict sessions, which carry TTLs. A full server refuses writes
        # instead, and the app keeps each sandbox within its own quota.
        ("maxmemory-policy", "noeviction"),
        ("client-output-buffer-limit", "normal 4mb 1mb 10"),
        ("client-output-buffer-limit", "pubsub 4mb 1mb 60"),
        ("maxclients", "1000"),
        # Evict runaway client buffers first; the site marks its own connections NO-EVICT.
        ("maxmemory-clients", clients_memory(maxmemory or "0")),
        ("busy-reply-threshold", "1000"),
        ("sanitize-dump-payload", "yes"),
    ]


AOF_MANIFEST = Path("appendonlydir") / "appendonly.aof.manifest"


def aof_ready(data_dir: Path) -> bool:
    """Whether redis-server may start on ``data_dir`` with AOF on without losing data.

    Redis 7 with ``appendonly yes`` and no AOF yet starts empty and ignores ``dump.rdb``:
    a data dir from before AOF (snapshots only) must start with AOF off, then switch it on
    at run time (``CONFIG SET appendonly yes`` writes the AOF from the loaded data).
    """
    return (data_dir / AOF_MANIFEST).exists() or not (data_dir / "dump.rdb").exists()


def redis_conf(
    settings: Settings,
    users: AclUsers,
    sandbox_commands: Sequence[str],
    *,
    socket_path: Path,
    runtime_dir: Path,
) -> str:
    """The embedded redis-server's config: unix socket only, limits, ACL users, persistence.

    Without a data dir nothing is written. With one: AOF with ``appendfsync everysec``
    (acknowledged writes survive a crash of redis-server, and lose at most about a second
    on a power cut), its base an RDB preamble (fast to load), RDB snapshots beside it, and a
    save when stopped by SIGTERM or SIGINT.
    """
    data_dir = settings.data_dir.resolve() if settings.data_dir is not None else None
    lines = [
        "# Generated by tryredis for its embedded redis-server; holds passwords, keep private.",
        "port 0",  # no TCP listener at all: only the private socket below
        f"unixsocket {_quoted(socket_path)}",
        "unixsocketperm 700",
        "protected-mode yes",
        f"dir {_quoted(data_dir or runtime_dir)}",
        # Lets the next start find (and stop) a server whose parent was killed.
        f"pidfile {_quoted(runtime_dir / 'redis.pid')}",
    ]
    if data_dir is None:
        lines += ['save ""', "appendonly no"]
    else:
        appendonly = "yes" if aof_ready(data_dir) else "no"  # "no": EmbeddedRedis turns it on
        lines += ["save 300 1 60 100", "dbfilename dump.rdb", f"appendonly {appendonly}",
                  "appendfsync everysec", "aof-use-rdb-preamble yes",
                  'appenddirname "appendonlydir"',
                  "shutdown-on-sigterm save", "shutdown-on-sigint save"]  # fmt: skip
    lines += [f"{name} {value}" for name, value in limit_directives(settings.embedded_maxmemory)]
    lines += [
        "timeout 0",  # the app's pools hold idle connections; blocking pops must not be cut
        "enable-debug-command no",
        "enable-module-command no",
        "enable-protected-configs no",
        "loglevel warning",
        'logfile ""',  # stdout, which tryredis reads and logs
        *acl_lines(settings.key_prefix, users, sandbox_commands),
    ]
    if users.admin_password:
        lines.append(f"user {ADMIN_USER} on >{users.admin_password} {ADMIN_RULES}")
    return "\n".join(lines) + "\n"


def _cli_arg(value: str) -> str:
    """``value`` as one redis-cli argument (quoted when it holds a space)."""
    return f'"{value}"' if " " in value else value


def external_setup_text(
    settings: Settings,
    sandbox_commands: Sequence[str],
    newer_commands: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """What ``tryredis acl`` prints: ACL SETUSER and CONFIG SET lines, and the URLs to set.

    ``newer_commands`` (Redis version -> command names) get a line each: a server that
    lacks one of a line's commands refuses the whole line, so each is run where it applies.
    """
    users = AclUsers.generate()  # fresh passwords on every run: nothing to replace by hand
    default, site, sandbox = user_rules(settings.key_prefix, users, sandbox_commands)
    # "reset" first, so running the lines again replaces the users instead of adding to them.
    site_user, sandbox_user = (
        f"ACL SETUSER {name} reset {rules}" for name, rules in (site, sandbox)
    )
    limits: dict[str, list[str]] = {}
    # No maxmemory: the embedded server's size says nothing about an existing server, and
    # setting it below what one already holds would refuse every write at once.
    for name, value in limit_directives(None):
        limits.setdefault(name, []).append(value)  # both output-buffer classes in one CONFIG SET
    config = [f"CONFIG SET {name} {_cli_arg(' '.join(values))}" for name, values in limits.items()]
    site_pw = quote(users.site_password, safe="")
    sandbox_pw = quote(users.sandbox_password, safe="")
    lines = [
        "# tryredis: setup for an external Redis 7+. Run the commands as an admin (redis-cli).",
        "# The two passwords were generated just now; each run of `tryredis acl` prints new ones.",
        "#",
        "# 1. The site's and the sandbox's users (run again after upgrading tryredis):",
        site_user,
        sandbox_user,
        *_newer_lines(users.sandbox_user, newer_commands or {}),
        "#",
        "# 2. Recommended limits for a server dedicated to tryredis (CONFIG REWRITE keeps them);",
        "#    choose a maxmemory above what the server holds now:",
        "#    CONFIG SET maxmemory <size>",
        *config,
        "#    Durability: an acknowledged write survives a crash of redis-server, and a power",
        "#    cut loses at most about a second (appendfsync always: nothing, at a cost):",
        "CONFIG SET appendonly yes",
        "CONFIG SET appendfsync everysec",
        "#    and in redis.conf (they cannot be set at run time):",
        "#    enable-debug-command no / enable-module-command no / enable-protected-configs no",
        "#",
        "# 3. Disable the default user. RESET and AUTH would otherwise log any connection back in",
        "#    as it. Create your own admin user first, or you lock yourself out:",
        "#    ACL SETUSER admin on >CHOOSE-A-PASSWORD ~* &* +@all",
        f"ACL SETUSER {default[0]} reset {default[1]}",
        "#",
        "# 4. Set these for tryredis (replace HOST:6379 with your server's address):",
        f"TRYREDIS_REDIS_URL=redis://{users.site_user}:{site_pw}@HOST:6379/0",
        f"TRYREDIS_SANDBOX_REDIS_URL=redis://{users.sandbox_user}:{sandbox_pw}@HOST:6379/0",
    ]
    return "\n".join(lines) + "\n"


def _newer_lines(sandbox_user: str, newer: Mapping[str, Sequence[str]]) -> list[str]:
    """The ACL lines for commands newer than Redis 7.0, one per Redis version."""
    lines = [
        "#    On a newer server, also the lines for the versions it has (a server without one",
        "#    of a line's commands refuses that line; tryredis offers what the server has):",
    ]
    for version, names in sorted(newer.items()):
        rules = " ".join(sandbox_command_rules(names))
        lines += [f"#    Redis {version} or newer (Valkey: the version that added them):",
                  f"ACL SETUSER {sandbox_user} {rules}"]  # fmt: skip
    return lines if newer else []
