"""``tryredis teacher``: the real command against a running ``tryredis`` with its embedded Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import free_port
from tests.support.redis_servers import REDIS_SERVER
from tryredis.classroom.cli import running_site_url, write_site_url
from tryredis.settings import PROJECT_ROOT
from tryredis.startup import StartupError

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed"),
]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TRYREDIS_")}


@pytest.fixture
def running_site() -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``tryredis --port P`` with an embedded Redis; the lines it printed until ready."""
    site = subprocess.Popen(
        [sys.executable, "-m", "tryredis.cli", "--port", str(free_port())],
        env=_env(), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert site.stdout is not None
    lines: list[str] = []
    for line in site.stdout:  # readiness: the lines it prints, never a sleep
        lines.append(line.strip())
        if "no teacher yet" in line:
            break
        assert site.poll() is None, lines
    try:
        yield site, lines
    finally:
        site.send_signal(signal.SIGINT)
        site.communicate(timeout=30)


SITE_URL: dict[str, str] = {}


def teacher(*words: str) -> subprocess.CompletedProcess[str]:
    # Other tryredis sites may run on a shared machine: name ours by its site.url file.
    return subprocess.run(
        [sys.executable, "-m", "tryredis.cli", "teacher", *words],
        env={**_env(), **SITE_URL}, cwd=PROJECT_ROOT, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip


def test_teacher_commands_find_the_running_embedded_redis(
    running_site: tuple[subprocess.Popen[str], list[str]],
) -> None:
    site, lines = running_site
    assert lines[-1] == "tryredis: no teacher yet; to run a class: tryredis teacher add YOUR-NAME"
    pid = site.pid
    (found,) = Path("/tmp").glob(f"tryredis-{pid}-*/site.url")
    assert found.stat().st_mode & 0o777 == 0o600
    SITE_URL["TRYREDIS_REDIS_URL"] = found.read_text()
    added = teacher("add", "Ms Rivera", "--site", "http://class.example:8000")
    assert added.returncode == 0, added.stderr
    assert "http://class.example:8000/teach/welcome?link=" in added.stdout
    assert teacher("add", "ms rivera").stdout.startswith("tryredis: a teacher named")
    assert teacher("list").stdout == "Ms Rivera\n"
    token = teacher("token", "Ms Rivera").stdout.strip()
    assert token.startswith("t_") and len(token) > 40
    assert (
        teacher("remove", "Ms Rivera").stdout == "Teacher 'Ms Rivera' removed; 0 class(es) ended.\n"
    )
    assert teacher("list").stdout == ""
    missing = teacher("token", "Nobody")
    assert missing.returncode == 1 and "no teacher named" in missing.stdout
    assert site.poll() is None and pid == site.pid
    SITE_URL.clear()


def test_the_running_site_is_found_by_its_live_pid(tmp_path: Path) -> None:
    ours = tmp_path / f"tryredis-{os.getpid()}-abc123"
    ours.mkdir()
    assert running_site_url(tmp_path) is None  # no site.url yet
    write_site_url(ours, "unix:///tmp/x/redis.sock?password=p")
    assert running_site_url(tmp_path) == "unix:///tmp/x/redis.sock?password=p"
    (tmp_path / "tryredis-999999999-gone").mkdir()  # a dead pid: ignored
    (tmp_path / "tryredis-999999999-gone" / "site.url").write_text("unix:///old")
    assert running_site_url(tmp_path) == "unix:///tmp/x/redis.sock?password=p"
    other = tmp_path / f"tryredis-{os.getppid()}-def456"
    other.mkdir()
    write_site_url(other, "unix:///other")
    with pytest.raises(StartupError, match="several tryredis sites"):
        running_site_url(tmp_path)
