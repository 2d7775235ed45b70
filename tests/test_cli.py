"""The ``tryredis`` command: argument parsing, ``acl``, start-up checks and ``serve``."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.live import free_port
from tests.support.redis_servers import REDIS_SERVER, RedisServer, running_redis
from tryredis import cli

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["get", "set", "object|encoding"]


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any TRYREDIS_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYREDIS_")}
    return env | extra


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python server.py ARGS`` in an empty directory (no .env), as a user would run it."""
    command = [sys.executable, str(ROOT / "server.py"), *args]
    return subprocess.run(command, cwd=tmp_path, env=clean_env(**env), capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def start_seconds(tmp_path: Path) -> float:
    """How long the CLI takes to start and stop on this machine right now (a bad setting)."""
    started = time.monotonic()
    run_cli(tmp_path, TRYREDIS_RATE_BURST="abc")
    return time.monotonic() - started


@contextmanager
def tcp_server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A local TCP server calling ``handle`` for each connection; yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                handle(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(10)
        listener.close()


def fake_redis(hello_reply: bytes) -> Callable[[socket.socket], None]:
    """A handler speaking just enough RESP: OK to CLIENT, ``hello_reply`` to HELLO."""

    def handle(conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        while header := stream.readline():
            args = []
            for _ in range(int(header[1:])):
                stream.readline()  # $length
                args.append(stream.readline().strip().upper())
            conn.sendall(hello_reply if args[0] == b"HELLO" else b"+OK\r\n")
        stream.close()

    return handle


def test_parser_accepts_options_before_or_after_serve() -> None:
    parse = cli.build_parser().parse_args
    assert parse([]).command is None
    assert parse(["--port", "9000", "serve"]).port == 9000
    assert parse(["serve", "--port", "9001", "--workers", "2"]).workers == 2
    assert parse(["--host", "::1", "serve", "--port", "1"]).host == "::1"


def test_acl_prints_users_limits_and_urls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "sandbox_command_names", lambda: COMMANDS)
    for name in [k for k in os.environ if k.startswith("TRYREDIS_")]:
        monkeypatch.delenv(name)
    assert cli.main(["acl"]) == 0
    out = capsys.readouterr().out
    site_pw = re.search(r"ACL SETUSER tryredis-site reset on >(\S+) ", out)
    sandbox_pw = re.search(
        r"ACL SETUSER tryredis-sandbox reset on >(\S+) .* \+object\|encoding", out
    )
    assert site_pw is not None
    assert sandbox_pw is not None
    assert f"TRYREDIS_REDIS_URL=redis://tryredis-site:{site_pw[1]}@HOST:6379/0\n" in out
    assert (
        f"TRYREDIS_SANDBOX_REDIS_URL=redis://tryredis-sandbox:{sandbox_pw[1]}@HOST:6379/0\n" in out
    )
    assert "CONFIG SET maxmemory-policy noeviction\n" in out
    assert "CONFIG SET appendonly yes\nCONFIG SET appendfsync everysec\n" in out
    assert "ACL SETUSER default reset off" in out


def test_acl_uses_the_command_table(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "acl")
    assert done.returncode == 0, done.stderr
    assert re.search(r"ACL SETUSER tryredis-sandbox .*-@all .*\+get\b", done.stdout)


@pytest.mark.parametrize("args", [(), ("serve",), ("acl",)])
def test_bad_setting_is_one_line_and_status_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_cli(tmp_path, *args, TRYREDIS_RATE_BURST="abc")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["tryredis: TRYREDIS_RATE_BURST='abc' is not a whole number"]
    assert done.stdout == ""


def test_unreachable_redis(tmp_path: Path) -> None:
    baseline = start_seconds(tmp_path)
    started = time.monotonic()
    url = f"redis://tryredis-site:s3cret@127.0.0.1:{free_port()}/0"
    done = run_cli(tmp_path, TRYREDIS_REDIS_URL=url)
    assert time.monotonic() - started < baseline + 2  # refused at once, no retries
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("tryredis: TRYREDIS_REDIS_URL=redis://tryredis-site:***@127.0.0.1:")
    assert "cannot connect" in line
    assert "Connection refused" in line
    assert "s3cret" not in line


def test_not_a_redis_server(tmp_path: Path) -> None:
    def http(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with tcp_server(http) as port:
        done = run_cli(tmp_path, TRYREDIS_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "TRYREDIS_REDIS_URL=redis://127.0.0.1:" in line
    assert "not a Redis server" in line


@pytest.mark.slow
def test_silent_server_times_out_within_5_seconds(tmp_path: Path) -> None:
    def silent(conn: socket.socket) -> None:
        conn.recv(1024)
        time.sleep(7)

    baseline = start_seconds(tmp_path)
    with tcp_server(silent) as port:
        started = time.monotonic()
        done = run_cli(tmp_path, TRYREDIS_REDIS_URL=f"redis://127.0.0.1:{port}/0")
        took = time.monotonic() - started
    assert done.returncode == 2
    assert took < baseline + 6, (took, baseline)  # 5 s of checks, and the start
    [line] = done.stderr.splitlines()
    assert "TRYREDIS_REDIS_URL" in line
    assert "timed out" in line


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"-ERR unknown command 'HELLO'\r\n", "too old"),
        # redis-py 8 opens with HELLO 3, so Redis 6.2 answers with a RESP3 map.
        (b"%3\r\n+server\r\n+redis\r\n+version\r\n+6.2.6\r\n+proto\r\n:3\r\n", "6.2.6 is too old"),
    ],
)
def test_old_redis_is_refused(tmp_path: Path, reply: bytes, expected: str) -> None:
    with tcp_server(fake_redis(reply)) as port:
        done = run_cli(tmp_path, TRYREDIS_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "TRYREDIS_REDIS_URL" in line
    assert expected in line


def test_check_redis_accepts_redis_7(redis_server: RedisServer) -> None:
    label = cli.check_redis("TRYREDIS_REDIS_URL", redis_server.url, time.monotonic() + 5)
    name, version = label.split(" ")
    assert name == "Redis"
    assert version == redis_server.client().info("server")["redis_version"]
    assert int(version.split(".")[0]) >= 7


def _embedded_label() -> str:
    """What the start-up line should name: the redis-server on PATH, from its --version."""
    if REDIS_SERVER is None:
        return ""
    out = subprocess.run([str(REDIS_SERVER), "--version"], capture_output=True, text=True).stdout
    found = re.search(r"v=(\S+)", out)
    return f"{'Valkey' if out.startswith('Valkey') else 'Redis'} {found[1] if found else ''}"


EMBEDDED_LABEL = _embedded_label()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children ...), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def command_line(pid: int) -> str:
    """``pid``'s command line ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def get(url: str) -> int:
    """The status of GET ``url``."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http://127.0.0.1 only)
        return int(response.status)


def first_line(process: subprocess.Popen[str], log: Path) -> str:
    """The first line ``process`` prints (it prints "serving on" once its workers are ready)."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        # Not a wait for the start: a guard so a broken start fails instead of hanging.
        return lines.get(timeout=180)
    except queue.Empty:
        raise AssertionError(f"nothing printed within 180 s:\n{log.read_text()}") from None


@contextmanager
def serving(
    tmp_path: Path, *args: str, **env: str
) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """``tryredis serve`` on a free port with an embedded Redis; yields (process, port, socket)."""
    port = free_port()
    log_path = tmp_path / f"stderr-{port}.txt"
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "serve", "--port",
                                str(port), *args], cwd=tmp_path, env=clean_env(**env),
                               stdout=subprocess.PIPE, stderr=log, text=True)  # fmt: skip
    try:
        first = first_line(process, log_path)
        found = re.fullmatch(r"tryredis: serving on http://127\.0\.0\.1:(\d+) "
                             r"\(embedded (\S+ \S+) on (\S+)\)\n", first)  # fmt: skip
        assert found, first + log_path.read_text()
        assert int(found[1]) == port
        assert found[2] == EMBEDDED_LABEL  # the server's name and version, from HELLO
        # Announced only once every worker finished its start-up: it answers now.
        assert get(f"http://127.0.0.1:{port}/healthz") == 200
        yield process, port, Path(found[3])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
        log.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds child processes in /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_then_stop_leaves_nothing(tmp_path: Path, signum: int) -> None:
    with serving(tmp_path) as (process, port, sock):
        assert get(f"http://127.0.0.1:{port}/") == 200
        servers = [p for p in descendants(process.pid) if "redis-server" in command_line(p)]
        assert len(servers) == 1
        assert sock.is_socket()
        process.send_signal(signum)
        assert process.wait(15) == 0, (tmp_path / "stderr.txt").read_text()
    assert command_line(servers[0]) == ""
    assert not sock.parent.exists()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")
def test_killed_cli_leaves_no_process(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2") as (process, _port, _sock):
        below = descendants(process.pid)
        assert any("redis-server" in command_line(p) for p in below)
        process.kill()
        process.wait()
        # The workers get SIGTERM from the kernel (PR_SET_PDEATHSIG) and shut down; 10 s
        # bounds their shutdown (uvicorn's grace is 5 s), it does not wait for a start.
        deadline = time.monotonic() + 10
        while any(command_line(p) for p in below):
            left = {p: command_line(p) for p in below if command_line(p)}
            assert time.monotonic() < deadline, f"still running after the CLI was killed: {left}"
            time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds child processes in /proc")
def test_healthz_follows_the_embedded_redis_through_a_restart(tmp_path: Path) -> None:
    with serving(tmp_path) as (process, port, _sock):
        (server,) = [p for p in descendants(process.pid) if "redis-server" in command_line(p)]
        os.kill(server, signal.SIGKILL)
        statuses = []
        deadline = time.monotonic() + 1
        while 503 not in statuses and time.monotonic() < deadline:
            statuses.append(status_of(f"http://127.0.0.1:{port}/healthz"))
        assert 503 in statuses, f"/healthz never turned 503 within 1 s: {statuses}"
        deadline = time.monotonic() + 5
        while status_of(f"http://127.0.0.1:{port}/healthz") != 200:
            assert time.monotonic() < deadline, "/healthz did not come back after the restart"
            time.sleep(0.05)
        restarted = [p for p in descendants(process.pid) if "redis-server" in command_line(p)]
        assert restarted and restarted != [server]


def status_of(url: str) -> int:
    """The HTTP status of a GET (error statuses included)."""
    try:
        return get(url)
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_site(process: subprocess.Popen[str], port: int, log: Path) -> None:
    """Until GET /healthz answers 200 (or the process died; 180 s is a guard, not a wait)."""
    deadline = time.monotonic() + 180
    while True:
        try:
            if get(f"http://127.0.0.1:{port}/healthz") == 200:
                return
        except OSError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the site did not answer within 180 s"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds child processes in /proc")
def test_external_redis_url_is_used_and_nothing_is_embedded(tmp_path: Path) -> None:
    redis_port = free_port()
    with running_redis_on_tcp(redis_port) as server:
        url = f"redis://127.0.0.1:{redis_port}/0"
        port = free_port()
        log_path = tmp_path / "stderr.txt"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "server.py"), "serve", "--port", str(port)],
                cwd=tmp_path, env=clean_env(TRYREDIS_REDIS_URL=url), stdout=subprocess.PIPE,
                stderr=log, text=True,
            )  # fmt: skip
            try:
                first = first_line(process, log_path)
                assert first.startswith(f"tryredis: serving on http://127.0.0.1:{port}")
                assert "embedded" not in first
                version = server.client().info("server")["redis_version"]
                assert first.endswith(f" (Redis {version})\n")
                assert get(f"http://127.0.0.1:{port}/") == 200
                below = descendants(process.pid)
                assert not any("redis-server" in command_line(p) for p in below)
                assert server.client().exists("tryredis:secret") == 1  # it used this Redis
            finally:
                process.terminate()
                process.wait(10)
                assert process.stdout is not None
                process.stdout.close()


@pytest.mark.slow
def test_uvicorn_serves_server_app_when_the_url_is_set(tmp_path: Path) -> None:
    redis_port = free_port()
    with running_redis_on_tcp(redis_port):
        port = free_port()
        log_path = tmp_path / "stderr.txt"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "server:app", "--port", str(port)],
                cwd=ROOT, env=clean_env(TRYREDIS_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0"),
                stdout=subprocess.DEVNULL, stderr=log, text=True,
            )  # fmt: skip
            try:
                wait_for_site(process, port, log_path)
                assert get(f"http://127.0.0.1:{port}/repl") == 200
            finally:
                process.terminate()
                process.wait(10)


@contextmanager
def running_redis_on_tcp(port: int) -> Iterator[RedisServer]:
    """A private redis-server that also listens on 127.0.0.1:``port`` (never 6379)."""
    assert port != 6379
    with running_redis(["--port", str(port), "--bind", "127.0.0.1"]) as server:
        yield server


def runtime_dirs() -> set[Path]:
    """The embedded servers' runtime directories now in /tmp (anyone's)."""
    return set(Path("/tmp").glob("tryredis-*-*"))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_busy_port_exits_at_once_with_one_line(tmp_path: Path, workers: str) -> None:
    baseline = start_seconds(tmp_path)
    before = runtime_dirs()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = run_cli(tmp_path, "serve", "--port", str(port), "--workers", workers)
        took = time.monotonic() - started
    assert done.returncode == 2
    assert done.stdout == ""  # never "serving on"
    assert done.stderr.splitlines() == [
        f"tryredis: cannot listen on 127.0.0.1:{port}: port {port} is already in use "
        "(another tryredis?); choose another with --port or TRYREDIS_PORT"
    ]
    assert took < baseline + 1.5, (took, baseline)
    assert not runtime_dirs() - before  # no embedded Redis was started (or it is gone)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"TRYREDIS_REDIS_URL": "redis://u:secret@localhost:6390/0?foo=1"},
         "TRYREDIS_REDIS_URL=redis://u:***@localhost:6390/0?foo=1: unknown URL option 'foo'"),
        ({"TRYREDIS_REDIS_URL": "redis://localhost:6390/0?health_check_interval=soon"},
         "TRYREDIS_REDIS_URL=redis://localhost:6390/0?health_check_interval=soon: "
         "Invalid value for 'health_check_interval' in connection URL."),
        ({"TRYREDIS_SANDBOX_REDIS_URL": "redis://localhost:6390/0?decode_responses=yes"},
         "TRYREDIS_SANDBOX_REDIS_URL=redis://localhost:6390/0?decode_responses=yes: "
         "tryredis sets decode_responses itself; remove it from the URL"),
        ({"TRYREDIS_REDIS_URL": "redis://localhost:6390/zero"},
         "TRYREDIS_REDIS_URL=redis://localhost:6390/zero: the path must be a database number "
         "such as /0"),
        ({"TRYREDIS_DATA_DIR": "pyproject.toml"},
         "TRYREDIS_DATA_DIR='pyproject.toml' is not a directory"),
        ({"TRYREDIS_LESSONS_DIR": "nowhere"}, "TRYREDIS_LESSONS_DIR='nowhere' is not a directory"),
        ({"TRYREDIS_HOST": "my host"}, "TRYREDIS_HOST='my host' is not a host name or IP address"),
    ],
)  # fmt: skip
def test_bad_settings_are_one_line_naming_the_variable(
    tmp_path: Path, env: dict[str, str], line: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    done = run_cli(tmp_path, **env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"tryredis: {line}"]


def test_unknown_variable_is_warned_with_the_nearest_name(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TRYREDIS_DATADIR=/tmp/x\n")
    done = run_cli(tmp_path, "acl", TRYREDIS_RATE_BRUST="5", TRYREDIS_ZZZ="1")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "tryredis: warning: TRYREDIS_DATADIR is not a tryredis setting; ignored "
        "(did you mean TRYREDIS_DATA_DIR?)",
        "tryredis: warning: TRYREDIS_RATE_BRUST is not a tryredis setting; ignored "
        "(did you mean TRYREDIS_RATE_BURST?)",
        "tryredis: warning: TRYREDIS_ZZZ is not a tryredis setting; ignored "
        "(see the README's settings)",
    ]


def test_a_bad_lesson_stops_the_start_and_the_embedded_redis(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01-broken.md").write_text("no front matter here\n")
    before = runtime_dirs()
    done = run_cli(tmp_path, "serve", "--port", str(free_port()),
                   TRYREDIS_LESSONS_DIR=str(lessons))  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("tryredis: ") and "01-broken.md" in line
    assert done.stdout == ""
    assert not runtime_dirs() - before


def test_uvicorn_without_a_redis_url_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "uvicorn", "server:app", "--port",
                           str(free_port())], cwd=ROOT, env=clean_env(), capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert "tryredis: TRYREDIS_REDIS_URL is not set" in done.stderr


def test_uvicorn_with_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "uvicorn", "server:app", "--port",
                           str(free_port())], cwd=ROOT, env=clean_env(TRYREDIS_RATE_BURST="x"),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 3
    assert done.stderr.splitlines() == ["tryredis: TRYREDIS_RATE_BURST='x' is not a whole number"]


@pytest.mark.slow
def test_a_data_dir_in_use_is_refused_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(tmp_path, TRYREDIS_DATA_DIR=str(data)) as (process, _port, _sock):
        done = run_cli(tmp_path, "serve", "--port", str(free_port()), TRYREDIS_DATA_DIR=str(data))
        assert done.returncode == 2
        assert done.stderr.splitlines() == [
            f"tryredis: TRYREDIS_DATA_DIR={data} is in use by another tryredis "
            f"(pid {process.pid}): stop it first, or choose another data dir"
        ]
        assert process.poll() is None


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_failed_lifespan_exits_2_with_its_reason(tmp_path: Path, workers: str) -> None:
    # HELLO (the CLI's check) works for any user; the app's INFO check fails for this one,
    # so the failure comes from the workers' lifespans.
    redis_port = free_port()
    with running_redis_on_tcp(redis_port) as server:
        server.client().acl_setuser("limited", enabled=True, passwords=["+pw"], keys=["*"],
                                    channels=["*"], commands=["+@all", "-info"])  # fmt: skip
        url = f"redis://limited:pw@127.0.0.1:{redis_port}/0"
        done = run_cli(tmp_path, "serve", "--port", str(free_port()), "--workers", workers,
                       TRYREDIS_REDIS_URL=url)  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    reason = "tryredis: TRYREDIS_REDIS_URL: cannot use this Redis (this user has no permissions"
    assert reason in done.stderr


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds child processes in /proc")
def test_sigterm_during_start_up_stops_the_embedded_redis(tmp_path: Path) -> None:
    log_path = tmp_path / "stderr.txt"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "serve", "--port",
                                    str(free_port())], cwd=tmp_path, env=clean_env(),
                                   stdout=subprocess.PIPE, stderr=log, text=True)  # fmt: skip
        deadline = time.monotonic() + 60  # a guard: the server appears well before
        servers: list[int] = []
        try:
            while not servers:
                servers = [p for p in descendants(process.pid) if "redis-server" in command_line(p)]
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.005)
            # Now it loads the site (lessons, templates): well before it serves.
            process.send_signal(signal.SIGTERM)
            assert process.wait(60) == 0, log_path.read_text()
        except BaseException:  # a failure must not leave the server and its Redis running
            for pid in [*descendants(process.pid), *servers, process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait(10)
            if process.stdout is not None:
                process.stdout.close()
            raise
        assert process.stdout is not None
        process.stdout.close()
    assert command_line(servers[0]) == ""
    assert "Traceback" not in log_path.read_text()
