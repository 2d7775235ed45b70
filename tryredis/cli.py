"""The ``tryredis`` command: ``serve`` (the default), ``acl`` and ``teacher``.

``serve`` starts the embedded redis-server when ``TRYREDIS_REDIS_URL`` is unset (or
checks the configured Redis), exports the Redis URLs to the environment the uvicorn
workers build their app from, runs uvicorn, and stops the embedded Redis last.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType, ModuleType

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tryredis.classroom import cli as classroom_cli
from tryredis.embedded import EmbeddedRedis, EmbeddedRedisError
from tryredis.httpserver import uvicorn_options
from tryredis.processes import PARENT_PID_ENV
from tryredis.redisconf import check_maxmemory, external_setup_text
from tryredis.serving import bind_listener, run_site
from tryredis.settings import Settings, SettingsError, read_env, redacted, unknown_variables
from tryredis.startup import MIN_REDIS, StartupError, redis_version

SERVER_NAMES = {"redis": "Redis", "valkey": "Valkey"}
CHECK_SECONDS = 5.0  # all start-up checks of an external Redis together
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _table() -> ModuleType:
    # Imported here: the CLI (and `tryredis acl`) must not pay for the whole engine.
    try:
        return importlib.import_module("tryredis.repl.table")
    except ModuleNotFoundError as exc:
        if exc.name != "tryredis.repl.table":
            raise
        raise StartupError("the sandbox's command table (tryredis.repl.table) is missing") from None


def sandbox_command_names() -> list[str]:
    """The sandbox's commands for its ACL user, from the command table (Redis 7.0's)."""
    names = _table().acl_command_names
    return list(names() if callable(names) else names)


def newer_command_names() -> dict[str, list[str]]:
    """The table's commands newer than Redis 7.0, by the version that added them."""
    newer = getattr(_table(), "newer_acl_names", None)
    return dict(newer()) if callable(newer) else {}


def check_redis(env_name: str, url: str, deadline: float) -> str:
    """Check ``url`` answers as Redis 7+ before ``deadline`` (monotonic).

    Returns the server's name and version as the start-up line shows them: ``Redis
    7.0.15``, ``Valkey 8.1.8`` (HELLO's ``server`` and ``version``).
    """
    where = f"{env_name}={redacted(url)}"
    remaining = max(deadline - time.monotonic(), 0.1)
    client = redis.Redis.from_url(url, socket_connect_timeout=remaining, socket_timeout=remaining,
                                  retry=Retry(NoBackoff(), 0))  # fmt: skip
    try:
        # HELLO (without a protocol switch) gives the version to any user: ACLs cannot deny it.
        reply = client.execute_command("HELLO")  # type: ignore[no-untyped-call]
    except redis.AuthenticationError as exc:
        raise StartupError(f"{where}: authentication failed: {exc}") from None
    except redis.TimeoutError:
        raise StartupError(f"{where}: no answer within {CHECK_SECONDS:g} s (timed out)") from None
    except redis.ConnectionError as exc:
        raise StartupError(f"{where}: cannot connect: {exc}") from None
    except redis.InvalidResponse as exc:
        raise StartupError(f"{where}: not a Redis server ({exc})") from None
    except redis.ResponseError as exc:  # HELLO is unknown before Redis 6
        raise StartupError(f"{where}: Redis too old (tryredis needs 7.0 or newer): {exc}") from None
    finally:
        client.close()
    info = reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2], strict=True))
    raw = info.get(b"version", info.get("version", b""))
    version = raw.decode() if isinstance(raw, bytes) else str(raw)
    parsed = redis_version(version)
    if parsed is None:
        raise StartupError(f"{where}: not a Redis server (version {version!r})")
    if parsed < MIN_REDIS:
        raise StartupError(f"{where}: Redis {version} is too old: tryredis needs 7.0 or newer")
    raw_name = info.get(b"server", info.get("server", b"redis"))
    name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
    return f"{SERVER_NAMES.get(name.lower(), name)} {version}"


# Where an exception would leave a lock held (logging's module lock, threading's locks).
LOCK_CODE = (f"logging{os.sep}__init__.py", f"{os.sep}threading.py")
_stop_signals: list[int] = []  # the stop signals received before uvicorn took them over


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes Ctrl-C's path: uvicorn shuts down gracefully, then `finally` runs.
    # The KeyboardInterrupt can land where Python swallows it ("Exception ignored in
    # logging's _releaseLock", seen 1 run in 6): the list remembers the signal anyway,
    # and start-up checks it between steps and once uvicorn is up.
    _stop_signals.append(signum)
    if frame is not None and frame.f_code.co_filename.endswith(LOCK_CODE):
        return  # never inside a lock's acquire or release: the next step raises it
    raise KeyboardInterrupt


def _check_stop() -> None:
    """Raise the KeyboardInterrupt a stop signal meant, if Python swallowed it."""
    if _stop_signals:
        raise KeyboardInterrupt


