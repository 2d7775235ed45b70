"""POST /api/v1/resp: commands as argument arrays, replies with their RESP types.

The endpoint code cells use (redis-py in the learner's browser talks to it), and
any client that wants typed replies instead of redis-cli's text. One command or a
pipeline of up to 20 goes in, either as RESP itself (``application/x-redis-resp``,
what redis-py writes on a socket; the answer is RESP too, so redis-py's own parser
reads it) or as JSON (``{"command": [...]}`` / ``{"commands": [[...], ...]}``,
arguments as strings or ``{"base64": "..."}``). Same authentication, CSRF, rate
limit (one token per command), status codes and namespace as /api/v1/run.

Refusals (the sandbox's policy) are error replies with the code ``REFUSED``, so a
client can tell them from Redis's own errors: ``-REFUSED CONFIG is not available ...``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis.pycells.trace import describe
from tryredis.repl import CommandError, Refusal, Sandbox, format_reply
from tryredis.views.api import MAX_LINES, ApiError, guarded, open_sandbox, read_body, read_json
from tryredis.views.common import services_of
from tryredis.wire import ErrorReply, ExecutorError, Reply, Status

log = logging.getLogger("tryredis.resp")

RESP_TYPE = "application/x-redis-resp"
MAX_COMMANDS = MAX_LINES  # as many commands per request as /api/v1/run takes lines
BODY_MAX_BYTES = 256 * 1024
REFUSED = b"REFUSED"
SOURCE = "resp"  # how the journal (teachers, exercise checks) marks these commands


class RefusedReply(ErrorReply):
    """A refusal by the sandbox's policy, sent as ``-REFUSED <reason>``."""

    __slots__ = ()


