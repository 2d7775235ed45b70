"""Teacher pages: sign-in, the class list, creating a class, the projector page and QR code."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tryredis.classroom.classes import ClassError, Klass
from tryredis.classroom.teachers import PASSWORD_MIN, TeacherError
from tryredis.classroom.web import (
    TEACHER_COOKIE,
    classroom_of,
    owned_class,
    read_form,
    render,
    require_teacher,
    set_teacher_cookie,
    signed_in,
    teacher_csrf,
    teacher_form,
)
from tryredis.views.common import client_address, same_origin


def join_url(request: Request, klass: Klass) -> str:
    """The absolute URL a student opens to join (the code filled in)."""
    return str(request.url_for("join").include_query_params(code=klass.code))


async def teach(request: Request) -> Response:
    """GET /teach: the sign-in form, or the signed-in teacher's classes."""
    who = await signed_in(request)
    if who is None:
        return render(request, "teach/signin.html", {"error": "", "name": ""})
    classroom = classroom_of(request)
    return render(
        request,
        "teach/classes.html",
        {
            "teacher": who.teacher,
            "classes": await classroom.classes.of_teacher(who.teacher),
            "lessons": list(request.app.state.lessons),
            "csrf": who.csrf(request),
            "error": request.query_params.get("error", ""),
        },
    )


async def signin(request: Request) -> Response:
    """POST /teach/signin: name and password; rate-limited per address and per name."""
    form = await read_form(request)
    name, password = form.get("name", "").strip(), form.get("password", "")
    classroom = classroom_of(request)

    def refuse(message: str, status: int) -> Response:
        return render(request, "teach/signin.html", {"error": message, "name": name}, status)

    if not same_origin(request):
        return refuse("This form came from another site.", 403)
    if not await classroom.teachers.signin_allowed(client_address(request), name):
        return refuse("Too many sign-in attempts. Wait 15 minutes and try again.", 429)
    teacher = await classroom.teachers.check_password(name, password)
    if teacher is None:
        return refuse("That name and password do not match a teacher.", 401)
    response = RedirectResponse(request.url_for("teach").path, status_code=303)
    set_teacher_cookie(request, response, await classroom.teachers.open_session(teacher))
    return response


async def signout(request: Request) -> Response:
    """POST /teach/signout."""
    who = await require_teacher(request)
    await teacher_form(request, who)
    await classroom_of(request).teachers.close_session(who.session_id)
    response = RedirectResponse(request.url_for("teach").path, status_code=303)
    response.delete_cookie(TEACHER_COOKIE, path="/")
    return response


async def welcome(request: Request) -> Response:
    """GET/POST /teach/welcome: spend the one-time link from the CLI to choose a password."""
    classroom = classroom_of(request)
    if request.method == "GET":
        link = request.query_params.get("link", "")
        teacher = await classroom.teachers.link_valid(link)
        error = "" if teacher else "This sign-in link is used or expired: ask for a new one."
        context = {"link": link, "teacher": teacher, "error": error, "minimum": PASSWORD_MIN}
        return render(request, "teach/welcome.html", context, 200 if teacher else 400)
    form = await read_form(request)
    link = form.get("link", "")
    teacher = await classroom.teachers.link_valid(link)
    context = {"link": link, "teacher": teacher, "minimum": PASSWORD_MIN}
    if not same_origin(request):
        return render(request, "teach/welcome.html", {**context, "error": "Wrong site."}, 403)
    if not await classroom.teachers.signin_allowed(client_address(request), link[:26]):
        message = "Too many attempts. Wait 15 minutes and try again."
        return render(request, "teach/welcome.html", {**context, "error": message}, 429)
    if form.get("password", "") != form.get("again", ""):
        message = "The two passwords differ."
        return render(request, "teach/welcome.html", {**context, "error": message}, 400)
    try:
        teacher = await classroom.teachers.use_link(link, form.get("password", ""))
    except TeacherError as error:
        return render(request, "teach/welcome.html", {**context, "error": str(error)}, 400)
    response = RedirectResponse(request.url_for("teach").path, status_code=303)
    set_teacher_cookie(request, response, await classroom.teachers.open_session(teacher))
    return response


def _end_date(raw: str) -> int:
    if not raw.strip():
        return 0
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ClassError("Give the end date as YYYY-MM-DD.") from None
    return int(day.timestamp()) + 86400  # the class lasts through its end date


def lesson_choice(request: Request, wanted: list[str]) -> list[str]:
    """The assigned lessons, in course order; ClassError for an unknown one."""
    index = request.app.state.lessons
    unknown = [slug for slug in wanted if index.get(slug) is None]
    if unknown:
        raise ClassError(f"No such lesson: {', '.join(unknown)}.")
    return [lesson.slug for lesson in index if lesson.slug in wanted]


async def create_class(request: Request) -> Response:
    """POST /teach/classes: a new class; then its dashboard."""
    who = await require_teacher(request)
    form = await teacher_form(request, who)
    try:
        klass = await classroom_of(request).classes.create(
            who.teacher,
            form.get("name", ""),
            lesson_choice(request, form.getlist("lessons")),
            ends=_end_date(form.get("ends", "")),
            solutions=form.get("solutions") == "1",
        )
    except ClassError as error:
        target = request.url_for("teach").include_query_params(error=str(error))
        return RedirectResponse(f"{target.path}?{target.query}", status_code=303)
    return RedirectResponse(request.url_for("teach-class", class_id=klass.id).path, status_code=303)


async def projector(request: Request) -> Response:
    """GET /teach/classes/{id}/projector: the join code, large, with its QR code."""
    who = await require_teacher(request)
    klass = await owned_class(request, who)
    return render(
        request,
        "teach/projector.html",
        {
            "klass": klass,
            "join_url": join_url(request, klass),
            "csrf": teacher_csrf(request, who.session_id),
        },
    )


async def qr_code(request: Request) -> Response:
    """GET /teach/classes/{id}/qr.svg: the join URL as a QR code (segno, made here)."""
    who = await require_teacher(request)
    klass = await owned_class(request, who)
    out = io.BytesIO()
    segno.make(join_url(request, klass), error="m").save(
        out, kind="svg", border=2, omitsize=True, xmldecl=False, dark="#000", light="#fff"
    )
    return Response(
        out.getvalue(), media_type="image/svg+xml", headers={"cache-control": "no-store"}
    )


def ends_text(klass: Klass) -> str:
    """The end date as the teacher typed it, or ''."""
    if not klass.ends:
        return ""
    return datetime.fromtimestamp(klass.ends - 86400, UTC).strftime("%Y-%m-%d")


def ended(klass: Klass) -> bool:
    """Whether the class is past its end date (the sweep ends it within a minute)."""
    return bool(klass.ends) and klass.ends <= time.time()
