"""Redis time of the worst commands the sandbox admits, per family, against the budget.

Starts an embedded redis-server (the generated config and ACL users, as
``tryredis serve`` does), builds the app on it, and for each family opens a fresh
sandbox, fills it as far as the default limits let it (1,000 elements a key,
64 KiB strings, 1 MiB a sandbox), then sends that family's slowest admitted
commands through ``POST /api/v1/run``. SLOWLOG (every command logged, as the
admin) gives the longest time Redis spent on one command, which is compared
with ``TRYREDIS_COMMAND_MAX_MS``. The site's own commands (the rate-limit and
key-index scripts, which run beside every learner command) are counted too.

    uv run python bench/redis_time.py [--repeat 5] [--record]

``--record`` appends the table to bench/RESULTS.md. ``tests/abuse/test_redis_time.py``
runs the same families on the test suite's own server.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tryredis.cli import sandbox_command_names  # noqa: E402
from tryredis.redisconf import AclUsers, redis_conf  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

BENCH_USER = "tryredis-bench"
METHOD = (
    "`uv run python bench/redis_time.py --record`: a fresh redis-server on the config "
    "`tryredis serve` generates (ACL users, limits), the app on it, and per family a fresh "
    "sandbox filled to the default limits, then that family's slowest admitted commands, "
    "each in its own request. SLOWLOG logs every command (threshold 0; commands inside "
    "MULTI/EXEC are logged one by one, the site's own scripts too); the table gives the "
    "longest entry of each family. Refused commands did not run: the sandbox's bounds "
    "stopped them first."
)

RunLines = Callable[[list[str]], list[dict[str, str]]]
"""Runs lines in one learner's sandbox (20 to a request) and answers their results."""

LONG = 4_000  # a member of 4 KB: one per line (the line limit is 4096 bytes)
SHORT_MEMBERS = [f"m{n:04d}" for n in range(1_000)]


def _lines(head: str, items: Iterable[str], per_line: int) -> list[str]:
    """``head`` followed by ``items``, ``per_line`` to a line."""
    items = list(items)
    return [f"{head} {' '.join(items[i : i + per_line])}" for i in range(0, len(items), per_line)]


def _long(count: int) -> list[str]:
    return [f"{n:04d}" + "x" * (LONG - 4) for n in range(count)]


@dataclass(frozen=True)
class Family:
    """A family of commands: how to fill a sandbox for it, and its worst admitted commands."""

    name: str
    setup: list[str]
    worst: list[str]


