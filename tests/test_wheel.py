"""The wheel: built with uv, installed into a fresh venv, its ``tryredis`` serves lessons.

Offline on purpose (CI has no network to spare): the dependencies are uv.lock's, from
uv's cache (``uv sync`` into the fresh venv, without the project); then the wheel alone.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.live import free_port
from tests.test_cli import clean_env, first_line

ROOT = Path(__file__).resolve().parent.parent
UV = shutil.which("uv")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(UV is None, reason="uv is not installed")]


def uv(*args: str, **env: str) -> str:
    """Run uv in the checkout; its stdout (a failure shows its stderr)."""
    assert UV is not None
    environ = {k: v for k, v in clean_env(**env).items() if k != "VIRTUAL_ENV"}
    done = subprocess.run([UV, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=environ)  # fmt: skip
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stderr}"
    return done.stdout


def fetch(url: str) -> str:
    """GET ``url``; the body (any status but 200 fails)."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (127.0.0.1 only)
        assert response.status == 200, url
        return str(response.read().decode())


def test_the_installed_wheel_serves_lessons(tmp_path: Path) -> None:
    started = time.monotonic()
    dist = tmp_path / "dist"
    uv("build", "--offline", "--quiet", "--out-dir", str(dist))  # the sdist, then a wheel from it
    [wheel] = dist.glob("tryredis-*.whl")
    built = time.monotonic()
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("site", "static", "lessons_md"):
        shipped = {n for n in names if n.startswith(f"tryredis/_data/{folder}/")}
        in_checkout = {p for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert len(shipped) == len(in_checkout), folder

    venv = tmp_path / "venv"
    uv("venv", "--offline", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    uv("sync", "--frozen", "--no-dev", "--no-install-project", "--inexact", "--offline", "--quiet",
       UV_PROJECT_ENVIRONMENT=str(venv))  # fmt: skip
    uv("pip", "install", "--offline", "--quiet", "--no-deps", "--python", str(python), str(wheel))
    installed = time.monotonic()
    site = tmp_path / "elsewhere"  # not the checkout: nothing of it is reachable from here
    site.mkdir()
    where = subprocess.run([str(python), "-c", "import tryredis; print(tryredis.__file__)"],
                           cwd=site, env=clean_env(), capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert where.stdout.startswith(str(venv)), where.stdout

    port = free_port()
    log = tmp_path / "stderr.txt"
    with log.open("w") as errors:
        process = subprocess.Popen([str(venv / "bin" / "tryredis"), "--port", str(port)],
                                   cwd=site, env=clean_env(), stdout=subprocess.PIPE,
                                   stderr=errors, text=True)  # fmt: skip
        try:
            assert first_line(process, log).startswith(
                f"tryredis: serving on http://127.0.0.1:{port}"
            )
            served = time.monotonic()
            lesson = sorted((ROOT / "lessons_md").glob("[0-9][0-9]-*.md"))[0]
            slug = lesson.stem.split("-", 1)[1]
            index = fetch(f"http://127.0.0.1:{port}/")
            assert f"/lesson/{slug}" in index
            page = fetch(f"http://127.0.0.1:{port}/lesson/{slug}")
            title = re.search(r"^title:\s*(.+)$", lesson.read_text(), re.M)
            assert title is not None
            assert title[1].strip().strip("\"'") in page
            stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
            assert stylesheet is not None, "no stylesheet on the lesson page"
            assert fetch(f"http://127.0.0.1:{port}{stylesheet[1]}")
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
    size = os.path.getsize(wheel)
    print(f"wheel {size / 1024:.0f} KiB; build {built - started:.1f} s, venv and offline "
          f"install {installed - built:.1f} s, serving {served - installed:.1f} s "
          "after")  # fmt: skip
