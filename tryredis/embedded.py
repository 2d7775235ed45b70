"""The embedded redis-server: a private unix socket, a generated config, restarts, clean exit.

The CLI starts one ``EmbeddedRedis`` before the web workers when ``TRYREDIS_REDIS_URL``
is unset. It lives in a 0700 directory ``/tmp/tryredis-<cli pid>-<random>``; the pid
in the name lets a later start remove directories left by a killed run.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tryredis.datadir import DataDirError, DataDirLock, switch_on_aof
from tryredis.processes import (
    child_setup,
    clean_stale_runtime_dirs,
    prctl_function,
    runtime_root,
)
from tryredis.redisconf import ADMIN_USER, AclUsers, aof_ready, redis_conf
from tryredis.settings import Settings
from tryredis.startup import MIN_REDIS

log = logging.getLogger("tryredis.embedded")

INSTALL_HELP = """\
Install Redis 7 or newer:
  Debian/Ubuntu:  sudo apt install redis-server
  macOS:          brew install redis
  Docker:         docker run -d -p 6379:6379 redis:7
                  and set TRYREDIS_REDIS_URL=redis://localhost:6379/0
Or set TRYREDIS_REDIS_SERVER to a redis-server binary, or TRYREDIS_REDIS_URL to your Redis."""
# Lines redis-server prints at every start and stop even at loglevel warning.
_ROUTINE = ("Redis is starting", "Redis version=", "Configuration loaded", "Server initialized",
            "Ready to accept", "shutdown", "ready to exit", "Memory overcommit")  # fmt: skip


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server cannot be found, started or kept running."""


def find_redis_server(settings: Settings) -> Path:
    """The redis-server binary (``TRYREDIS_REDIS_SERVER`` or PATH), checked to be Redis >= 7.0."""
    if settings.redis_server is not None:
        binary = shutil.which(str(settings.redis_server)) or str(settings.redis_server)
        if not os.access(binary, os.X_OK) or os.path.isdir(binary):
            raise EmbeddedRedisError(f"TRYREDIS_REDIS_SERVER={binary} is not an executable file."
                                     f"\n{INSTALL_HELP}")  # fmt: skip
    elif (found := shutil.which("redis-server")) is not None:
        binary = found
    else:
        raise EmbeddedRedisError(
            "TRYREDIS_REDIS_URL is unset and redis-server is not on PATH:"
            f" tryredis cannot start its own Redis.\n{INSTALL_HELP}"
        )
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedRedisError(f"cannot run {binary} --version: {exc}") from None
    match = re.search(rb"v=(\d+)\.(\d+)\.(\d+)", out.stdout)
    if match is None:
        raise EmbeddedRedisError(f"{binary} --version did not print a Redis version")
    version = tuple(int(part) for part in match.groups())
    if version < MIN_REDIS:
        text = ".".join(map(str, version))
        raise EmbeddedRedisError(f"{binary} is Redis {text}; tryredis needs 7.0 or newer.\n"
                                 f"{INSTALL_HELP}")  # fmt: skip
    return Path(binary)