@guarded
async def resp(request: Request) -> Response:
    """POST /api/v1/resp: run one command or a pipeline; answer typed replies."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == RESP_TYPE:
        commands = parse_commands(await read_body(request, BODY_MAX_BYTES))
    else:  # read_json answers 415 for anything else that is not JSON
        commands = _json_commands(await read_json(request, BODY_MAX_BYTES))
    sandbox = await open_sandbox(request, len(commands))
    replies = [await _execute(sandbox, command) for command in commands]
    await services_of(request).journal.record(
        sandbox.learner_id,
        [_journal_row(c, r) for c, r in zip(commands, replies, strict=True)],
        SOURCE,
    )
    headers = {"cache-control": "no-store"}
    if content_type == RESP_TYPE:
        body = b"".join(encode_reply(reply) for reply in replies)
        return Response(body, media_type=RESP_TYPE, headers=headers)
    return JSONResponse({"replies": [reply_json(r) for r in replies]}, headers=headers)


def _journal_row(args: list[bytes], reply: Reply) -> tuple[str, str, str]:
    if isinstance(reply, RefusedReply):
        return describe(args), "(refused) " + _text(reply[len(REFUSED) + 1 :]), "refused"
    kind = "error" if isinstance(reply, ErrorReply) else "reply"
    return describe(args), format_reply(reply), kind


async def _execute(sandbox: Sandbox, args: list[bytes]) -> Reply:
    settings = sandbox.limits
    if len(args) > settings.args_max:
        limit = settings.args_max
        return _refused(f"a command may have at most {limit} arguments (TRYREDIS_ARGS_MAX)")
    longest = max(len(arg) for arg in args)
    if longest > settings.string_max_bytes:
        return _refused(
            f"an argument of {longest} bytes is over the limit of {settings.string_max_bytes} "
            "bytes (TRYREDIS_STRING_MAX_BYTES)"
        )
    try:
        return await sandbox.execute(args)
    except CommandError as error:
        return ErrorReply(sandbox.context.error_text(error))
    except Refusal as error:
        return _refused(str(error))
    except ExecutorError as error:
        note = " The command may or may not have run." if error.maybe_ran else ""
        return _refused(error.message + note)
    except Exception:  # a bug (or a withheld reply) costs one command, not the request
        log.exception("unexpected error executing %r", args[:1])
        return _refused("internal error; it has been logged")


def _refused(message: str) -> RefusedReply:
    return RefusedReply(REFUSED + b" " + message.encode("utf-8", "backslashreplace"))


def _too_many() -> ApiError:
    return ApiError(
        400, f"at most {MAX_COMMANDS} commands per request (a pipeline sends all of its own)"
    )


def parse_commands(body: bytes) -> list[list[bytes]]:
    """RESP commands (arrays of bulk strings, as clients send them); 400 for anything else."""
    commands: list[list[bytes]] = []
    pos = 0
    while pos < len(body):
        count, pos = _header(body, pos, b"*")
        if count < 1:
            raise ApiError(400, "a command is a non-empty RESP array of bulk strings")
        args = []
        for _ in range(count):
            length, pos = _header(body, pos, b"$")
            end = pos + length
            if length < 0 or body[end : end + 2] != b"\r\n":
                raise ApiError(400, "a RESP bulk string is truncated or malformed")
            args.append(body[pos:end])
            pos = end + 2
        commands.append(args)
        if len(commands) > MAX_COMMANDS:
            raise _too_many()
    if not commands:
        raise ApiError(400, "send at least one command")
    return commands


def _header(body: bytes, pos: int, kind: bytes) -> tuple[int, int]:
    """``*<n>\\r\\n`` or ``$<n>\\r\\n`` at ``pos``: the number and where the data starts."""
    end = body.find(b"\r\n", pos, pos + 24)  # no count has more than 20 digits
    digits = body[pos + 1 : end]
    if end < 0 or body[pos : pos + 1] != kind or not digits.isdigit():
        raise ApiError(400, f"expected a RESP {'array' if kind == b'*' else 'bulk string'} header")
    return int(digits), end + 2


def _json_commands(payload: Any) -> list[list[bytes]]:
    single = isinstance(payload, dict) and len(payload) == 1
    if single and "command" in payload:
        raw = [payload["command"]]
    elif single and isinstance(payload.get("commands"), list):
        raw = payload["commands"]
        if len(raw) > MAX_COMMANDS:
            raise _too_many()
    else:
        raise ApiError(400, 'send {"command": ["SET", "k", "v"]} or {"commands": [[...], ...]}')
    if not raw or not all(isinstance(c, list) and c for c in raw):
        raise ApiError(400, "each command is a non-empty list of arguments")
    return [[_argument(arg) for arg in command] for command in raw]


def _argument(value: Any) -> bytes:
    """A JSON argument: a string (sent as UTF-8), or ``{"base64": "..."}`` for any bytes."""
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate escape
            message = 'an argument is not valid Unicode; send {"base64": "..."}'
            raise ApiError(400, message) from None
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "an argument's base64 is not valid") from None
    raise ApiError(400, 'each argument is a string or {"base64": "..."}')


def encode_reply(reply: Reply) -> bytes:
    """One reply as RESP2 bytes, keeping its type (status, error, bulk, integer, array, nil)."""
    if isinstance(reply, Status):
        return b"+" + _line(reply) + b"\r\n"
    if isinstance(reply, ErrorReply):
        return b"-" + _line(reply) + b"\r\n"
    if isinstance(reply, bytes):
        return b"$%d\r\n%b\r\n" % (len(reply), reply)
    if isinstance(reply, int):
        return b":%d\r\n" % reply
    if reply is None:
        return b"$-1\r\n"
    return b"*%d\r\n" % len(reply) + b"".join(encode_reply(item) for item in reply)


def _line(text: bytes) -> bytes:
    # A status or error is one line: an error text quoting a learner's key could hold CR/LF.
    return text.replace(b"\r", b" ").replace(b"\n", b" ")


def reply_json(reply: Reply) -> dict[str, Any]:
    """One reply as JSON: ``{"type": ..., "value": ...}``; bytes that are not UTF-8 as base64."""
    if isinstance(reply, RefusedReply):
        return {"type": "refused", "value": _text(reply[len(REFUSED) + 1 :])}
    if isinstance(reply, Status):
        return {"type": "status", "value": _text(reply)}
    if isinstance(reply, ErrorReply):
        return {"type": "error", "value": _text(reply)}
    if isinstance(reply, bytes):
        try:
            return {"type": "bulk", "value": reply.decode("utf-8")}
        except UnicodeDecodeError:
            return {"type": "bulk", "base64": base64.b64encode(reply).decode("ascii")}
    if isinstance(reply, int):
        return {"type": "integer", "value": reply}
    if reply is None:
        return {"type": "null"}
    return {"type": "array", "value": [reply_json(item) for item in reply]}


def _text(value: bytes) -> str:
    return value.decode("utf-8", "backslashreplace")