FAMILIES = [
    # Issue 8: SSCAN/HSCAN/ZSCAN ... MATCH <pattern> COUNT 1000 over long members held Redis
    # 0.15 to 0.7 s. 120 members of 4 KB is as much as one reply may carry (512 KiB).
    Family(
        "sscan",
        [f"SADD k {m}" for m in _long(120)],
        ["SSCAN k 0 MATCH *[a-z[][^a]*x*y* COUNT 1000"],
    ),
    Family(
        "hscan",
        [f"HSET k f{n} {m}" for n, m in enumerate(_long(120))],
        ["HSCAN k 0 MATCH *[a-z[][^a]*x*y* COUNT 1000"],
    ),
    Family(
        "zscan",
        [f"ZADD k {n} {m}" for n, m in enumerate(_long(120))],
        ["ZSCAN k 0 MATCH *[a-z[][^a]*x*y* COUNT 1000"],
    ),
    Family(
        "sets",
        _lines("SADD s", SHORT_MEMBERS, 62),
        [
            "SMEMBERS s",
            "SUNION s s",
            "SINTER s s",
            "SDIFF s s",
            "SUNIONSTORE d s s",
            "SINTERSTORE d s s",
            "SINTERCARD 2 s s",
            "SRANDMEMBER s -120",
            "SORT s ALPHA",
            "SORT s ALPHA DESC STORE d",
        ],
    ),
    Family(
        "sorted sets",
        _lines("ZADD z", (f"{n} {m}" for n, m in enumerate(SHORT_MEMBERS)), 31),
        [
            "ZUNIONSTORE d 2 z z WEIGHTS 1 2 AGGREGATE MAX",
            "ZINTERSTORE d 2 z z WEIGHTS 2 3",
            "ZUNION 2 z z",
            "ZDIFF 2 z z",
            "ZRANGE z 0 499 WITHSCORES",
            "ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 0 500",
            "ZREVRANGEBYLEX z + -",
            "ZRANDMEMBER z -60 WITHSCORES",
            "ZRANGESTORE d z 0 -1",
            "SORT z ALPHA",
        ],
    ),
    Family(
        "lists",
        _lines("RPUSH l", SHORT_MEMBERS, 62),
        [
            "LRANGE l 0 -1",
            "SORT l ALPHA",
            "SORT l ALPHA DESC STORE d",
            "LPOS l nosuch",
            "LREM l 0 nosuch",
            "RPOP l",
            "LINSERT l BEFORE m0500 x",
            "LINDEX l 500",
            "LSET l 500 y",
        ],
    ),
    Family(
        "hashes",
        _lines("HSET h", (f"f{m} {m}" for m in SHORT_MEMBERS[:500]), 31),
        ["HGETALL h", "HKEYS h", "HVALS h", "HRANDFIELD h -60 WITHVALUES"],
    ),
    Family(
        "strings",
        ["SETRANGE a 65535 x", "SETRANGE b 65535 y", "SET c " + "ab" * 395, "SET e " + "ba" * 395],
        [
            "BITCOUNT a",
            "BITPOS a 1",
            "BITPOS a 0 -1",
            "GETRANGE a 0 -1",
            "BITOP AND d c e",
            "BITOP XOR d c e",
            "LCS c e",
            "LCS c e IDX MINMATCHLEN 4 WITHMATCHLEN",
            "APPEND c x",
            "SETRANGE a 0 z",
        ],
    ),
    Family(
        "streams",
        ["XADD x * f " + m for m in SHORT_MEMBERS[:600]],
        [
            "XRANGE x - + COUNT 120",
            "XREVRANGE x + - COUNT 120",
            "XINFO STREAM x FULL COUNT 100",
            "XTRIM x MAXLEN 599",
        ],
    ),
    Family(
        "geo",
        _lines(
            "GEOADD g",
            (
                f"{(n % 359) - 179.5:.4f} {(n % 169) - 84.0:.4f} {m}"
                for n, m in enumerate(SHORT_MEMBERS)
            ),
            20,
        ),
        [
            "GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 20000 km ASC WITHDIST WITHCOORD",
            "GEORADIUS g 0 0 20000 km WITHDIST",
            "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYBOX 40000 40000 km",
            "GEORADIUSBYMEMBER g m0001 20000 km",
        ],
    ),
    Family(
        "hyperloglog",
        [line for key in ("p", "q", "r") for line in _lines(f"PFADD {key}", SHORT_MEMBERS, 62)],
        ["PFCOUNT p q r", "PFMERGE d p q r", "PFCOUNT d"],
    ),
    Family(
        "generic",
        _lines("ZADD z", (f"{n} {m}" for n, m in enumerate(SHORT_MEMBERS)), 31),
        [
            "COPY z c",
            "RENAME c e",
            "DEL e",
            "COPY z c",
            "UNLINK c",
            "MEMORY USAGE z",
            "OBJECT ENCODING z",
            "SORT z LIMIT 0 1000",
            "EXISTS z z z z",
            "FLUSHALL",
        ],
    ),
]


@dataclass(frozen=True)
class Slowest:
    """The longest SLOWLOG entry of one family."""

    family: str
    micros: int
    command: str
    refused: list[str]  # worst commands the sandbox refused (reported, not measured)


def _own(entry: dict[str, object]) -> bool:
    """Whether a SLOWLOG entry is this bench's own (SLOWLOG, CONFIG)."""
    raw = entry.get("command", b"")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text.split(" ")[0].upper() in ("SLOWLOG", "CONFIG")


def _label(entry: dict[str, object]) -> str:
    raw = entry.get("command", b"")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    words = text.split(" ")
    if words[0].upper() == "EVALSHA":
        return "EVALSHA (site script)"
    return " ".join(w.rsplit(":", 1)[-1] if "{" in w else w for w in words[:6])[:60]


def measure(
    open_learner: Callable[[], RunLines], admin: redis.Redis, repeat: int = 3
) -> list[Slowest]:
    """Each family in a fresh sandbox: fill it, then its worst commands ``repeat`` times."""
    found = []
    for family in FAMILIES:
        run = open_learner()
        setup = run(family.setup)
        failed = [r for r in setup if r["kind"] != "reply"]
        assert not failed, (family.name, failed[0])
        admin.config_set("slowlog-log-slower-than", 0)
        admin.config_set("slowlog-max-len", 100_000)
        admin.slowlog_reset()
        refused: list[str] = []
        for _ in range(repeat):  # one request each: the request's reply budget is no limit
            for result in (run([line])[0] for line in family.worst):
                if result["kind"] == "refused" and result["line"] not in refused:
                    refused.append(result["line"])
                    if os.environ.get("BENCH_VERBOSE"):
                        print(result["line"], "->", result["output"][:160])
        entries = [e for e in admin.slowlog_get(100_000) if not _own(e)]
        slowest = max(entries, key=lambda e: int(e["duration"]))
        found.append(Slowest(family.name, int(slowest["duration"]), _label(slowest), refused))
    return found


