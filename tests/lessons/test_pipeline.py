"""The lesson pipeline: parsing, validation with file and line, rendering, the index."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from tryredis.lessons import LessonError, load_lessons
from tryredis.settings import PROJECT_ROOT

FRONT = "---\ntitle: T\nsummary: S\nminutes: 3\n---\n"


def write(directory: Path, name: str, body: str, front: str = FRONT) -> Path:
    path = directory / name
    path.write_text(front + body, encoding="utf-8")
    return path


def test_the_real_lessons_load() -> None:
    index = load_lessons(PROJECT_ROOT / "lessons_md")
    assert len(index) >= 2
    numbers = [lesson.number for lesson in index]
    assert numbers == sorted(numbers)
    for lesson in index:
        assert lesson.title and lesson.summary and lesson.minutes > 0
        assert "<h1" not in lesson.html, f"{lesson.path}: the page shows the title as h1"


def test_every_internal_link_resolves() -> None:
    index = load_lessons(PROJECT_ROOT / "lessons_md")
    anchors = {lesson.slug: set(re.findall(r'id="([^"]+)"', lesson.html)) for lesson in index}
    for lesson in index:
        for href, line in lesson.links:
            if href.startswith("/lesson/"):
                slug, _, fragment = href.removeprefix("/lesson/").partition("#")
                assert slug in anchors, f"{lesson.path}:{line}: {href}"
                assert not fragment or fragment in anchors[slug], f"{lesson.path}:{line}: {href}"
            elif href.startswith("#"):
                assert href[1:] in anchors[lesson.slug], f"{lesson.path}:{line}: {href}"


def test_renders_headings_admonitions_tables_and_code(tmp_path: Path) -> None:
    write(
        tmp_path,
        "01-a.md",
        '## Section one\n\n!!! note "Careful"\n    Body text.\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n",
    )
    html = load_lessons(tmp_path).lessons[0].html
    assert '<h2 id="section-one">' in html
    assert 'class="admonition note"' in html and "Careful" in html
    assert "<table>" in html
    assert 'class="code highlight"' in html and '<span class="n">x</span>' in html


def test_raw_html_in_markdown_is_escaped(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", "Hello <script>alert(1)</script>\n")
    html = load_lessons(tmp_path).lessons[0].html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_redis_transcript_block(tmp_path: Path) -> None:
    write(
        tmp_path,
        "01-a.md",
        '```redis\nredis> SET k "a b"\nOK\nredis> LRANGE l 0 -1\n1) "x"\n2) "y"\n\n```\n',
    )
    lesson = load_lessons(tmp_path).lessons[0]
    (block,) = lesson.redis_blocks
    assert block.is_transcript and block.checked and not block.unordered
    assert block.commands == ('SET k "a b"', "LRANGE l 0 -1")
    assert [s.expected for s in block.steps] == ["OK", '1) "x"\n2) "y"']
    assert [s.line for s in block.steps] == [7, 9]
    button = re.search(r"data-commands='([^']*)'", lesson.html)
    assert button and json.loads(unescape(button.group(1))) == list(block.commands)
    assert "hidden" in lesson.html.split("run-button", 1)[1].split(">", 1)[0]


def test_plain_redis_block_and_options(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", "```redis unordered\nSADD s a b\nSMEMBERS s\n```\n")
    (block,) = load_lessons(tmp_path).lessons[0].redis_blocks
    assert not block.is_transcript and block.unordered
    assert block.commands == ("SADD s a b", "SMEMBERS s")


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("\n```rediss\nGET a\n```\n", 7, "unknown fence 'rediss'"),
        ("```redis fast\nGET a\n```\n", 6, "unknown redis fence option"),
        ('```redis\nGET a\nredis> GET b\n"x"\n```\n', 7, "must start with 'redis> '"),
        ("```redis\nredis> GET a\n```\n", 7, "needs a command and its expected output"),
        ("```python run\nx = 1\n```\n", 6, "unknown python fence option"),
        ("```exercise\n- a\n```\n", 6, "YAML mapping"),
        ("```exercise\ntask: t\nchecks: []\nhint: h\nsolution: []\n```\n", 6, "non-empty"),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a}]\nhint: h\nsolution: []\n```\n",
            6,
            "'expect' or 'match'",
        ),
        ("```exercise\ntask: t\nhint: h\n```\n", 6, "missing"),
        ("[x](07-nowhere.md)\n", 6, "link to unknown lesson"),
    ],
)
def test_bad_blocks_stop_loading_with_file_and_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, "01-a.md", body)
    with pytest.raises(LessonError) as error:
        load_lessons(tmp_path)
    assert str(error.value).startswith(f"{path}:{line}:")
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("---\ntitle: T\nsummary: S\n---\n", 2, "'minutes'"),
        ("---\ntitle: T\nsummary: S\nminutes: soon\n---\n", 4, "'minutes'"),
        ("---\ntitle: [a\nsummary: S\n---\n", 3, "not valid YAML"),
        ("---\ntitle: T\nsummary: S\nminutes: 2\ncolor: red\n---\n", 2, "unknown front matter"),
        ("# No front matter\n", 1, "front matter"),
    ],
)
def test_bad_front_matter_stops_loading(
    tmp_path: Path, front: str, line: int, message: str
) -> None:
    path = write(tmp_path, "01-a.md", "Body\n", front=front)
    with pytest.raises(LessonError) as error:
        load_lessons(tmp_path)
    assert str(error.value).startswith(f"{path}:{line}:"), str(error.value)
    assert message in str(error.value)


def test_duplicate_slug_and_number_and_bad_names(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", "x\n")
    write(tmp_path, "02-a.md", "x\n")
    with pytest.raises(LessonError, match="duplicate slug 'a'"):
        load_lessons(tmp_path)
    (tmp_path / "02-a.md").rename(tmp_path / "01-b.md")
    with pytest.raises(LessonError, match="lesson number 01"):
        load_lessons(tmp_path)
    (tmp_path / "01-b.md").rename(tmp_path / "Bad Name.md")
    with pytest.raises(LessonError, match=r"NN-slug\.md"):
        load_lessons(tmp_path)


def test_exercise_block_parses_and_renders(tmp_path: Path) -> None:
    write(
        tmp_path,
        "01-a.md",
        "```exercise\nid: name\ntask: Set `name`.\nchecks:\n  - run: GET name\n"
        "    expect: '\"Ada\"'\n  - run: TTL name\n    match: '\\(integer\\) \\d+'\n"
        "hint: Use SET.\nsolution:\n  - SET name Ada EX 100\n```\n",
    )
    lesson = load_lessons(tmp_path).lessons[0]
    (exercise,) = lesson.exercises
    assert exercise.id == "name" and lesson.exercise_ids == ("name",)
    assert exercise.solution == ("SET name Ada EX 100",)
    first, second = exercise.checks
    assert first.passes('"Ada"') and not first.passes("(nil)")
    assert second.passes("(integer) 99") and not second.passes("(integer) -2 ")
    assert 'id="ex-name"' in lesson.html and 'id="ex-name-status"' in lesson.html
    assert "SET name Ada" not in lesson.html  # the reference solution is not shown


def test_lesson_links_become_urls(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", "See [b](02-b.md#part).\n")
    write(tmp_path, "02-b.md", "## Part\n")
    index = load_lessons(tmp_path)
    assert 'href="/lesson/b#part"' in index.lessons[0].html
    assert index.neighbours(index.lessons[0]) == (None, index.lessons[1])
    assert index.get("..") is None and index.get("b") is index.lessons[1]
