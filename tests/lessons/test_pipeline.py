"""The lesson pipeline: parsing, validation with file and line, rendering, the index."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from tryredis.lessons import LessonError, load_lessons
from tryredis.settings import PROJECT_ROOT

FRONT = "---\ntitle: T\nsummary: S\nminutes: 3\npart: basics\n---\n"


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
    assert [s.line for s in block.steps] == [8, 10]
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
        ("\n```rediss\nGET a\n```\n", 8, "unknown fence 'rediss'"),
        ("```redis fast\nGET a\n```\n", 7, "unknown redis fence option"),
        ('```redis\nGET a\nredis> GET b\n"x"\n```\n', 8, "must start with 'redis> '"),
        ("```redis\nredis> GET a\n```\n", 8, "needs a command and its expected output"),
        ("```python run\nx = 1\n```\n", 7, "unknown python fence option"),
        ("```exercise\n- a\n```\n", 7, "YAML mapping"),
        ("```exercise\ntask: t\nchecks: []\nsolution: [x]\n```\n", 7, "non-empty"),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a, fail: f}]\nsolution: [x]\n```\n",
            7,
            "'expect' or 'match'",
        ),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a, expect: x}]\nsolution: [x]\n```\n",
            7,
            "needs a 'fail' message",
        ),
        ("```exercise\ntask: t\nhint: h\n```\n", 7, "checks must be a non-empty list"),
        ("```exercise\nchecks: []\n```\n", 7, "at least a task"),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a, expect: x, fail: f}]\n"
            "method: [{used: SET}]\nsolution: [x]\n```\n",
            7,
            "needs a 'fail' message",
        ),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a, expect: x, fail: f}]\n"
            "method: [{used: SET, fail: f}]\nsolution: [x]\n```\n",
            7,
            "wrong must be a non-empty list",
        ),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a, expect: x, fail: f}]\n"
            "method: [{used: SET, forbid: GET, fail: f}]\nsolution: [x]\nwrong: [y]\n```\n",
            7,
            "exactly one of",
        ),
        (
            "```exercise\ntask: t\nchecks: [{run: GET a, expect: x, fail: f}]\n"
            "solution: [x]\nwrong: [y]\n```\n",
            7,
            "needs 'method' rules",
        ),
        (
            "```exercise\ntask: t\nchoices: [{answer: a, why: w}, {answer: b, why: w}]\n```\n",
            7,
            "exactly one choice",
        ),
        ("```exercise\ntask: t\nchoices: [{answer: a, why: w, correct: true}]\n```\n", 7, "two"),
        (
            "```exercise\ntask: t\nchoices: [{answer: a, why: w, correct: true}, {answer: b}]\n"
            "```\n",
            7,
            "'answer' and 'why'",
        ),
        (
            "```exercise\ntask: t\nchoices: [{answer: a, why: w, correct: true}, "
            "{answer: b, why: w}]\nsetup: [x]\n```\n",
            7,
            "unknown exercise field(s) ['setup'] for a choice exercise",
        ),
        ("```http fancy\nGET / HTTP/1.1\n```\n", 7, "unknown http fence option"),
        ("[x](07-nowhere.md)\n", 7, "link to unknown lesson"),
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
        (
            "---\ntitle: T\nsummary: S\nminutes: 2\npart: basics\ncolor: red\n---\n",
            2,
            "unknown front matter",
        ),
        ("---\ntitle: T\nsummary: S\nminutes: 2\npart: extras\n---\n", 5, "not one of basics"),
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


EXERCISE = """```exercise
id: code
task: Store the code.
setup:
  - DEL code
checks:
  - run: GET code
    expect: '"482913"'
    fail: '`code` is not `482913`.'
  - run: TTL code
    match: '\\(integer\\) \\d+'
    fail: No TTL.
method:
  - used: set
    with: [nx, ex]
    output: OK
    fail: Use **NX**.
  - forbid: [GETSET, OBJECT ENCODING]
    fail: No GETSET.
  - max_commands: 1
    fail: One command.
  - in_multi: SET
    fail: In a transaction.
hints:
  - Gentle.
  - Explicit `SET`.
solution:
  - SET code 482913 EX 600 NX
wrong:
  - SET code 482913 EX 600
solution_after: 2
```
"""


def test_a_commands_exercise_parses_and_renders(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", EXERCISE)
    lesson = load_lessons(tmp_path).lessons[0]
    (exercise,) = lesson.exercises
    assert exercise.id == "code" and lesson.exercise_ids == ("code",)
    assert exercise.kind == "commands" and exercise.needs_start and exercise.solution_after == 2
    assert exercise.setup == ("DEL code",) and exercise.wrong == ("SET code 482913 EX 600",)
    first, second = exercise.checks
    assert first.passes('"482913"') and not first.passes("(nil)")
    assert second.passes("(integer) 99") and not second.passes("(integer) -2 ")
    assert first.fail_html == "<code>code</code> is not <code>482913</code>."
    used, forbid, most, multi = exercise.method
    assert (used.kind, used.commands, used.words, used.output) == (
        "used",
        ("set",),
        ("NX", "EX"),
        "OK",
    )
    assert used.fail_html == "Use <strong>NX</strong>."
    assert forbid.commands == ("getset", "object|encoding")
    assert (most.kind, most.limit) == ("max_commands", 1) and multi.commands == ("set",)
    html = lesson.html
    assert 'id="ex-code"' in html and 'id="ex-code-panel"' in html and 'aria-live="polite"' in html
    # Tiered hints: the second opens inside the first.
    assert re.search(
        r"Hint 1 of 2</summary><p>Gentle.</p>\n<details[^>]*><summary>Hint 2 of 2", html
    )
    assert "SET code 482913" not in html  # the solution is served only once it is earned


def test_a_question_parses_and_renders(tmp_path: Path) -> None:
    write(
        tmp_path,
        "01-a.md",
        "```exercise\nid: q\ntask: Which?\nchoices:\n  - answer: '`A`'\n    why: Because.\n"
        "  - answer: B\n    correct: true\n    why: Right.\n```\n",
    )
    (exercise,) = load_lessons(tmp_path).lessons[0].exercises
    assert exercise.kind == "choice" and exercise.correct_choice == 1
    assert exercise.choices[0].answer_html == "<code>A</code>"
    assert exercise.choices[1].why_html == "<p>Right.</p>\n"
    assert not exercise.needs_start and exercise.solution_after == 2


def test_code_that_is_not_python_is_plain_text(tmp_path: Path) -> None:
    write(
        tmp_path,
        "01-a.md",
        '```http\nHTTP/1.1 304 Not Modified\nETag: "v1"\n\n# a comment <b>\n```\n\n'
        '```bash\npip install "redis[hiredis]"\n```\n\n```python\nx = 1\n```\n',
    )
    html = load_lessons(tmp_path).lessons[0].html
    assert '<pre class="code plain"><code class="language-http">HTTP/1.1 304' in html
    assert "# a comment &lt;b&gt;" in html and 'class="err"' not in html
    assert '<code class="language-bash">pip install &quot;redis[hiredis]&quot;' in html
    assert '<span class="n">x</span>' in html  # Python keeps its highlighting


def test_no_lesson_shows_an_error_token() -> None:
    for lesson in load_lessons(PROJECT_ROOT / "lessons_md"):
        assert 'class="err"' not in lesson.html, lesson.path


def test_a_fence_plug_in_is_one_registry_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tryredis.lessons import fences

    def cell(fence: fences.Fence) -> str:
        fence.collected.extra.setdefault("cells", []).append((fence.options, fence.line))
        return "<div class='cell'></div>"

    monkeypatch.setitem(fences.FENCES, "python cell", cell)
    write(tmp_path, "01-a.md", "```python cell numbered\nprint(1)\n```\n\n```python\ny = 2\n```\n")
    lesson = load_lessons(tmp_path).lessons[0]
    assert lesson.extra == {"cells": (((("numbered",), 7)),)}
    assert [block.code for block in lesson.python_blocks] == ["y = 2\n"]  # plain python as before


def test_parts_group_the_lessons_in_order(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", "x\n")
    write(tmp_path, "02-b.md", "x\n", front=FRONT.replace("basics", "patterns"))
    write(tmp_path, "03-c.md", "x\n", front=FRONT.replace("basics", "patterns"))
    index = load_lessons(tmp_path)
    assert [(part.id, [x.slug for x in lessons]) for part, lessons in index.parts()] == [
        ("basics", ["a"]),
        ("patterns", ["b", "c"]),
    ]
    assert index.minutes == 9
    path = write(tmp_path, "04-d.md", "x\n")  # basics after patterns
    with pytest.raises(LessonError, match="comes before"):
        load_lessons(tmp_path)
    path.unlink()


def test_lesson_links_become_urls(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", "See [b](02-b.md#part).\n")
    write(tmp_path, "02-b.md", "## Part\n")
    index = load_lessons(tmp_path)
    assert 'href="/lesson/b#part"' in index.lessons[0].html
    assert index.neighbours(index.lessons[0]) == (None, index.lessons[1])
    assert index.get("..") is None and index.get("b") is index.lessons[1]
