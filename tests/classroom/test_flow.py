"""A class from start to end over HTTP: teachers, joining, progress, resets, exports, the end."""

from __future__ import annotations

import csv
import io

import redis

from tests.classroom.conftest import Student, Teacher, teacher_cli
from tests.support.redis_servers import RedisServer
from tryredis.settings import Settings

LESSON = "what-is-redis"
EXERCISE = "what-is-redis/first-key"


def test_signin_link_is_spent_once_and_the_password_then_signs_in(
    site: str, class_settings: Settings
) -> None:
    teacher = Teacher(site, class_settings, "Ada")
    assert "Your classes" in teacher.page("/teach").text
    # The link is spent: a second use is refused, with a message.
    _, out = teacher_cli(class_settings, "link", "Ada", "--site", site)
    fresh = out.split("link=")[1].strip()
    assert teacher.http.get("/teach/welcome", params={"link": fresh}).status_code == 200
    used = teacher.http.get("/teach/welcome", params={"link": "x" * 26 + ".nope"})
    assert used.status_code == 400 and "used or expired" in used.text
    other = Student(site).http
    wrong = other.post("/teach/signin", data={"name": "Ada", "password": "not it at all"})
    assert wrong.status_code == 401 and "do not match" in wrong.text
    right = other.post("/teach/signin", data={"name": "ada", "password": teacher.password})
    assert right.status_code == 303 and "tryredis_teacher" in right.headers["set-cookie"]
    assert "HttpOnly" in right.headers["set-cookie"]


