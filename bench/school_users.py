"""The Locust users of ``bench/school.py``: learners, teachers, and a class arriving at once.

Not run on its own: ``bench/school.py`` starts the site, makes the teachers and
classes, writes a JSON config (``BENCH_SCHOOL_CONFIG``) and runs Locust on this
file. Every request, acknowledgement and stream event is appended as one JSON line
to the config's ``log``; ``bench/school.py`` computes every number from that log
(Locust's own aggregates cannot tell the outage from the rest of the run).

Each learner is one browser: its own cookie jar and connections, the headers the
site's pages send (``Origin`` on POSTs, ``X-CSRF-Token`` from the page), and the
page's event streams, reconnected as ``EventSource`` does.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import gevent
from locust import FastHttpUser, between, constant, events, task

CONFIG: dict[str, Any] = json.loads(
    open(os.environ["BENCH_SCHOOL_CONFIG"], encoding="utf-8").read()  # noqa: SIM115
)
LOG = open(CONFIG["log"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
FIRST_LESSON = "what-is-redis"
EXERCISE = "what-is-redis/first-key"
SOLUTION = ['SET welcome "Hello from my sandbox"', "GET welcome"]
DONE_MARK = 'id="ex-first-key-status" class="exercise-status is-done"'
LINES = ["SET k v", "GET k", "INCR n", "LPUSH l a b c", "LRANGE l 0 -1", "HSET h f 1",
         "HGETALL h", "EXPIRE k 100", "TTL k", "SADD s a b", "SMEMBERS s", "NOSUCH x"]  # fmt: skip
PAGE_SHARE = 0.1  # of a learner's steps: open another lesson
ACK_SHARE = 0.25  # of a learner's commands: INCR acks (checked for durability)
PUBLISH_SHARE = 0.3  # of a subscribed learner's commands: a PUBLISH to their own channel
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
INTEGER = re.compile(r"^\(integer\) (-?\d+)$")
STAMP = re.compile(r"t(\d{10}\.\d+)")
_learners = itertools.count()
_teachers = itertools.count()


def log(kind: str, **fields: Any) -> None:
    """One line of the run's log."""
    LOG.write(json.dumps({"k": kind, **fields}) + "\n")


