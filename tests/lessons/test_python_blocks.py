"""Every lesson's Python code runs, and every lesson is well formed.

A lesson's non-fragment ```python blocks are executed in page order in one
interpreter, like notebook cells, against a private redis-server whose URL is
passed in ``REDIS_URL``. The script is laid out so that its line numbers are
the lesson file's, so a traceback points straight at the Markdown.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.redis_servers import REDIS_SERVER, RedisServer
from tryredis.lessons import Lesson, load_lessons
from tryredis.lessons.markdown import build_markdown
from tryredis.lessons.model import PythonBlock

LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons_md"
LESSONS = tuple(load_lessons(LESSONS_DIR))
LESSONS_BY_NUMBER = {lesson.number: lesson for lesson in LESSONS}
MUST_HAVE_PYTHON = range(12, 25)  # the lessons that teach from Python code
TIMEOUT_SECONDS = 60

requires_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")


def executed_blocks(lesson: Lesson) -> list[PythonBlock]:
    """The blocks the suite runs: every ```python block that is not a fragment."""
    return [block for block in lesson.python_blocks if not block.fragment]


def executed_code(lesson: Lesson) -> str:
    """The executed blocks' code, in page order."""
    return "\n".join(block.code for block in executed_blocks(lesson))


def lesson_script(lesson: Lesson) -> str:
    """The lesson's executed blocks as one script, each at its line in the lesson file."""
    lines: list[str] = []
    for block in executed_blocks(lesson):
        # block.line is the opening fence; the code starts on the next line.
        lines.extend([""] * (block.line - len(lines)))
        lines.extend(block.code.splitlines())
    return "\n".join(lines) + "\n"


def _front_matter(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    _, front, _ = text.split("---\n", 2)
    return yaml.safe_load(front)


def test_lessons_are_numbered_from_one_without_gaps() -> None:
    assert [lesson.number for lesson in LESSONS] == list(range(1, len(LESSONS) + 1))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.path.name)
def test_front_matter(lesson: Lesson) -> None:
    meta = _front_matter(lesson.path)
    assert isinstance(meta, dict)
    assert set(meta) == {"title", "summary", "minutes", "part"}
    assert isinstance(meta["title"], str) and meta["title"].strip()
    assert isinstance(meta["summary"], str) and meta["summary"].endswith(".")
    assert "\n" not in meta["summary"].strip()
    assert isinstance(meta["minutes"], int) and 1 <= meta["minutes"] <= 60
    tokens = build_markdown().parse(lesson.path.read_text(encoding="utf-8"), {})
    h1 = [token.map for token in tokens if token.type == "heading_open" and token.tag == "h1"]
    assert not h1, "the page shows the title: sections start at ##"


@pytest.mark.parametrize(
    "lesson",
    [lesson for lesson in LESSONS if lesson.number in MUST_HAVE_PYTHON],
    ids=lambda lesson: lesson.path.name,
)
def test_python_lessons_have_executed_code(lesson: Lesson) -> None:
    assert executed_blocks(lesson), f"{lesson.path.name} needs at least one executed python block"


LIFESPAN = re.compile(
    r"@contextlib\.asynccontextmanager\nasync def lifespan\(.*?"
    r"\n        await app\.state\.redis\.aclose\(\)\n",
    re.S,
)


def test_the_apps_share_one_canonical_lifespan() -> None:
    # Lesson 12 explains it; every lesson that builds an app uses it word for word.
    canonical = LIFESPAN.search(executed_code(LESSONS_BY_NUMBER[12]))
    assert canonical and "max_connections=" in canonical.group(0)
    for lesson in LESSONS:
        code = executed_code(lesson)
        if "async def lifespan(" in code:
            found = LIFESPAN.search(code)
            assert found and found.group(0) == canonical.group(0), lesson.path.name


@requires_redis
@pytest.mark.parametrize(
    "lesson",
    [lesson for lesson in LESSONS if executed_blocks(lesson)],
    ids=lambda lesson: lesson.path.name,
)
def test_python_blocks_run(lesson: Lesson, fresh_redis: RedisServer, tmp_path: Path) -> None:
    script = tmp_path / f"{lesson.path.stem}.py"
    script.write_text(lesson_script(lesson), encoding="utf-8")
    env = {**os.environ, "REDIS_URL": fresh_redis.url, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            # Deprecated APIs used by the lesson code itself are errors.
            [sys.executable, "-W", "error::DeprecationWarning:__main__", str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(
            f"{lesson.path.name}: still running after {TIMEOUT_SECONDS} s\n"
            f"--- stdout\n{error.stdout!r}\n--- stderr\n{error.stderr!r}"
        )
    assert done.returncode == 0, (
        f"{lesson.path.name}: exit status {done.returncode} "
        f"(line numbers are the lesson file's)\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