def test_signin_is_rate_limited_per_name(site: str, class_settings: Settings) -> None:
    Teacher(site, class_settings, "Grace")
    statuses = [
        Student(site)
        .http.post("/teach/signin", data={"name": "Grace", "password": "guess"})
        .status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


def test_teacher_forms_need_the_csrf_token(site: str, class_settings: Settings) -> None:
    teacher = Teacher(site, class_settings, "Barbara")
    refused = teacher.http.post("/teach/classes", data={"name": "x", "csrf": "forged"})
    assert refused.status_code == 403 and "stale" in refused.text
    cross = teacher.http.post(
        "/teach/classes",
        data={"name": "x", "csrf": "forged"},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_a_class_from_creation_to_the_csv(
    site: str, class_settings: Settings, server: RedisServer
) -> None:
    teacher = Teacher(site, class_settings, "Edsger")
    class_id = teacher.create_class("Tuesday group", [LESSON, "keys-and-strings"])
    code = teacher.code(class_id)
    projector = teacher.page(f"/teach/classes/{class_id}/projector")
    assert code in projector.text
    qr = teacher.http.get(f"/teach/classes/{class_id}/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml" and qr.text.startswith("<svg")

    alice, bob = Student(site), Student(site)
    assert alice.join(code.lower(), "Alice").status_code == 200 and alice.rejoin
    assert bob.join(code, "Bob").status_code == 200
    assert "Assigned" in alice.http.get("/").text
    taken = Student(site).join(code, "  alice ")
    assert taken.status_code == 409 and "already called" in taken.text

    alice.solve_first_key()
    alice.run("NOSUCH")

    rows = list(csv.reader(io.StringIO(teacher.http.get(
        f"/teach/classes/{class_id}/progress.csv").text)))  # fmt: skip
    header, *students = rows
    assert header[:3] == ["student", "joined", "exercises_done"] and EXERCISE in header
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in students}
    assert set(by_name) == {"Alice", "Bob"}
    assert by_name["Alice"][EXERCISE].endswith("Z") and by_name["Bob"][EXERCISE] == ""

    progress = teacher.http.get(f"/teach/classes/{class_id}/progress.json").json()
    alice_row = next(s for s in progress["students"] if s["name"] == "Alice")
    assert alice_row["commands"] == 3 and alice_row["done_count"] == 1

    # The teacher's view of Alice: keys (read-only) and recent lines.
    detail = teacher.page(f"/teach/classes/{class_id}/students/{alice_row['id']}")
    assert "welcome" in detail.text and "string" in detail.text and "NOSUCH" in detail.text

    # Members' data has no TTL and is out of the idle janitor's set.
    admin = redis.Redis.from_url(server.url)
    learner = alice_row["id"]
    for key in (f"tryredis:s:{{{learner}}}", f"tryredis:p:{{{learner}}}",
                f"tryredis:j:{{{learner}}}"):  # fmt: skip
        assert admin.ttl(key) == -1, key
    assert admin.zscore("tryredis:sandboxes", learner) is None

    # Reset: keys gone, progress kept.
    reset = teacher.post(f"/teach/classes/{class_id}/reset", student=learner)
    assert reset.status_code == 303
    assert alice.run("EXISTS welcome")[0]["output"] == "(integer) 0"
    assert "Done." in alice.panels(LESSON)

    # Ending the class deletes every member's data.
    assert teacher.page(f"/teach/classes/{class_id}/end").status_code == 200
    assert teacher.post(f"/teach/classes/{class_id}/end", confirm="yes").status_code == 303
    assert admin.exists(f"tryredis:s:{{{learner}}}", f"tryredis:p:{{{learner}}}") == 0
    assert not admin.keys(f"tryredis:u:{{{learner}}}*")
    assert not admin.keys(f"tryredis:c:{{{class_id}}}*")
    assert teacher.http.get(f"/teach/classes/{class_id}").status_code == 404


def test_a_student_who_lost_their_cookies_rejoins_with_their_code(
    site: str, class_settings: Settings
) -> None:
    teacher = Teacher(site, class_settings, "Margaret")
    class_id = teacher.create_class("Rejoiners", [LESSON])
    code = teacher.code(class_id)
    first = Student(site)
    first.join(code, "Lin")
    first.solve_first_key()
    again = Student(site)  # another device: no cookies
    wrong = again.join(code, "Lin", "AAAAAA")
    assert wrong.status_code == 403 and "do not match" in wrong.text
    back = again.join(code, "lin", first.rejoin)
    assert back.status_code == 200 and "Welcome back" in back.text
    assert "Done." in again.panels(LESSON)
    assert again.run("GET welcome")[0]["output"] == '"Hello from my sandbox"'
    # The teacher reissues the code: the old one stops working.
    row = teacher.http.get(f"/teach/classes/{class_id}/progress.json").json()["students"][0]
    new = teacher.http.post(
        f"/teach/classes/{class_id}/students/{row['id']}/rejoin",
        data={"csrf": teacher.csrf},
        headers={"accept": "application/json"},
    ).json()["rejoin"]
    assert Student(site).join(code, "Lin", first.rejoin).status_code == 403
    assert Student(site).join(code, "Lin", new).status_code == 200


def test_closed_and_rotated_codes(site: str, class_settings: Settings) -> None:
    teacher = Teacher(site, class_settings, "Frances")
    class_id = teacher.create_class("Rotating", [LESSON])
    old = teacher.code(class_id)
    teacher.post(f"/teach/classes/{class_id}/code", action="rotate")
    new = teacher.code(class_id)
    assert new != old
    assert Student(site).join(old, "Ann").status_code == 404
    teacher.post(f"/teach/classes/{class_id}/code", action="close")
    assert Student(site).join(new, "Ann").status_code == 404
    teacher.post(f"/teach/classes/{class_id}/code", action="open")
    assert Student(site).join(new, "Ann").status_code == 200


def test_a_revealed_solution_shows_to_the_class_only(site: str, class_settings: Settings) -> None:
    teacher = Teacher(site, class_settings, "Hedy")
    class_id = teacher.create_class("Reveals", [LESSON])
    member, outsider = Student(site), Student(site)
    member.join(teacher.code(class_id), "Mo")
    outsider.http.get("/")
    assert 'data-testid="exercise-solution"' not in member.panels(LESSON)
    revealed = teacher.post(
        f"/teach/classes/{class_id}/reveal", exercise="what-is-redis/first-key", what="solution"
    )
    assert revealed.status_code == 303
    assert 'data-testid="exercise-solution"' in member.panels(LESSON)
    assert 'data-testid="exercise-solution"' not in outsider.panels(LESSON)
    unknown = teacher.post(f"/teach/classes/{class_id}/reveal", exercise="nope/x", what="hint")
    assert unknown.status_code == 400


# Last in the module: it spends the address's allowance of failed joins.
def test_a_wrong_code_reveals_nothing_and_is_rate_limited(site: str) -> None:
    student = Student(site)
    wrong = student.join("ZZZZZZ", "Eve")
    assert wrong.status_code == 404 and "No open class has this code" in wrong.text
    # Earlier tests' failures from this address count too: the 429 comes by the 40th.
    statuses = [student.join("ZZZZZZ", f"n{i}").status_code for i in range(40)]
    first = statuses.index(429)
    assert set(statuses[:first]) == {404} and set(statuses[first:]) == {429}
