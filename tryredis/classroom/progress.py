"""What a teacher sees of a class: the grid of students by exercises, activity, exports."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tryredis.classroom.classes import Klass, Member
from tryredis.classroom.teachers import _text
from tryredis.lessons import LessonIndex

if TYPE_CHECKING:
    from tryredis.classroom.service import Classroom

ACTIVE_SECONDS = 300  # "active" for the stuck rule: ran something in the last 5 minutes


@dataclass(frozen=True)
class Column:
    """One assigned exercise: its progress name and a short label."""

    name: str
    label: str
    lesson_title: str


@dataclass(frozen=True)
class Row:
    """One student's line of the grid."""

    member: Member
    done: dict[str, int]  # progress name -> unix time done
    last_active: int  # unix seconds, 0: never
    commands: int
    stuck: str  # why the student looks stuck, or ''

    def as_json(self, columns: list[Column]) -> dict[str, Any]:
        """The row for the API and the dashboard's live updates."""
        return {
            "id": self.member.learner_id,
            "name": self.member.name,
            "joined": iso(self.member.joined),
            "done": {c.name: iso(self.done[c.name]) for c in columns if c.name in self.done},
            "done_count": sum(1 for c in columns if c.name in self.done),
            "last_active": iso(self.last_active) if self.last_active else None,
            "commands": self.commands,
            "stuck": self.stuck,
        }


def iso(seconds: int) -> str:
    """A unix time as ISO 8601 UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def columns(klass: Klass, lessons: LessonIndex) -> list[Column]:
    """The assigned lessons' exercises, in course order."""
    found = []
    for slug in klass.lessons:
        lesson = lessons.get(slug)
        if lesson is None:
            continue
        for number, exercise_id in enumerate(lesson.exercise_ids, 1):
            found.append(
                Column(lesson.progress_name(exercise_id), f"{lesson.number}.{number}", lesson.title)
            )
    return found


async def rows(classroom: Classroom, klass: Klass, members: list[Member]) -> list[Row]:
    """Every member's progress and activity, read in one pipelined round trip."""
    if not members:
        return []
    keys = classroom.services.keys
    pipe = classroom.redis.pipeline(transaction=False)
    for member in members:
        pipe.hgetall(keys.progress(member.learner_id))
        pipe.hget(keys.session(member.learner_id), "ts")  # the rate bucket's last take, in ms
    replies = await pipe.execute()
    activity = await classroom.activity(members)
    found = []
    now = time.time()
    assigned = {c.name for c in columns(klass, classroom.lessons)}
    for index, member in enumerate(members):
        done = {_text(k): int(_text(v) or 0) for k, v in replies[2 * index].items()}
        last = int(float(_text(replies[2 * index + 1]) or 0) / 1000)
        commands, errors_in_a_row = activity.get(member.learner_id, (0, 0))
        stuck = classroom.stuck_reason(
            now, member, done, assigned, last, errors_in_a_row, ACTIVE_SECONDS
        )
        found.append(Row(member, done, last, commands, stuck))
    return found


def to_csv(klass: Klass, cols: list[Column], found: list[Row]) -> str:
    """One row per student, one column per exercise holding its completion time (UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["student", "joined", "exercises_done", *(c.name for c in cols)])
    for row in found:
        writer.writerow(
            [
                _spreadsheet_safe(row.member.name),
                iso(row.member.joined),
                sum(1 for c in cols if c.name in row.done),
                *(iso(row.done[c.name]) if c.name in row.done else "" for c in cols),
            ]
        )
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    # A name such as "=HYPERLINK(...)" would be a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_json(klass: Klass, cols: list[Column], found: list[Row]) -> dict[str, Any]:
    """The class's progress for the API."""
    return {
        "class": {"id": klass.id, "name": klass.name, "lessons": list(klass.lessons)},
        "exercises": [{"name": c.name, "label": c.label, "lesson": c.lesson_title} for c in cols],
        "students": [row.as_json(cols) for row in found],
    }
