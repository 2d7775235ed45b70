"""The classroom's JSON API, as the README's curl lines use it, and its privacy rules."""

from __future__ import annotations

import csv
import io

import httpx

from tests.classroom.conftest import Student, client, teacher_cli
from tryredis.settings import Settings

LESSON = "what-is-redis"


def token_of(settings: Settings, site: str, name: str) -> str:
    status, out = teacher_cli(settings, "add", name, "--site", site)
    assert status == 0, out
    status, token = teacher_cli(settings, "token", name)
    assert status == 0 and token.startswith("t_"), token
    return token.strip()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def new_class(http: httpx.Client, token: str, **body: object) -> dict[str, object]:
    response = http.post(
        "/api/v1/classes", json={"name": "API class", "lessons": [LESSON], **body},
        headers=bearer(token),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_the_api_from_creation_to_deletion(site: str, class_settings: Settings) -> None:
    token = token_of(class_settings, site, "Api Teacher")
    http = client(site)
    made = new_class(http, token, ends="2999-12-31", solutions=True)
    assert made["ends"] == "2999-12-31" and made["solutions"] is True
    assert str(made["join_url"]).endswith(f"/join?code={made['code']}")
    class_id = made["id"]

    joined = http.post("/api/v1/classes/join", json={"code": made["code"], "name": "Kim"})
    assert joined.status_code == 201, joined.text
    student = joined.json()
    assert student["rejoin"] and student["class"] == {"name": "API class", "lessons": [LESSON]}
    run = http.post(
        "/api/v1/run",
        json={"lines": ['SET welcome "Hello from my sandbox"', "GET welcome"]},
        headers=bearer(student["token"]),
    )
    assert run.status_code == 200 and run.json()["results"][1]["output"] == (
        '"Hello from my sandbox"'
    )
    # Rejoining through the API gives a token for the same sandbox.
    again = http.post(
        "/api/v1/classes/join",
        json={"code": made["code"], "name": "kim", "rejoin": student["rejoin"]},
    )
    assert again.status_code == 200 and again.json()["rejoin"] is None
    same = http.post("/api/v1/run", json={"line": "GET welcome"}, headers=bearer(
        again.json()["token"]))  # fmt: skip
    assert same.json()["results"][0]["output"] == '"Hello from my sandbox"'

    progress = http.get(f"/api/v1/classes/{class_id}/progress", headers=bearer(token))
    assert progress.status_code == 200
    body = progress.json()
    assert [s["name"] for s in body["students"]] == ["Kim"]
    assert body["students"][0]["commands"] == 3
    as_csv = http.get(
        f"/api/v1/classes/{class_id}/progress", params={"format": "csv"}, headers=bearer(token)
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert [row[0] for row in csv.reader(io.StringIO(as_csv.text))] == ["student", "Kim"]

    reset = http.post(f"/api/v1/classes/{class_id}/reset", json={}, headers=bearer(token))
    assert reset.json() == {"reset": 1}
    gone = http.post("/api/v1/run", json={"line": "EXISTS welcome"}, headers=bearer(
        student["token"]))  # fmt: skip
    assert gone.json()["results"][0]["output"] == "(integer) 0"

    assert http.delete(f"/api/v1/classes/{class_id}", headers=bearer(token)).status_code == 204
    after = http.post("/api/v1/run", json={"line": "PING"}, headers=bearer(student["token"]))
    assert after.status_code == 401
    missing = http.get(f"/api/v1/classes/{class_id}/progress", headers=bearer(token))
    assert missing.status_code == 404


def test_privacy_student_tokens_and_other_teachers(site: str, class_settings: Settings) -> None:
    alice = token_of(class_settings, site, "Private A")
    bob = token_of(class_settings, site, "Private B")
    http = client(site)
    made = new_class(http, alice)
    class_id = made["id"]
    student = http.post("/api/v1/classes/join", json={"code": made["code"], "name": "Sam"}).json()[
        "token"
    ]
    other = http.post("/api/v1/classes/join", json={"code": made["code"], "name": "Pat"}).json()[
        "token"
    ]

    progress = f"/api/v1/classes/{class_id}/progress"
    # A student's token cannot read the class, reset it or end it.
    assert http.get(progress, headers=bearer(student)).status_code == 403
    reset = http.post(f"/api/v1/classes/{class_id}/reset", headers=bearer(student))
    assert reset.status_code == 403
    assert http.delete(f"/api/v1/classes/{class_id}", headers=bearer(student)).status_code == 403
    # Another teacher's class does not exist for this teacher.
    assert http.get(progress, headers=bearer(bob)).json() == {"error": "no such class"}
    assert http.delete(f"/api/v1/classes/{class_id}", headers=bearer(bob)).status_code == 404
    # No token, a forged one, a revoked one.
    assert http.get(progress).status_code == 401
    assert http.get(progress, headers=bearer(alice[:-3] + "xyz")).status_code == 401
    teacher_cli(class_settings, "token", "Private A")  # a new token revokes the old one
    assert http.get(progress, headers=bearer(alice)).status_code == 401
    # Students never see each other: nothing a student can call names another.
    mine = http.post("/api/v1/run", json={"line": "KEYS *"}, headers=bearer(other))
    assert mine.json()["results"][0]["output"] == "(empty array)"
    page = client(site)
    assert page.get("/class/events").status_code == 401
    assert page.get(f"/teach/classes/{class_id}").status_code == 303


def test_another_teachers_dashboard_is_not_found(site: str, class_settings: Settings) -> None:
    from tests.classroom.conftest import Teacher

    owner, other = Teacher(site, class_settings, "Owner"), Teacher(site, class_settings, "Other")
    class_id = owner.create_class("Mine", [LESSON])
    for path in ("", "/projector", "/qr.svg", "/progress.csv", "/end", "/events"):
        assert other.http.get(f"/teach/classes/{class_id}{path}").status_code == 404, path
    assert other.post(f"/teach/classes/{class_id}/reset", student="all").status_code == 404
    assert "Mine" not in other.page("/teach").text


def test_api_errors_are_clear(site: str, class_settings: Settings) -> None:
    token = token_of(class_settings, site, "Errors")
    http = client(site)
    bad = http.post("/api/v1/classes", json={"name": 3}, headers=bearer(token))
    assert bad.status_code == 400 and "name" in bad.json()["error"]
    unknown = http.post(
        "/api/v1/classes", json={"name": "x", "lessons": ["nope"]}, headers=bearer(token)
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "No such lesson: nope."
    date = http.post(
        "/api/v1/classes", json={"name": "x", "lessons": [], "ends": "soon"}, headers=bearer(token)
    )
    assert date.status_code == 400
    not_json = http.post("/api/v1/classes/join", content=b"code=x", headers={
        "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert not_json.status_code == 415
    wrong = http.post("/api/v1/classes/join", json={"code": "QQQQQQ", "name": "Al"})
    assert wrong.status_code == 404 and "No open class" in wrong.json()["error"]
    assert Student(site).join("", "").status_code == 400
