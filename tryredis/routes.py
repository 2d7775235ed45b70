"""The one route table: every route is named, and templates link by name."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route

from tryredis.assets import StaticAssets
from tryredis.classroom import api_views as class_api
from tryredis.classroom import dashboard_views as dash
from tryredis.classroom import join_views, teach_views
from tryredis.labs import http_views
from tryredis.labs import views as labs
from tryredis.pycells import views as cells
from tryredis.views import api, exercises, health, keys, pages, resp, subscribe


def build_routes(assets: StaticAssets) -> list[BaseRoute]:
    """All routes of the site, in one list."""
    return [
        # The REPL's endpoint first: it is by far the most requested.
        Route("/api/v1/run", api.run, methods=["POST"], name="api-run"),
        # Typed replies for code cells (redis-py in the browser) and scripts: views/resp.py.
        Route("/api/v1/resp", resp.resp, methods=["POST"], name="api-resp"),
        Route("/cells/modules/{digest}.zip", cells.modules_zip, name="cells-modules"),
        Route(
            "/lesson/{slug}/code-exercise",
            cells.exercise_done,
            methods=["POST"],
            name="cells-progress",
        ),
        Route("/", pages.index, name="index"),
        Route("/lesson/{slug}", pages.lesson, name="lesson"),
        Route("/repl", pages.repl_page, name="repl"),
        # A lesson's exercises (tryredis/views/exercises.py).
        Route("/lesson/{slug}/exercises", exercises.panels, name="lesson-exercises"),
        Route(
            "/lesson/{slug}/exercises/check",
            exercises.check_all,
            methods=["POST"],
            name="lesson-exercises-check",
        ),
        Route(
            "/lesson/{slug}/exercises/{exercise}/start",
            exercises.start,
            methods=["POST"],
            name="exercise-start",
        ),
        Route(
            "/lesson/{slug}/exercises/{exercise}/check",
            exercises.check,
            methods=["POST"],
            name="exercise-check",
        ),
        Route(
            "/lesson/{slug}/exercises/{exercise}/answer",
            exercises.answer,
            methods=["POST"],
            name="exercise-answer",
        ),
        Route("/healthz", health.healthz, name="healthz"),
        Route("/api/v1/sessions", api.create_session, methods=["POST"], name="api-sessions"),
        Route(
            "/api/v1/sessions/current",
            api.delete_session,
            methods=["DELETE"],
            name="api-session-current",
        ),
        Route("/sandbox/reset", api.reset_sandbox, methods=["POST"], name="sandbox-reset"),
        Route("/repl/subscribe", subscribe.subscribe, name="repl-subscribe"),
        # The REPL's hints, completion and keys panel (tryredis/views/keys.py).
        Route(keys.catalogue_path(), keys.commands, name="repl-commands"),
        Route("/repl/keys", keys.keys, name="repl-keys"),
        Route("/repl/key", keys.key, name="repl-key"),
        Route("/repl/complete", keys.complete, name="repl-complete"),
        # Live labs (docs/labs.md): pages, then the endpoints they call.
        Route("/lab", labs.labs_index, name="labs"),
        Route("/lab/cache-aside", labs.cache_aside_page, name="lab-cache-aside"),
        Route("/lab/stampede", labs.stampede_page, name="lab-stampede"),
        Route("/lab/rate-limit", labs.rate_limit_page, name="lab-rate-limit"),
        Route("/lab/sessions", labs.sessions_page, name="lab-sessions"),
        Route("/lab/http-caching", labs.http_caching_page, name="lab-http-caching"),
        Route(
            "/lab/cache-aside/fetch",
            labs.cache_aside_fetch,
            methods=["POST"],
            name="lab-cache-aside-fetch",
        ),
        Route(
            "/lab/cache-aside/update",
            labs.cache_aside_update,
            methods=["POST"],
            name="lab-cache-aside-update",
        ),
        Route("/lab/stampede/run", labs.stampede_run, methods=["POST"], name="lab-stampede-run"),
        Route(
            "/lab/rate-limit/{limiter}",
            labs.rate_limited,
            methods=["POST"],
            name="lab-rate-limit-hit",
        ),
        Route(
            "/lab/sessions/login", labs.session_login, methods=["POST"], name="lab-session-login"
        ),
        Route("/lab/sessions/me", labs.session_me, name="lab-session-me"),
        Route(
            "/lab/sessions/logout", labs.session_logout, methods=["POST"], name="lab-session-logout"
        ),
        Route("/lab/http-caching/repo/{owner}/{name}", http_views.http_repo, name="lab-http-repo"),
        Route(
            "/lab/http-caching/repo/{owner}/{name}/star",
            http_views.http_star,
            methods=["POST"],
            name="lab-http-star",
        ),
        Route(
            "/lab/http-caching/origin/repo/{owner}/{name}",
            http_views.http_origin,
            name="lab-http-origin",
        ),
        Route(
            "/lab/http-caching/proxy/repo/{owner}/{name}",
            http_views.http_proxy,
            name="lab-http-proxy",
        ),
        # Classroom (docs/classroom.md): students, teachers, the class API.
        Route("/join", join_views.join, methods=["GET", "POST"], name="join"),
        Route("/class/events", join_views.student_events, name="class-events"),
        Route("/teach", teach_views.teach, name="teach"),
        Route("/teach/signin", teach_views.signin, methods=["POST"], name="teach-signin"),
        Route("/teach/signout", teach_views.signout, methods=["POST"], name="teach-signout"),
        Route("/teach/welcome", teach_views.welcome, methods=["GET", "POST"], name="teach-welcome"),
        Route("/teach/classes", teach_views.create_class, methods=["POST"], name="teach-create"),
        Route("/teach/classes/{class_id}", dash.dashboard, name="teach-class"),
        Route("/teach/classes/{class_id}/projector", teach_views.projector, name="teach-projector"),
        Route("/teach/classes/{class_id}/qr.svg", teach_views.qr_code, name="teach-qr"),
        Route("/teach/classes/{class_id}/events", dash.events, name="teach-events"),
        Route(
            "/teach/classes/{class_id}/students/{learner_id}", dash.student, name="teach-student"
        ),
        Route(
            "/teach/classes/{class_id}/students/{learner_id}/rejoin",
            dash.rejoin_code,
            methods=["POST"],
            name="teach-rejoin",
        ),
        Route(
            "/teach/classes/{class_id}/notice", dash.notice, methods=["POST"], name="teach-notice"
        ),
        Route(
            "/teach/classes/{class_id}/reveal", dash.reveal, methods=["POST"], name="teach-reveal"
        ),
        Route("/teach/classes/{class_id}/reset", dash.reset, methods=["POST"], name="teach-reset"),
        Route("/teach/classes/{class_id}/code", dash.code, methods=["POST"], name="teach-code"),
        Route("/teach/classes/{class_id}/end", dash.end, methods=["GET", "POST"], name="teach-end"),
        Route("/teach/classes/{class_id}/progress.{fmt:str}", dash.export, name="teach-export"),
        Route("/api/v1/classes", class_api.create, methods=["POST"], name="api-classes"),
        Route("/api/v1/classes/join", class_api.join, methods=["POST"], name="api-class-join"),
        Route("/api/v1/classes/{class_id}", class_api.delete, methods=["DELETE"], name="api-class"),
        Route("/api/v1/classes/{class_id}/progress", class_api.progress, name="api-class-progress"),
        Route(
            "/api/v1/classes/{class_id}/reset",
            class_api.reset,
            methods=["POST"],
            name="api-class-reset",
        ),
        Mount("/static", app=assets, name="static"),
    ]
