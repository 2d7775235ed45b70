"""A tiny fake RESP server for comparing tryredis with the real redis-cli.

It listens on a unix socket in a fresh 0700 directory under /tmp (no TCP port at
all), records every command (the argument array) it receives, and answers each one
with a canned RESP payload chosen by the test. redis-cli is pointed at it with
``-s``: what arrived shows how redis-cli split a line, and what redis-cli printed
for a canned payload shows how it formats that reply.
"""

from __future__ import annotations

import shutil
import socketserver
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tryredis.wire import ErrorReply, Reply, Status

REDIS_CLI = shutil.which("redis-cli")

_MAX_BULK = 1 << 20  # more than any test sends; guards against a runaway length


class _Handler(socketserver.StreamRequestHandler):
    """Reads commands (RESP arrays or inline lines) and answers each with the reply."""

    server: _Server

    def handle(self) -> None:
        try:
            self._serve()
        except (OSError, ValueError):
            return  # a torn or malformed request: what was recorded so far stands

    def _serve(self) -> None:
        while True:
            command = self._read_command()
            if command is None:
                return
            fake = self.server.fake
            with fake.lock:
                fake.commands.append(command)
                payload = fake.reply
            self.wfile.write(payload)
            self.wfile.flush()

    def _read_command(self) -> list[bytes] | None:
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            return None  # EOF (or a torn line at EOF)
        if not line.startswith(b"*"):
            return line[:-2].split()  # an inline command
        args: list[bytes] = []
        for _ in range(int(line[1:-2])):
            header = self.rfile.readline()
            if not header.startswith(b"$") or not header.endswith(b"\r\n"):
                return None
            size = int(header[1:-2])
            if not 0 <= size <= _MAX_BULK:
                return None
            data = self.rfile.read(size + 2)
            if len(data) != size + 2 or not data.endswith(b"\r\n"):
                return None
            args.append(data[:-2])
        return args


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    fake: FakeRespServer


class FakeRespServer:
    """A running fake server: set ``reply``, run redis-cli, read ``received()``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "fake.sock"
        self.lock = threading.Lock()
        self.commands: list[list[bytes]] = []
        self.reply: bytes = b"+OK\r\n"
        self._server = _Server(str(self.socket), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def received(self) -> list[list[bytes]]:
        """A copy of every command received since the last ``clear()``."""
        with self.lock:
            return [list(command) for command in self.commands]

    def clear(self, reply: bytes = b"+OK\r\n") -> None:
        """Forget the received commands and set the canned reply for the next ones."""
        with self.lock:
            self.commands.clear()
            self.reply = reply

    def cli(self, args: Sequence[str] = (), stdin: bytes = b"") -> bytes:
        """Run ``redis-cli --no-raw -s <socket> *args`` with ``stdin``; return its stdout."""
        assert REDIS_CLI is not None, "redis-cli is not installed"
        done = subprocess.run(
            [REDIS_CLI, "--no-raw", "-s", str(self.socket), *args],
            input=stdin,
            capture_output=True,
            timeout=10,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.directory)},
        )
        return done.stdout

    def close(self) -> None:
        """Stop serving and remove the socket directory."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def fake_resp_server() -> Iterator[FakeRespServer]:
    """A fake RESP server on a unix socket in a private short /tmp directory."""
    directory = Path(tempfile.mkdtemp(prefix="tr-fake-"))  # sun_path is 108 bytes
    directory.chmod(0o700)
    server = FakeRespServer(directory)
    try:
        yield server
    finally:
        server.close()


def encode_resp(reply: Reply) -> bytes:
    """The RESP2 bytes of a reply tree (``None`` becomes a null bulk string)."""
    if isinstance(reply, Status):
        return b"+" + reply + b"\r\n"
    if isinstance(reply, ErrorReply):
        return b"-" + reply + b"\r\n"
    if isinstance(reply, bytes):
        return b"$%d\r\n%b\r\n" % (len(reply), reply)
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, int):
        return b":%d\r\n" % reply
    return b"*%d\r\n" % len(reply) + b"".join(encode_resp(item) for item in reply)
