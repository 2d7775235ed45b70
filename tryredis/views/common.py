"""Request helpers shared by the views: who the learner is, and where they come from."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tryredis.identity import new_learner_id
from tryredis.services import Services

COOKIE = "tryredis_session"


def services_of(request: Request) -> Services:
    """The running site's services."""
    services: Services = request.app.state.services
    return services


def client_address(request: Request) -> str:
    """The client's address (uvicorn applies trusted X-Forwarded-For before this)."""
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class BrowserLearner:
    """The learner behind a browser request, from the signed cookie (or a new one)."""

    learner_id: str
    is_new: bool


def browser_learner(request: Request) -> BrowserLearner:
    """The cookie's learner, or a fresh id to set as a cookie (nothing is stored yet)."""
    signer = services_of(request).signer
    learner_id = signer.unsign("cookie", request.cookies.get(COOKIE))
    if learner_id is not None:
        return BrowserLearner(learner_id, False)
    return BrowserLearner(new_learner_id(), True)


def set_learner_cookie(request: Request, response: Response, learner_id: str) -> None:
    """Set the signed session cookie: HttpOnly, SameSite=Lax, Secure over https."""
    services = services_of(request)
    response.set_cookie(
        COOKIE,
        services.signer.sign("cookie", learner_id),
        max_age=int(services.settings.sandbox_idle_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def same_origin(request: Request) -> bool:
    """Whether a state-changing browser request comes from this site's own pages."""
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)
    fetch_site = request.headers.get("sec-fetch-site")
    return fetch_site in (None, "same-origin", "none")