def table(rows: list[Slowest], budget_ms: float) -> str:
    """The results as a Markdown table."""
    lines = [
        "| family | SLOWLOG max | of the budget | that command | refused (not run) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        share = row.micros / (budget_ms * 1000)
        refused = ", ".join(f"`{r[:40]}`" for r in row.refused) or "none"
        lines.append(
            f"| {row.family} | {row.micros / 1000:.2f} ms | {share:.0%} | `{row.command}` "
            f"| {refused} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """Where it ran: cores, load, redis-server's version, date."""
    version = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), load {load}, {version}, "
        f"Python {platform.python_version()}, {when}"
    )


@contextlib.contextmanager
def embedded_style(settings: Settings) -> Iterator[tuple[AclUsers, Path]]:
    """redis-server on the config ``tryredis serve`` generates, plus a bench user for SLOWLOG.

    (The embedded server's own admin may only PING, INFO and CONFIG SET.) Yields the
    ACL users and the socket; the bench user is ``BENCH_USER`` with ``users.admin_password``.
    """
    users = AclUsers.generate()
    directory = Path(tempfile.mkdtemp(prefix="tr-bench-"))
    socket_path = directory / "redis.sock"
    text = redis_conf(settings, users, sandbox_command_names(), socket_path=socket_path,
                      runtime_dir=directory)  # fmt: skip
    text += f"\nuser {BENCH_USER} on >{users.admin_password} ~* &* +@all\n"
    (directory / "redis.conf").write_text(text)
    process = subprocess.Popen(["redis-server", str(directory / "redis.conf")],
                               stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if bench_admin(users, socket_path).ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        yield users, socket_path
    finally:
        process.kill()
        process.wait(5)
        shutil.rmtree(directory, ignore_errors=True)


def bench_admin(users: AclUsers, socket_path: Path) -> redis.Redis:
    """A client of the bench user (every command)."""
    return redis.Redis(unix_socket_path=str(socket_path), username=BENCH_USER,
                       password=users.admin_password)  # fmt: skip


def socket_url(user: str, password: str, socket_path: Path) -> str:
    """A redis-py URL for ``user`` on the unix socket ``socket_path``."""
    return f"unix://{quote(user, safe='')}:{quote(password, safe='')}@{socket_path}"


def main() -> None:
    """Run every family on a fresh embedded-style Redis and print (or record) the table."""
    from starlette.testclient import TestClient

    from tryredis.app import create_app

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    options = parser.parse_args()
    defaults = Settings()
    with embedded_style(defaults) as (users, socket_path):
        settings = Settings(
            redis_url=socket_url(users.site_user, users.site_password, socket_path),
            sandbox_redis_url=socket_url(users.sandbox_user, users.sandbox_password, socket_path),
            rate_per_second=10_000.0, rate_burst=10_000, ip_rate_per_second=10_000.0,
            ip_rate_burst=100_000, sessions_per_ip_hour=1_000_000,
        )  # fmt: skip
        with TestClient(create_app(settings)) as client:

            def open_learner() -> RunLines:
                token = client.post("/api/v1/sessions").json()["token"]
                headers = {"Authorization": f"Bearer {token}"}

                def run(lines: list[str]) -> list[dict[str, str]]:
                    results: list[dict[str, str]] = []
                    for i in range(0, len(lines), 20):
                        body = {"lines": lines[i : i + 20]}
                        response = client.post("/api/v1/run", json=body, headers=headers)
                        results += response.json()["results"]
                    return results

                return run

            rows = measure(open_learner, bench_admin(users, socket_path), options.repeat)
    budget = defaults.command_max_ms
    text = (
        f"Machine: {machine()}. Budget: TRYREDIS_COMMAND_MAX_MS = {budget:g} ms; each "
        f"family's commands ran {options.repeat} times.\n\n{table(rows, budget)}\n"
    )
    print(text)
    if options.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write(f"\n## Redis time per command family (bench/redis_time.py)\n\n"
                          f"{METHOD}\n\n{text}")  # fmt: skip


if __name__ == "__main__":
    main()
