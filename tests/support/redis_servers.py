"""Throwaway redis-server processes for tests, on private unix sockets.

Every server is started by the test suite itself with ``--port 0`` (no TCP
listener, so never port 6379), no persistence, and a socket in a fresh 0700
directory under /tmp. Tests may flush these servers freely: nobody else uses them.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


@dataclass
class RedisServer:
    """A running private redis-server reachable on ``socket``."""

    socket: Path
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """A redis-py URL for the server (unix socket, db 0)."""
        return f"unix://{self.socket}"

    def client(self, **kwargs: object) -> redis.Redis:
        """A synchronous admin client (default user) for test setup and checks."""
        return redis.Redis(unix_socket_path=str(self.socket), **kwargs)  # type: ignore[arg-type]

    def cli(self, line: str) -> str:
        """What `redis-cli --no-raw` prints for `line` piped on stdin, minus the last newline."""
        assert REDIS_CLI is not None
        done = subprocess.run(
            [REDIS_CLI, "--no-raw", "-s", str(self.socket)],
            input=line.encode() + b"\n",
            capture_output=True,
            timeout=10,
            check=True,
        )
        return done.stdout.decode().removesuffix("\n")

    def stop(self) -> None:
        """Kill the server (SIGKILL: it holds nothing worth saving) and remove its directory."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis(extra_args: Sequence[str] = (), binary: str | None = None) -> RedisServer:
    """Start a private redis-server (or ``binary``) on a unix socket; wait until it answers PING."""
    binary = binary or REDIS_SERVER
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt install redis-server)")
    directory = Path(tempfile.mkdtemp(prefix="tr-"))  # short path: sun_path is 108 bytes
    directory.chmod(0o700)
    sock = directory / "redis.sock"
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--loglevel",
            "warning",
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
    )
    server = RedisServer(sock, directory, process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"redis-server exited with status {process.returncode}")
        if sock.exists():
            try:
                if redis.Redis(unix_socket_path=str(sock)).ping():
                    return server
            except redis.ConnectionError:
                pass
        time.sleep(0.005)
    server.stop()
    raise RuntimeError("redis-server did not answer PING within 10 s")


@contextmanager
def running_redis(
    extra_args: Sequence[str] = (), binary: str | None = None
) -> Iterator[RedisServer]:
    """A private redis-server (or ``binary``, a Valkey too) for the ``with`` block."""
    server = start_redis(extra_args, binary)
    try:
        yield server
    finally:
        server.stop()


def _free_cluster_port() -> int:
    """A TCP port that is free, with its cluster bus port (+10000) free too, never 6379."""
    import socket

    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port in (6379, 16379) or port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


@dataclass
class RedisCluster:
    """A private Redis Cluster on loopback: masters only, slots spread evenly."""

    ports: list[int]
    directory: Path
    processes: list[subprocess.Popen[bytes]]

    @property
    def url(self) -> str:
        """A seed URL (the first node)."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def stop(self) -> None:
        """Kill every node and remove their files."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(5)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def running_cluster(nodes: int = 3) -> Iterator[RedisCluster]:
    """A private cluster for the ``with`` block (about 2-3 s to form: Redis waits 2 s)."""
    if REDIS_SERVER is None or REDIS_CLI is None:
        raise RuntimeError("redis-server and redis-cli are needed (apt install redis-server)")
    directory = Path(tempfile.mkdtemp(prefix="trc-"))
    ports = [_free_cluster_port() for _ in range(nodes)]
    cluster = RedisCluster(ports, directory, [])
    try:
        for port in ports:
            node_dir = directory / str(port)
            node_dir.mkdir()
            cluster.processes.append(
                subprocess.Popen(
                    [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                     "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                     "--save", "", "--appendonly", "no", "--dir", str(node_dir),
                     "--loglevel", "warning"],
                    stdout=subprocess.DEVNULL,
                )
            )  # fmt: skip
        for port in ports:
            deadline = time.monotonic() + 10
            while True:
                try:
                    if redis.Redis(port=port).ping():
                        break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        subprocess.run(
            [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        for port in ports:
            while b"cluster_state:ok" not in redis.Redis(port=port).execute_command(  # type: ignore[no-untyped-call]
                "CLUSTER", "INFO"
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the cluster did not reach cluster_state:ok")
                time.sleep(0.05)
        yield cluster
    finally:
        cluster.stop()