class EmbeddedRedis:
    """A redis-server owned by this process: start, supervise (restart), stop."""

    def __init__(
        self,
        settings: Settings,
        sandbox_commands: Sequence[str],
        *,
        users: AclUsers | None = None,
        start_timeout: float = 10.0,
        newer_commands: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.users = users or AclUsers.generate()
        self.start_timeout = start_timeout
        self.restarts = 0
        self._commands = list(sandbox_commands)
        self._newer = [name for name in newer_commands if name not in self._commands]
        self._binary: Path | None = None
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._log_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._prctl = prctl_function()
        self._data_lock: DataDirLock | None = None

    @property
    def runtime_dir(self) -> Path:
        """The private 0700 directory holding the socket."""
        if self._dir is None:
            raise EmbeddedRedisError("the embedded Redis is not started")
        return self._dir

    @property
    def socket_path(self) -> Path:
        """The unix socket redis-server listens on."""
        return self.runtime_dir / "redis.sock"

    @property
    def pid(self) -> int | None:
        """The current redis-server's pid (it changes after a restart)."""
        return self._process.pid if self._process is not None else None

    def _url(self, user: str, password: str) -> str:
        # redis-py reads user and password from the userinfo of unix:// URLs too.
        path = quote(str(self.socket_path), safe="/")
        return f"unix://{quote(user, safe='')}:{quote(password, safe='')}@{path}"

    @property
    def site_url(self) -> str:
        """redis-py URL for the site's ACL user."""
        return self._url(self.users.site_user, self.users.site_password)

    @property
    def sandbox_url(self) -> str:
        """redis-py URL for the sandbox's ACL user."""
        return self._url(self.users.sandbox_user, self.users.sandbox_password)

    def start(self) -> None:
        """Start redis-server and wait until it answers PING as the site's user."""
        if self._dir is not None:
            raise EmbeddedRedisError("the embedded Redis is already started")
        self._binary = find_redis_server(self.settings)
        clean_stale_runtime_dirs()
        self._dir = Path(tempfile.mkdtemp(prefix=f"tryredis-{os.getpid()}-", dir=runtime_root()))
        try:
            data_dir = self.settings.data_dir
            if data_dir is not None:
                self._data_lock = DataDirLock(data_dir)
                self._data_lock.acquire()
            with self._lock:
                process = self._spawn()
            self._wait_ready(process)
            if self._newer:
                with self._admin() as admin:
                    self._grant_newer(admin)
            if data_dir is not None and not aof_ready(data_dir.resolve()):
                log.warning("%s has only an RDB snapshot: switching on AOF", data_dir)
                with self._admin() as admin:
                    switch_on_aof(admin, data_dir.resolve(), self.start_timeout)
        except DataDirError as error:
            self.stop()
            raise EmbeddedRedisError(str(error)) from None
        except BaseException:
            self.stop()
            raise

    def _grant_newer(self, admin: redis.Redis) -> None:
        """Let the sandbox's user run the newer commands (HEXPIRE ...) this server has.

        They are added to the config's list too, so a restarted server keeps them.
        """
        have = {str(name).lower() for name in admin.command_list()}
        present = [name for name in self._newer if name in have]
        self._newer = []
        if present:
            rules = [f"+{name}" for name in present]
            admin.acl_setuser(self.users.sandbox_user, enabled=True, commands=rules)
            self._commands += present

    @contextlib.contextmanager
    def _admin(self) -> Iterator[redis.Redis]:
        """A connection as the admin user (only this process knows its password)."""
        client = redis.Redis(unix_socket_path=str(self.socket_path), username=ADMIN_USER,
                             password=self.users.admin_password, socket_timeout=5,
                             decode_responses=True)  # fmt: skip
        try:
            yield client
        finally:
            client.close()

    def _spawn(self) -> subprocess.Popen[bytes]:
        """Write the config (0600) and start redis-server on it; the caller holds the lock."""
        assert self._binary is not None
        # Made anew for every start: whether AOF is on follows what the data dir holds. The
        # file holds passwords, so it is deleted once the server is up.
        text = redis_conf(self.settings, self.users, self._commands,
                          socket_path=self.socket_path, runtime_dir=self.runtime_dir)  # fmt: skip
        conf = self.runtime_dir / "redis.conf"
        conf.unlink(missing_ok=True)
        self.socket_path.unlink(missing_ok=True)  # a SIGKILLed server leaves its socket
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        process = subprocess.Popen(
            [str(self._binary), str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal must not reach it: we stop it last
            preexec_fn=child_setup(self._prctl, os.getpid()),
        )
        self._process = process
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        reader = threading.Thread(target=self._read_log, args=(process,), daemon=True,
                                  name=f"redis-server-log-{process.pid}")  # fmt: skip
        reader.start()
        self._threads.append(reader)
        return process

    def _read_log(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout:  # EOF when it exits
            for raw in process.stdout:
                line = raw.decode(errors="replace").rstrip()
                self._log_tail.append(line)
                routine = any(part in line for part in _ROUTINE)
                log.log(logging.DEBUG if routine else logging.WARNING, "redis-server: %s", line)

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        """Poll PING over the socket until it answers; delete the config file then."""
        deadline = time.monotonic() + self.start_timeout
        client = redis.Redis(unix_socket_path=str(self.socket_path), username=self.users.site_user,
                             password=self.users.site_password, socket_timeout=1,
                             retry=Retry(NoBackoff(), 0))  # fmt: skip
        try:
            while True:
                if process.poll() is not None:
                    time.sleep(0.05)  # let the reader catch the last lines
                    tail = "\n".join(self._log_tail)
                    raise EmbeddedRedisError(
                        f"redis-server exited with status {process.returncode}:\n{tail}"
                    )
                if self.socket_path.exists():
                    with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                        if client.ping():
                            break
                if time.monotonic() > deadline:
                    process.kill()
                    raise EmbeddedRedisError(
                        f"redis-server did not answer within {self.start_timeout:g} s"
                    )
                time.sleep(0.005)
        finally:
            client.close()
        (self.runtime_dir / "redis.conf").unlink(missing_ok=True)

    def supervise(self) -> None:
        """Restart redis-server (same socket and passwords) whenever it dies unexpectedly."""
        if any(thread.name == "redis-server-supervisor" for thread in self._threads):
            return
        thread = threading.Thread(target=self._supervise, name="redis-server-supervisor",
                                  daemon=True)  # fmt: skip
        thread.start()
        self._threads.append(thread)

    def _supervise(self) -> None:
        delay = 0.05  # doubled before the first restart
        while self._process is not None and not self._stopping.is_set():
            started = time.monotonic()
            status = self._process.wait()
            if self._stopping.is_set():
                return
            # Back off when it keeps dying right away; start quickly after a long run.
            delay = 0.1 if time.monotonic() - started > 30 else min(delay * 2, 5.0)
            log.warning("redis-server exited with status %s; restarting in %.1f s", status, delay)
            if self._stopping.wait(delay):
                return
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    process = self._spawn()
                self._wait_ready(process)
            except (EmbeddedRedisError, OSError) as exc:
                if not self._stopping.is_set():
                    log.error("restarting redis-server failed: %s", exc)
                continue
            self.restarts += 1
            log.warning("redis-server restarted (pid %d)", process.pid)

    def stop(self) -> None:
        """SIGTERM redis-server (SIGKILL if it lingers), remove the socket and directory."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:  # a snapshot on shutdown (data dir) may take a while; nothing else does
                process.wait(30 if self.settings.data_dir else 5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(5)
        self._threads.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        if self._data_lock is not None:  # only once redis-server is gone
            self._data_lock.release()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        self.supervise()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
