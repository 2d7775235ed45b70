"""Load ``lessons_md/NN-slug.md`` once at start-up: parse, validate, render, index.

Any problem stops start-up with a ``LessonError`` naming the file and line.
Lesson URLs are looked up in the resulting index; nothing joins a request's
slug into a file path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tryredis.lessons.markdown import build_markdown, render_lesson_body
from tryredis.lessons.model import PARTS, Lesson, LessonError, Part

FILE_NAME = re.compile(r"(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md")


class LessonIndex:
    """The lessons in order, looked up by slug."""

    def __init__(self, lessons: tuple[Lesson, ...]) -> None:
        self.lessons = lessons
        self.by_slug: Mapping[str, Lesson] = {lesson.slug: lesson for lesson in lessons}

    def __iter__(self) -> Iterator[Lesson]:
        return iter(self.lessons)

    def __len__(self) -> int:
        return len(self.lessons)

    @property
    def minutes(self) -> int:
        """The whole course's minutes."""
        return sum(lesson.minutes for lesson in self.lessons)

    def parts(self) -> list[tuple[Part, tuple[Lesson, ...]]]:
        """The parts that have lessons, in order, each with its lessons."""
        grouped = [(part, tuple(x for x in self.lessons if x.part == part.id)) for part in PARTS]
        return [(part, lessons) for part, lessons in grouped if lessons]

    def get(self, slug: str) -> Lesson | None:
        """The lesson with this slug, or None (an unknown slug is a 404)."""
        return self.by_slug.get(slug)

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        """The previous and next lessons."""
        position = self.lessons.index(lesson)
        before = self.lessons[position - 1] if position > 0 else None
        after = self.lessons[position + 1] if position + 1 < len(self.lessons) else None
        return before, after


def load_lessons(directory: Path) -> LessonIndex:
    """Parse and render every lesson in ``directory``; raise ``LessonError`` on a problem."""
    md = build_markdown()
    lessons: list[Lesson] = []
    numbers: dict[int, Path] = {}
    for path in sorted(directory.glob("*.md")):
        match = FILE_NAME.fullmatch(path.name)
        if not match:
            raise LessonError(f"{path}:1: lesson files are named NN-slug.md (a-z, 0-9, -)")
        number, slug = int(match.group(1)), match.group(2)
        if number in numbers:
            raise LessonError(f"{path}:1: lesson number {number:02d} is also {numbers[number]}")
        if any(lesson.slug == slug for lesson in lessons):
            raise LessonError(f"{path}:1: duplicate slug {slug!r}")
        numbers[number] = path
        lessons.append(_load_one(md, path, number, slug))
    if not lessons:
        raise LessonError(f"{directory}: no lessons found (expected NN-slug.md files)")
    index = LessonIndex(tuple(lessons))
    _check_parts(index)
    _check_links(index)
    return index


def _load_one(md: Any, path: Path, number: int, slug: str) -> Lesson:
    source = path.read_text(encoding="utf-8")
    if not source.startswith("---\n"):
        raise LessonError(f"{path}:1: a lesson starts with YAML front matter between --- lines")
    front, html, collected = render_lesson_body(md, source, str(path))
    meta = _front_matter(front, path)
    return Lesson(
        number=number,
        slug=slug,
        title=meta["title"],
        summary=meta["summary"],
        minutes=meta["minutes"],
        part=meta["part"],
        html=html,
        path=path,
        redis_blocks=tuple(collected.redis_blocks),
        exercises=tuple(collected.exercises),
        python_blocks=tuple(collected.python_blocks),
        links=tuple(collected.links),
        extra={name: tuple(blocks) for name, blocks in collected.extra.items()},
    )


def _front_matter(text: str, path: Path) -> dict[str, Any]:
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1  # +1 for the opening ---
        raise LessonError(f"{path}:{line}: front matter is not valid YAML") from None
    if not isinstance(meta, dict):
        raise LessonError(
            f"{path}:2: front matter must be a mapping with title, summary, minutes, part"
        )
    expected = {"title": str, "summary": str, "minutes": int, "part": str}
    for name, kind in expected.items():
        value = meta.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or value in ("", 0):
            raise LessonError(
                f"{path}:{_line_of_key(text, name)}: front matter needs {name!r} "
                f"({kind.__name__}), got {value!r}"
            )
    unknown = set(meta) - set(expected)
    if unknown:
        raise LessonError(f"{path}:2: unknown front matter field(s) {sorted(unknown)}")
    if meta["part"] not in {part.id for part in PARTS}:
        raise LessonError(
            f"{path}:{_line_of_key(text, 'part')}: part {meta['part']!r} is not one of "
            f"{', '.join(part.id for part in PARTS)}"
        )
    return meta


def _line_of_key(text: str, name: str) -> int:
    for number, line in enumerate(text.splitlines(), start=2):
        if line.startswith(f"{name}:"):
            return number
    return 2


def _check_parts(index: LessonIndex) -> None:
    # Parts follow each other in PARTS order, so the list reads top to bottom.
    order = {part.id: position for position, part in enumerate(PARTS)}
    for before, after in zip(index.lessons, index.lessons[1:], strict=False):
        if order[after.part] < order[before.part]:
            raise LessonError(
                f"{after.path}:1: part {after.part!r} comes before {before.part!r} "
                f"({before.path.name}): lessons of a part are consecutive, parts in order"
            )


def _check_links(index: LessonIndex) -> None:
    for lesson in index:
        for href, line in lesson.links:
            if href.startswith("/lesson/"):
                target = href.removeprefix("/lesson/").split("#", 1)[0]
                if index.get(target) is None:
                    raise LessonError(f"{lesson.path}:{line}: link to unknown lesson {href!r}")
            elif href.endswith(".md"):
                raise LessonError(f"{lesson.path}:{line}: link to unknown lesson file {href!r}")
