"""The application factory: ``create_app(settings)`` and the lifespan that owns its resources."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from tryredis.assets import StaticAssets
from tryredis.classroom.join_views import revealed_solutions
from tryredis.classroom.service import Classroom
from tryredis.lessons import load_lessons
from tryredis.resources import packaged_dir
from tryredis.routes import build_routes
from tryredis.security import STATIC_HEADERS, SecurityMiddleware
from tryredis.services import Services
from tryredis.settings import Settings
from tryredis.startup import OneLineStartupErrors
from tryredis.templating import build_templates
from tryredis.views.exercises import add_solution_reveal

log = logging.getLogger("tryredis")

STATIC_DIR = packaged_dir("static")
TEMPLATES_DIR = packaged_dir("site")


def create_app(settings: Settings, *, static_dir: Path = STATIC_DIR) -> Starlette:
    """Build the site: routes, middleware, error pages, and a lifespan owning Redis and lessons.

    Lessons are parsed here, before the app exists, so a bad lesson stops
    start-up with its file and line.
    """
    lessons = load_lessons(settings.lessons_dir)
    assets = StaticAssets(static_dir, STATIC_HEADERS)
    templates = build_templates(TEMPLATES_DIR)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await Services.start(settings, lessons)
        app.state.services = services
        app.state.classroom = Classroom.start(services, lessons)
        # What start-up built (modules, lessons, templates) lives as long as the worker: out
        # of the collector's way, so a full collection walks only what requests made since.
        # Without this one took 67-73 ms under bench/abuse.py: that long a stall for everyone.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # collectable again (tests start many apps in one process)
            await app.state.classroom.close()
            await services.close()

    app = Starlette(
        routes=build_routes(assets),
        middleware=[
            Middleware(OneLineStartupErrors),
            Middleware(SecurityMiddleware, render=_server_error),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    # A class can show exercises' solutions (a teacher's reveal, or the class's default).
    add_solution_reveal(app, revealed_solutions)
    app.router.redirect_slashes = False  # Starlette's redirects are absolute URLs built from Host
    app.router.default = _slash_redirects(app.router)
    app.state.settings = settings
    app.state.lessons = lessons
    app.state.assets = assets
    app.state.templates = templates
    return app


def _slash_redirects(router: Router) -> ASGIApp:
    """Not found, or ``/lab/`` redirected to ``/lab`` by a relative URL (naming no host)."""

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        stripped = path.rstrip("/")
        # "//evil.example/" would become "//evil.example": a URL naming another host.
        wanted = scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
        if wanted and stripped and path != stripped and stripped[1:2] != "/":
            target = {**scope, "path": stripped}
            if any(route.matches(target)[0] == Match.FULL for route in router.routes):
                query = scope["query_string"].decode("latin-1")
                # The path as sent, escapes kept: "0%2F0/" must not become "0/0".
                raw = scope.get("raw_path") or path.encode()
                url = raw.decode("latin-1").rstrip("/") + ("?" + query if query else "")
                await RedirectResponse(url, status_code=307)(scope, receive, send)
                return
        await router.not_found(scope, receive, send)

    return not_found


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        from tryredis.views.api import api_error

        return api_error(exc.status_code, exc.detail, headers=exc.headers)
    status = 404 if exc.status_code == 404 else exc.status_code
    template = "404.html" if status == 404 else "error.html"
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"status": status, "detail": exc.detail},
        status_code=status,
        headers=exc.headers,
    )
    return response


UNREACHABLE = "Redis is unreachable right now; try again in a moment."


async def _server_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RedisError):
        # Redis restarting is not a bug of the page: a 503 that says so (views that know
        # better answer their own, e.g. api.guarded), one log line, no traceback.
        log.warning("Redis error on %s %s: %s", request.method, request.url.path, exc)
        return _unreachable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if request.url.path.startswith("/api/"):
        from tryredis.views.api import api_error

        return api_error(500, "Internal error; it has been logged.")
    response: Response = request.app.state.templates.TemplateResponse(
        request, "500.html", {"status": 500}, status_code=500
    )
    return response


def _unreachable(request: Request, exc: Exception) -> Response:
    from tryredis.views.api import BUSY, api_error, busy

    # A pool that stayed full for its whole wait is not an outage: say "busy".
    detail = BUSY if busy(exc) else UNREACHABLE
    headers = {"retry-after": "1", "cache-control": "no-store"}
    if request.url.path.startswith("/api/"):
        return api_error(503, detail, headers)
    response: Response = request.app.state.templates.TemplateResponse(
        request, "error.html", {"status": 503, "detail": detail}, status_code=503,
        headers=headers,
    )  # fmt: skip
    return response
