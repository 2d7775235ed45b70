"""The one route table: every route is named, and templates link by name."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route

from tryredis.assets import StaticAssets
from tryredis.views import api, health, pages, subscribe


def build_routes(assets: StaticAssets) -> list[BaseRoute]:
    """All routes of the site, in one list."""
    return [
        Route("/", pages.index, name="index"),
        Route("/lesson/{slug}", pages.lesson, name="lesson"),
        Route("/repl", pages.repl_page, name="repl"),
        Route("/lesson/{slug}/exercises", pages.exercises, name="lesson-exercises"),
        Route("/healthz", health.healthz, name="healthz"),
        Route("/api/v1/sessions", api.create_session, methods=["POST"], name="api-sessions"),
        Route("/api/v1/run", api.run, methods=["POST"], name="api-run"),
        Route(
            "/api/v1/sessions/current",
            api.delete_session,
            methods=["DELETE"],
            name="api-session-current",
        ),
        Route("/sandbox/reset", api.reset_sandbox, methods=["POST"], name="sandbox-reset"),
        Route("/repl/subscribe", subscribe.subscribe, name="repl-subscribe"),
        Mount("/static", app=assets, name="static"),
    ]
