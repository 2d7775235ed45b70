"""The web server under ``tryredis serve``: the listening socket, uvicorn, its workers.

The CLI binds the port itself before anything else starts, so a busy port is one
clear line and nothing to clean up. It announces "serving on" once the workers
are ready (their lifespans done), never before.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from tryredis.startup import StartupError

GRACEFUL_SHUTDOWN_SECONDS = 5  # open requests and streams get this long on Ctrl-C


def bind_listener(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``; a StartupError saying why when it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As uvicorn does: a restart may reuse the port while old connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        port_hint, host_hint = (
            "choose another with --port or TRYREDIS_PORT",
            "check --host or TRYREDIS_HOST",
        )
        if isinstance(error, socket.gaierror):
            reason = f"unknown host {host!r}; {host_hint}"
        elif error.errno == errno.EADDRINUSE:
            reason = f"port {port} is already in use (another tryredis?); {port_hint}"
        elif error.errno == errno.EACCES:
            reason = f"permission denied (ports below 1024 need root); {port_hint}"
        elif error.errno == errno.EADDRNOTAVAIL:
            reason = f"not an address of this machine; {host_hint}"
        else:
            reason = f"{error.strerror or error}; {host_hint}, {port_hint}"
        raise StartupError(f"cannot listen on {address}: {reason}") from None
    sock.set_inheritable(True)  # the workers serve it
    return sock


class _Server(uvicorn.Server):
    """One in-process worker; calls ``announce`` once its lifespan is done."""

    def __init__(
        self,
        config: uvicorn.Config,
        announce: Callable[[], None],
        stop_requested: Callable[[], bool],
    ) -> None:
        super().__init__(config)
        self._announce = announce
        self._stop_requested = stop_requested

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up, then the announcement (or the stop asked for meanwhile)."""
        await super().startup(sockets)
        if self._stop_requested():  # a signal before uvicorn took over the handlers
            self.should_exit = True
        if self.started and not self.should_exit:
            self._announce()


class _Supervisor(Multiprocess):
    """uvicorn's worker supervisor; calls ``announce`` once every worker is ready."""

    def __init__(
        self,
        config: uvicorn.Config,
        sockets: list[socket.socket],
        announce: Callable[[], None],
        stop_requested: Callable[[], bool],
    ) -> None:
        super().__init__(config, sockets)
        self._announce: Callable[[], None] | None = announce
        self._stop_requested = stop_requested

    def keep_subprocess_alive(self) -> None:
        """Restart dead workers (uvicorn), and announce once all of them are up."""
        super().keep_subprocess_alive()
        if self._stop_requested():  # a signal before uvicorn took over the handlers
            self.should_exit.set()
        # Polled from the supervisor's own loop: the health pipe is not safe across threads.
        announce = self._announce
        if announce is None or self.should_exit.is_set():
            return
        if all(process.is_ready(timeout=1) for process in self.processes):
            self._announce = None
            announce()

    @property
    def failed(self) -> bool:
        """Whether it stopped because a worker could not start (uvicorn then gives up)."""
        return any(process.exitcode == STARTUP_FAILURE for process in self.processes)


def run_site(
    app: Any,
    sock: socket.socket,
    workers: int,
    announce: Callable[[], None],
    stop_requested: Callable[[], bool] = lambda: False,
    **options: Any,
) -> bool:
    """Serve ``app`` (an app, or an import string for workers) on ``sock`` until a signal.

    ``stop_requested`` says whether a stop signal came before uvicorn installed its own
    handlers; the site then stops as soon as it has started. Returns False when it
    could not start (a worker's or the app's lifespan failed).
    """
    grace = GRACEFUL_SHUTDOWN_SECONDS
    config = uvicorn.Config(app, workers=workers, timeout_graceful_shutdown=grace, **options)
    if workers == 1:
        server = _Server(config, announce, stop_requested)
        try:
            server.run(sockets=[sock])
        except SystemExit as stop:  # uvicorn exits so when the lifespan fails
            if stop.code != STARTUP_FAILURE:
                raise
        return server.started
    supervisor = _Supervisor(config, [sock], announce, stop_requested)
    supervisor.run()
    return not supervisor.failed