def _logged(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    context: Any = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    entry: dict[str, Any] = {"n": name, "t": start_time, "d": response_time, "s": status}
    if isinstance(context, dict) and context.get("attempt"):
        entry["a"] = context["attempt"]
    if status >= 400 or status == 0:
        try:
            entry["b"] = (response.text or "")[:200] if response is not None else ""
        except Exception as error:  # a body that cannot be read is part of the failure
            entry["b"] = f"(body unreadable: {type(error).__name__})"
        if exception is not None:
            entry["e"] = f"{type(exception).__name__}: {str(exception)[:120]}"
    log("req", **entry)


events.request.add_listener(_logged)  # type: ignore[no-untyped-call]


def sse(readline: Callable[[bytes], bytes]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream (comments skipped), as they come.

    Read line by line: geventhttpclient's ``read(n)`` waits for n bytes, which would hold
    back every event until a few kilobytes of them had arrived.
    """
    event, data = "", list[str]()
    while raw := readline(b"\n"):
        line = raw.decode().rstrip("\r\n")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "", []
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


class Browser(FastHttpUser):
    """What learners and teachers share: timeouts, retries, streams."""

    abstract = True
    network_timeout = 30.0  # a request without an answer for 30 s is a hang
    connection_timeout = 10.0
    max_retries = 1  # a kept-alive connection closed under a request: retried, as browsers do

    def on_start(self) -> None:
        self.greenlets: list[gevent.Greenlet[Any, Any]] = []

    def on_stop(self) -> None:
        gevent.killall(self.greenlets, block=False)

    def post(self, url: str, **options: Any) -> Any:
        """POST, sent once more when the kept-alive connection it went out on turned out closed
        by the server before any answer (uvicorn closes idle ones after 5 s), as browsers do.
        geventhttpclient retries only GETs. The first try is logged with ``attempt`` 1."""
        first = self.client.post(url, context={"attempt": 1}, **options)
        if first.status_code == 0 and "closed" in str(getattr(first, "error", "")).lower():
            return self.client.post(url, context={"attempt": 2}, **options)
        return first

    def origin(self) -> dict[str, str]:
        return {"origin": self.host or ""}

    def stream(self, url: str, name: str, headers: dict[str, str] | None = None) -> Iterator[
            tuple[str, str]]:  # fmt: skip
        """Open an event stream and yield its events until it ends; nothing on a refusal."""
        response = self.client.request("GET", url, name=name, stream=True, headers=headers)
        raw = response._response
        if response.status_code != 200 or raw is None:
            return
        opened = time.time()
        reason = "closed by the server"
        try:
            yield from sse(raw.readline)
        except gevent.GreenletExit:
            reason = "run over"
            raise
        except Exception as error:
            reason = f"{type(error).__name__}: {str(error)[:80]}"
        finally:
            log("stream", n=name, t=opened, end=time.time(), why=reason)


class Learner(Browser):
    """A student in a class: a lesson page, a command every 2-10 s and its exercise check."""

    wait_time = between(2, 10)

    def on_start(self) -> None:
        super().on_start()
        self.index = next(_learners)
        codes: list[str] = CONFIG["codes"]
        self.code = codes[self.index % len(codes)] if codes else ""
        self.lesson = FIRST_LESSON
        self.headers: dict[str, str] = {}
        self.learner = ""
        self.solved = False
        self.todo: list[str] = []
        self.solve_at = time.time() + random.uniform(10, float(CONFIG["solve_within"]))
        share = float(CONFIG["stream_share"])
        self.streaming = share > 0 and self.index % max(1, round(1 / share)) == 0
        self.subscribed = False
        self.ran = False
        if self.code:
            body = urlencode({"code": self.code, "name": f"Student {self.index}"})
            self.post("/join", data=body, name="join", headers={
                **self.origin(), "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        self.view(self.lesson)
        if self.code:
            self.greenlets.append(gevent.spawn(self.notices))

    def view(self, slug: str) -> None:
        """Open a lesson page, then the exercise panels it loads."""
        page = self.client.get(f"/lesson/{slug}", name="page")
        found = CSRF.search(page.text or "") if page.status_code == 200 else None
        if found:
            self.headers = {**self.origin(), "x-csrf-token": found[1]}
        self.client.get(f"/lesson/{slug}/exercises", name="exercises panel")
        self.lesson = slug
        for cookie in self.client.cookiejar:
            if cookie.name == "tryredis_session" and cookie.value:
                self.learner = cookie.value.split(".")[0]

    def notices(self) -> None:
        """The class notice stream every lesson page of a class member holds open."""
        while True:
            for _ in self.stream("/class/events", "notices stream (open)"):
                pass
            gevent.sleep(2)  # the stream's own retry: 2000

    def subscription(self) -> None:
        """SUBSCRIBE in the REPL, typed again a few seconds after each stream ends."""
        while True:
            gevent.sleep(random.uniform(2, 10))
            line = quote("SUBSCRIBE ch")
            for _, data in self.stream(f"/repl/subscribe?line={line}", "subscribe (open)"):
                self.subscribed = True
                stamp = STAMP.search(data)
                if stamp:
                    log("deliver", t=time.time(), d=(time.time() - float(stamp[1])) * 1000)
            self.subscribed = False

    def next_line(self) -> str:
        if self.todo:
            return self.todo.pop(0)
        if not self.solved and self.lesson == FIRST_LESSON and time.time() >= self.solve_at:
            start = self.post(f"/lesson/{FIRST_LESSON}/exercises/first-key/start",
                                     name="exercise start", headers=self.headers)  # fmt: skip
            if start.status_code == 200:
                self.todo = list(SOLUTION)
                return self.todo.pop(0)
        if self.subscribed and random.random() < PUBLISH_SHARE:
            return f"PUBLISH ch t{time.time():.6f}"
        if random.random() < ACK_SHARE:
            return "INCR acks"
        return random.choice(LINES)

    @task
    def step(self) -> None:
        if self.solved and random.random() < PAGE_SHARE:
            lessons: list[str] = CONFIG["lessons"]
            self.view(random.choice(lessons))
            return
        line = self.next_line()
        ran = self.post("/api/v1/run", json={"lines": [line]}, name="command",
                               headers=self.headers)  # fmt: skip
        if ran.status_code != 200:
            self.todo = []
            return
        output = ran.json()["results"][0]["output"]
        if line == "INCR acks" and (value := INTEGER.match(output)):
            log("ack", t=time.time(), l=self.learner, v=int(value[1]))
        if not self.ran:
            self.ran = True
            if self.streaming:
                self.greenlets.append(gevent.spawn(self.subscription))
        solving = line == SOLUTION[-1] and not self.todo and not self.solved
        sent = time.time()
        check = self.post(f"/lesson/{self.lesson}/exercises/check",
                                 name="exercise check", headers=self.headers)  # fmt: skip
        if solving and check.status_code == 200 and DONE_MARK in (check.text or ""):
            self.solved = True
            log("done", t=time.time(), sent=sent, l=self.learner, x=EXERCISE)


class Teacher(Browser):
    """A teacher with their class's dashboard open: its live stream, a reload now and then."""

    fixed_count = len(CONFIG.get("teachers", []))
    wait_time = between(20, 40)

    def on_start(self) -> None:
        super().on_start()
        teachers: list[dict[str, str]] = CONFIG["teachers"]
        me = teachers[next(_teachers) % len(teachers)]
        self.class_id = me["class_id"]
        self.cookie = {"cookie": f"tryredis_teacher={me['cookie']}"}
        self.students: list[str] = []
        self.client.get(f"/teach/classes/{self.class_id}", name="dashboard page",
                        headers=self.cookie)  # fmt: skip
        self.greenlets.append(gevent.spawn(self.board))

    def board(self) -> None:
        url = f"/teach/classes/{self.class_id}/events"
        while True:
            for event, data in self.stream(url, "dashboard stream (open)", self.cookie):
                if event == "rows":
                    for row in json.loads(data):
                        if row.get("id") and row["id"] not in self.students:
                            self.students.append(row["id"])
                elif event == "done":
                    done = json.loads(data)
                    log("board", t=time.time(), l=done["id"], x=done["x"])
            gevent.sleep(1)  # the stream's retry: 1000

    @task
    def look(self) -> None:
        self.client.get(f"/teach/classes/{self.class_id}", name="dashboard page",
                        headers=self.cookie)  # fmt: skip
        if self.students and random.random() < 0.5:
            learner = random.choice(self.students)
            self.client.get(f"/teach/classes/{self.class_id}/students/{learner}",
                            name="student view", headers=self.cookie)  # fmt: skip


class Arrival(Browser):
    """One of a class arriving at once: page, session, first command, all within 1 s."""

    wait_time = constant(3600)

    def on_start(self) -> None:
        super().on_start()
        at = float(CONFIG["arrive_at"]) + random.uniform(0, 1)
        gevent.sleep(max(0.0, at - time.time()))
        self.client.get(f"/lesson/{FIRST_LESSON}", name="arrival: page")
        made = self.post("/api/v1/sessions", json={}, name="arrival: session",
                                headers=self.origin())  # fmt: skip
        if made.status_code != 201:
            return
        token = made.json()["token"]
        self.post("/api/v1/run", json={"line": "SET hello world"},
                         name="arrival: first command",
                         headers={"authorization": f"Bearer {token}"})  # fmt: skip

    @task
    def idle(self) -> None:
        pass
