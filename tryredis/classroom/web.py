"""What the classroom's views share: the teacher's cookie and CSRF token, forms, rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from tryredis.classroom.classes import Klass
from tryredis.classroom.service import Classroom
from tryredis.classroom.teachers import SESSION_SECONDS, Teacher
from tryredis.views.common import same_origin, services_of

TEACHER_COOKIE = "tryredis_teacher"
FORM_LIMIT = 16 * 1024


def classroom_of(request: Request) -> Classroom:
    """The running site's classroom."""
    classroom: Classroom = request.app.state.classroom
    return classroom


@dataclass(frozen=True)
class SignedIn:
    """A teacher signed in in this browser, with their session id."""

    teacher: Teacher
    session_id: str

    def csrf(self, request: Request) -> str:
        """The CSRF token this session's forms carry."""
        return teacher_csrf(request, self.session_id)


def teacher_csrf(request: Request, session_id: str) -> str:
    """The CSRF token of a teacher session (a MAC under its own purpose)."""
    return services_of(request).signer.sign("teacher-csrf", session_id).partition(".")[2]


async def signed_in(request: Request) -> SignedIn | None:
    """The teacher whose session cookie this browser holds, if it is valid."""
    signer = services_of(request).signer
    session_id = signer.unsign("teacher", request.cookies.get(TEACHER_COOKIE))
    if session_id is None:
        return None
    teacher = await classroom_of(request).teachers.session_teacher(session_id)
    return SignedIn(teacher, session_id) if teacher else None


async def require_teacher(request: Request) -> SignedIn:
    """The signed-in teacher, or a redirect to the sign-in form."""
    found = await signed_in(request)
    if found is None:
        raise HTTPException(303, headers={"location": request.url_for("teach").path})
    return found


async def owned_class(request: Request, who: SignedIn) -> Klass:
    """The class of the URL if it is this teacher's; 404 otherwise (others' do not exist)."""
    klass = await classroom_of(request).classes.owned(who.teacher, request.path_params["class_id"])
    if klass is None:
        raise HTTPException(404, "No such class.")
    return klass


def set_teacher_cookie(request: Request, response: Response, session_id: str) -> None:
    """The teacher's session cookie: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(
        TEACHER_COOKIE,
        services_of(request).signer.sign("teacher", session_id),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


class Form:
    """A urlencoded form: ``get`` the first value of a field, ``getlist`` all of them."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def get(self, name: str, default: str = "") -> str:
        """The field's first value."""
        return self.values.get(name, [default])[0]

    def getlist(self, name: str) -> list[str]:
        """Every value of the field (checkboxes)."""
        return self.values.get(name, [])


async def read_form(request: Request) -> Form:
    """A urlencoded form body; 413 over the limit."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise HTTPException(413, "The form is too large.")
    return Form(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))


async def teacher_form(request: Request, who: SignedIn) -> Form:
    """A state-changing form of the signed-in teacher: same origin and the CSRF token."""
    form = await read_form(request)
    token = form.get("csrf") or request.headers.get("x-csrf-token", "")
    if not same_origin(request) or token != who.csrf(request):
        raise HTTPException(403, "This form is stale or came from another site: reload the page.")
    return form


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    """A classroom page: never cached, never indexed."""
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status
    )
    response.headers["cache-control"] = "no-store"
    response.headers["x-robots-tag"] = "noindex"
    return response


def done(request: Request, location: str, message: str, **extra: Any) -> Response:
    """After a teacher's action: JSON for the dashboard's script, else a redirect with a notice."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"message": message, **extra}, headers={"cache-control": "no-store"})
    return RedirectResponse(location, status_code=303)