def _site_address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(settings: Settings, host: str, port: int, workers: int) -> int:
    """Bind the port, start Redis if needed, run uvicorn; stop everything on Ctrl-C or SIGTERM."""
    _stop_signals.clear()
    previous = {signum: signal.signal(signum, _stop_on_signal) for signum in STOP_SIGNALS}
    embedded: EmbeddedRedis | None = None
    listener = None
    where = ""
    try:
        # The port first: if it is taken, nothing else has started yet.
        listener = bind_listener(host, port)
        deadline = time.monotonic() + CHECK_SECONDS
        if settings.redis_url is None:
            check_maxmemory(settings.embedded_maxmemory)
            newer = [name for names in newer_command_names().values() for name in names]
            embedded = EmbeddedRedis(settings, sandbox_command_names(), newer_commands=newer)
            embedded.start()
            embedded.supervise()
            settings = settings.replace(redis_url=embedded.site_url)
            classroom_cli.write_site_url(embedded.runtime_dir, embedded.site_url)
            server = check_redis("embedded Redis", embedded.site_url, deadline)
            where = f" (embedded {server} on {embedded.socket_path})"
        else:
            where = f" ({check_redis('TRYREDIS_REDIS_URL', settings.redis_url, deadline)})"
        if settings.sandbox_redis_url is not None:
            check_redis("TRYREDIS_SANDBOX_REDIS_URL", settings.sandbox_redis_url, deadline)
        elif embedded is not None:
            settings = settings.replace(sandbox_redis_url=embedded.sandbox_url)
        _check_stop()
        # Workers build their app from the environment (tryredis.asgi), so they inherit these.
        os.environ["TRYREDIS_REDIS_URL"] = settings.redis_url or ""
        if settings.sandbox_redis_url is not None:
            os.environ["TRYREDIS_SANDBOX_REDIS_URL"] = settings.sandbox_redis_url
        os.environ[PARENT_PID_ENV] = str(os.getpid())  # workers die with us (die_with_parent)
        # Imported only now: a busy port or a bad setting must not wait for the whole site.
        from tryredis.app import create_app
        from tryredis.lessons import LessonError, load_lessons

        # Lessons are checked here, once: a bad one is one line, not a traceback per worker.
        try:
            if workers == 1:
                app: object = create_app(settings)
            else:
                load_lessons(settings.lessons_dir)
                app = "tryredis.asgi:app"
        except LessonError as error:
            raise StartupError(str(error)) from None
        address = _site_address(host, port)
        _check_stop()

        hint = classroom_cli.teacher_hint(settings.redis_url or "", settings)

        def announce() -> None:
            print(f"tryredis: serving on {address}{where}", flush=True)
            if hint:
                print(hint, flush=True)

        started = run_site(app, listener, workers, announce, lambda: bool(_stop_signals),
                           **uvicorn_options(settings), log_level=settings.log_level,
                           access_log=False)  # fmt: skip
        if not started:
            return 2  # the reason is on the line above (OneLineStartupErrors)
    except KeyboardInterrupt:
        pass
    except (StartupError, EmbeddedRedisError, SettingsError) as exc:
        print(f"tryredis: {exc}", file=sys.stderr)
        return 2
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave redis-server behind.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if embedded is not None:
            embedded.stop()
        if listener is not None:
            listener.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: ``tryredis [serve] [--host H] [--port P] [--workers N]``, ``acl``."""

    def add_serve_options(parser: argparse.ArgumentParser, default: object) -> None:
        parser.add_argument("--host", default=default, help="address to listen on")
        parser.add_argument("--port", type=int, default=default, help="port to listen on")
        parser.add_argument("--workers", type=int, default=default, help="web worker processes")

    parser = argparse.ArgumentParser(prog="tryredis", description=__doc__.splitlines()[0])
    add_serve_options(parser, None)
    commands = parser.add_subparsers(dest="command")
    # SUPPRESS: options not given after `serve` must not reset ones given before it.
    add_serve_options(commands.add_parser("serve", help="run the site (default)"),
                      argparse.SUPPRESS)  # fmt: skip
    commands.add_parser("acl", help="print the ACL users and settings for an external Redis")
    classroom_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tryredis`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        for warning in unknown_variables(read_env()):
            print(f"tryredis: warning: {warning}", file=sys.stderr)
        host = settings.host if args.host is None else args.host
        port = settings.port if args.port is None else args.port
        workers = settings.workers if args.workers is None else args.workers
        if not 0 < port < 65536 or workers < 1:
            raise SettingsError("--port must be 1-65535 and --workers at least 1")
        if args.command == "acl":
            text = external_setup_text(settings, sandbox_command_names(), newer_command_names())
            sys.stdout.write(text)
            return 0
        if args.command == "teacher":
            return classroom_cli.run(args, settings)
    except (SettingsError, StartupError) as exc:
        print(f"tryredis: {exc}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s: %(message)s")
    return serve(settings, host, port, workers)


if __name__ == "__main__":
    raise SystemExit(main())
